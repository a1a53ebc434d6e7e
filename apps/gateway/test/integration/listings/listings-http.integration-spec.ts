import { createUser, registerOrganization, type Session } from '../../support/identity.fixture';
import { kingCountySlice, propertyBody } from '@keyhouse/testing';
import { createCrmContact, registerPortalClient, type Page, type Problem, type Property } from '../../support/listings.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

/**
 * The HTTP side of listings: routes, DTOs, route permissions, query and body mapping, the CSV
 * upload, API keys on the partner webhook, and the portal client's way through the gateway,
 * identity, crm and listings. The rules behind them are the listings service's, tested on the
 * service alone in apps/listings/test/integration.
 */
describe('Listings over HTTP (properties, geo search, import, places, engagement, MLS sources, webhook)', () => {
  let stack: TestStack;
  let owner: Session & { publicFormKey: string };
  let agent: Session;
  let client: Session;

  beforeAll(async () => {
    // the MLS sources below point at http://127.0.0.1
    stack = await startStack({ LISTINGS_MLS_ALLOW_PRIVATE_SOURCES: 'true' }, { services: ['listings', 'crm'] });
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
    agent = await createUser(stack.http, owner, 'agent');
    client = await createUser(stack.http, owner, 'client');
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** `POST /v1/properties` of a valid listing with `overrides`, as `session`: the response. */
  const create = (session: Session, overrides: Record<string, unknown> = {}) =>
    stack.http.post<Property & Problem>('/v1/properties', propertyBody(overrides), { token: session.accessToken });
  /** The listing created by `session` (201). */
  const createListing = async (session: Session, overrides: Record<string, unknown> = {}) => {
    const response = await create(session, overrides);
    expect(response.status).toBe(201);
    return response.body;
  };

  describe('/v1/properties', () => {
    it('answers 201 with the listing, 200 on read and change, 204 on delete, then a 404 problem', async () => {
      const created = await create(agent);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ orgId: owner.orgId, listAgentId: agent.userId, listPrice: 75_000_000 });
      expect((await stack.http.get(`/v1/properties/${created.body.id}`, { token: owner.accessToken })).status).toBe(200);
      const changed = await stack.http.patch<Property>(
        `/v1/properties/${created.body.id}`,
        { listPrice: 74_000_000 },
        { token: agent.accessToken },
      );
      expect(changed.status).toBe(200);
      expect(changed.body.listPrice).toBe(74_000_000);
      expect((await stack.http.delete(`/v1/properties/${created.body.id}`, { token: agent.accessToken })).status).toBe(204);
      const gone = await stack.http.get<Problem>(`/v1/properties/${created.body.id}`, { token: agent.accessToken });
      expect(gone.status).toBe(404);
      expect(gone.body.code).toBe('PROPERTY_NOT_FOUND');
    });

    it('refuses unknown fields, fractional cents (naming the field) and a non-UUID id with 400, and a client (no listings:write) with 403', async () => {
      expect((await create(agent, { bogus: 1 })).status).toBe(400);
      const cents = await create(agent, { listPrice: 100.5 });
      expect(cents.status).toBe(400);
      expect(cents.body.errors!.map((e) => e.field)).toContain('listPrice');
      expect((await stack.http.get('/v1/properties/not-a-uuid', { token: owner.accessToken })).status).toBe(400);
      expect((await create(client)).status).toBe(403);
    });

    it('reads list filters from the query string (comma lists, numbers), pages with the cursor, and refuses unknown values with 400', async () => {
      const org = await registerOrganization(stack.http, 'Filter Realty');
      for (const spec of [
        { listingKey: 'F1', listPrice: 40_000_000 },
        { listingKey: 'F2', listPrice: 60_000_000 },
        { listingKey: 'F4', listPrice: 120_000_000, propertyType: 'Land' },
        { listingKey: 'F5', listPrice: 50_000_000, standardStatus: 'Pending' },
      ])
        expect((await create(org, spec)).status).toBe(201);
      const keys = async (query: string) => {
        const response = await stack.http.get<Page<Property>>(`/v1/properties?${query}`, { token: org.accessToken });
        expect(response.status).toBe(200);
        return response.body.items.map((p) => p.listingKey);
      };
      expect(await keys('standardStatus=Active,Pending&propertyType=Residential&sort=price')).toEqual(['F1', 'F5', 'F2']);
      expect(await keys('minPrice=50000000&maxPrice=80000000&sort=price')).toEqual(['F5', 'F2']);
      const first = await stack.http.get<Page<Property>>('/v1/properties?sort=price&limit=2', { token: org.accessToken });
      expect(first.body.items.map((p) => p.listingKey)).toEqual(['F1', 'F5']);
      const second = await stack.http.get<Page<Property>>(`/v1/properties?sort=price&limit=2&cursor=${first.body.nextCursor}`, {
        token: org.accessToken,
      });
      expect(second.body.items.map((p) => p.listingKey)).toEqual(['F2', 'F4']);
      expect((await stack.http.get('/v1/properties?standardStatus=Sold', { token: org.accessToken })).status).toBe(400);
      expect((await stack.http.get('/v1/properties?sort=bedrooms', { token: org.accessToken })).status).toBe(400);
    });
  });

  describe('POST /v1/properties/import', () => {
    it('imports a text/csv upload for an admin and refuses agents (403)', async () => {
      const upload = (session: Session, body: string) =>
        stack.http.request<{ rows: number; created: number; rejected: number } & Problem>('POST', '/v1/properties/import', {
          token: session.accessToken,
          raw: body,
          headers: { 'content-type': 'text/csv' },
        });
      const imported = await upload(owner, kingCountySlice(5));
      expect(imported.status).toBe(200);
      expect(imported.body).toMatchObject({ rows: 5, rejected: 0 });
      expect((await upload(agent, kingCountySlice(2))).status).toBe(403);
    });
  });

  describe('GET /v1/geo/radius-search', () => {
    it('reads lat/lng/radius from the query and refuses a radius over 50 km or missing or out-of-range coordinates (400)', async () => {
      const org = await registerOrganization(stack.http, 'Radius Realty');
      expect((await create(org, { listingKey: 'R-near', latitude: 47.6105, longitude: -122.341 })).status).toBe(201);
      const near = await stack.http.get<Page<Property>>('/v1/geo/radius-search?lat=47.6097&lng=-122.3422&radius=1000', {
        token: org.accessToken,
      });
      expect(near.status).toBe(200);
      expect(near.body.items.map((p) => [p.listingKey, typeof p.distanceMeters])).toEqual([['R-near', 'number']]);
      expect((await stack.http.get(`/v1/geo/radius-search?lat=47.6&lng=-122.3&radius=50001`, { token: org.accessToken })).status).toBe(400);
      expect((await stack.http.get(`/v1/geo/radius-search?lng=-122.3&radius=100`, { token: org.accessToken })).status).toBe(400);
      expect((await stack.http.get(`/v1/geo/radius-search?lat=91&lng=-122.3&radius=100`, { token: org.accessToken })).status).toBe(400);
    });
  });

  describe('POST /v1/properties/search', () => {
    it('passes the geometry and the body filters to the search, and refuses a point and unknown fields with 400', async () => {
      const org = await registerOrganization(stack.http, 'Polygon Realty');
      expect((await create(org, { listingKey: 'P-in-1', latitude: 47.68, longitude: -122.33 })).status).toBe(201);
      const box = [
        [
          [-122.345, 47.67],
          [-122.32, 47.67],
          [-122.32, 47.69],
          [-122.345, 47.69],
          [-122.345, 47.67],
        ],
      ];
      const search = (body: unknown) =>
        stack.http.post<Page<Property> & Problem>('/v1/properties/search', body, { token: org.accessToken });
      const inside = await search({ geometry: { type: 'Polygon', coordinates: box } });
      expect(inside.status).toBe(200);
      expect(inside.body.items.map((p) => p.listingKey)).toEqual(['P-in-1']);
      expect(
        (await search({ geometry: { type: 'Polygon', coordinates: box }, filters: { standardStatus: ['Pending'] } })).body.items,
      ).toEqual([]);
      expect((await search({ geometry: { type: 'Point', coordinates: [-122.3, 47.6] } })).status).toBe(400);
      expect((await search({ geometry: { type: 'Polygon', coordinates: box }, bogus: true })).status).toBe(400);
    });
  });

  describe('comparables and places', () => {
    it('answers comparables and nearby places of a listing, and refuses loading places to agents (403)', async () => {
      const home = await create(owner, { latitude: 47.6615, longitude: -122.3503 });
      const comparables = await stack.http.get<{ subjectId: string }>(`/v1/properties/${home.body.id}/comparables?radius=3000`, {
        token: agent.accessToken,
      });
      expect(comparables.status).toBe(200);
      expect(comparables.body.subjectId).toBe(home.body.id);
      const places = [{ name: 'B.F. Day Elementary', category: 'school', latitude: 47.6555, longitude: -122.351 }];
      const loaded = await stack.http.post<{ created: number }>('/v1/places', { places }, { token: owner.accessToken });
      expect(loaded.status).toBe(200);
      expect(loaded.body).toMatchObject({ created: 1 });
      expect((await stack.http.post('/v1/places', { places }, { token: agent.accessToken })).status).toBe(403);
      const nearby = await stack.http.get<{ items: Array<{ name: string }> }>(
        `/v1/properties/${home.body.id}/nearby?radius=3000&category=school`,
        { token: agent.accessToken },
      );
      expect(nearby.status).toBe(200);
      expect(nearby.body.items.map((p) => p.name)).toEqual(['B.F. Day Elementary']);
    });
  });

  describe('views, interest, shares and saved searches', () => {
    it('records a view (201) and keeps an interest (PUT 200) of a crm contact, listed by query; refuses an unknown source, preference or contact id with 400', async () => {
      const property = await createListing(agent);
      const contactId = await createCrmContact(stack, agent.accessToken, 'Viewer');
      const view = (body: Record<string, unknown>) =>
        stack.http.post<{ id: string } & Problem>(`/v1/properties/${property.id}/views`, body, { token: agent.accessToken });
      expect((await view({ contactId, source: 'website' })).status).toBe(201);
      expect((await view({ contactId, source: 'tv' })).status).toBe(400);
      expect((await view({ contactId: 'x', source: 'portal' })).status).toBe(400);
      const put = (body: Record<string, unknown>) =>
        stack.http.request<{ preference: string } & Problem>('PUT', `/v1/properties/${property.id}/interests/${contactId}`, {
          token: agent.accessToken,
          json: body,
        });
      expect((await put({ preference: 'Favorite', note: 'Loves the porch' })).status).toBe(200);
      expect((await put({ preference: 'Love' })).status).toBe(400);
      const perContact = await stack.http.get<Page<{ propertyId: string; preference: string }>>(
        `/v1/contact-listings?contactId=${contactId}`,
        {
          token: agent.accessToken,
        },
      );
      expect(perContact.body.items.map((i) => [i.propertyId, i.preference])).toEqual([[property.id, 'Favorite']]);
    });

    it('shows a self-registered portal client the listings an agent shares with their crm contact (201), until unshared (204)', async () => {
      const portal = await registerPortalClient(stack, owner.publicFormKey, 'Cleo');
      const listed = async () =>
        (await stack.http.get<Page<Property>>('/v1/properties?limit=100', { token: portal.accessToken })).body.items.map((p) => p.id);
      const shared = await createListing(agent, { listingKey: 'C-shared' });
      expect(await listed()).toEqual([]);
      const share = await stack.http.post<{ contactId: string }>(
        `/v1/properties/${shared.id}/shares`,
        { contactId: portal.contactId },
        { token: owner.accessToken },
      );
      expect(share.status).toBe(201);
      expect(share.body.contactId).toBe(portal.contactId);
      expect(await listed()).toEqual([shared.id]);
      const byClient = await stack.http.post<Problem>(
        `/v1/properties/${shared.id}/shares`,
        { contactId: portal.contactId },
        { token: portal.accessToken },
      );
      expect(byClient.status).toBe(403);
      expect((await stack.http.delete(`/v1/properties/${shared.id}/shares/${portal.contactId}`, { token: owner.accessToken })).status).toBe(
        204,
      );
      expect(await listed()).toEqual([]);
    });

    it('creates (201), lists and deletes (204) saved searches', async () => {
      const contactId = await createCrmContact(stack, owner.accessToken, 'Searcher');
      const saved = await stack.http.post<{ id: string }>(
        '/v1/saved-searches',
        { contactId, name: 'Seattle', filters: { city: 'Seattle', standardStatus: ['Active'] } },
        { token: owner.accessToken },
      );
      expect(saved.status).toBe(201);
      const listed = await stack.http.get<Page<{ id: string }>>(`/v1/saved-searches?contactId=${contactId}`, { token: owner.accessToken });
      expect(listed.body.items.map((i) => i.id)).toEqual([saved.body.id]);
      expect((await stack.http.delete(`/v1/saved-searches/${saved.body.id}`, { token: owner.accessToken })).status).toBe(204);
    });
  });

  describe('MLS sources and the partner webhook', () => {
    it('maps the MLS source routes (create, change, disable/enable, runs, delete), refuses agents with 403 and a page size of 0 with 400', async () => {
      const body = { name: 'Test MLS', baseUrl: 'http://127.0.0.1:9/reso', accessToken: 'mls-secret-token', pageSize: 2 };
      expect((await stack.http.post('/v1/mls-sources', body, { token: agent.accessToken })).status).toBe(403);
      const created = await stack.http.post<{ id: string; accessToken?: string; highWaterMark: string | null }>('/v1/mls-sources', body, {
        token: owner.accessToken,
      });
      expect(created.status).toBe(201);
      expect(created.body.accessToken).toBeUndefined();
      const id = created.body.id;
      expect((await stack.http.patch(`/v1/mls-sources/${id}`, { pageSize: 0 }, { token: owner.accessToken })).status).toBe(400);
      const renamed = await stack.http.patch<{ name: string }>(
        `/v1/mls-sources/${id}`,
        { name: 'Renamed MLS' },
        { token: owner.accessToken },
      );
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe('Renamed MLS');
      const disabled = await stack.http.post<{ enabled: boolean }>(`/v1/mls-sources/${id}/disable`, {}, { token: owner.accessToken });
      expect(disabled.body.enabled).toBe(false);
      expect((await stack.http.post(`/v1/mls-sources/${id}/enable`, {}, { token: agent.accessToken })).status).toBe(403);
      const refused = await stack.http.post<Problem>(`/v1/mls-sources/${id}/sync`, {}, { token: owner.accessToken });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('MLS_SOURCE_DISABLED');
      expect(
        (await stack.http.post<{ enabled: boolean }>(`/v1/mls-sources/${id}/enable`, {}, { token: owner.accessToken })).body.enabled,
      ).toBe(true);
      const runs = await stack.http.get<Page<unknown>>(`/v1/mls-sources/${id}/runs`, { token: owner.accessToken });
      expect(runs.status).toBe(200);
      expect(runs.body.items).toEqual([]);
      expect((await stack.http.delete(`/v1/mls-sources/${id}`, { token: owner.accessToken })).status).toBe(204);
      expect((await stack.http.get<Page<unknown>>('/v1/mls-sources', { token: owner.accessToken })).body.items).toEqual([]);
    });

    it('accepts the partner webhook with an API key holding listings:write; refuses a read-only key and an agent (403) and a body without records (400)', async () => {
      const key = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'MLS partner', scopes: ['listings:write:org'] },
        { token: owner.accessToken },
      );
      expect(key.status).toBe(201);
      const readOnly = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'Reader', scopes: ['listings:read:org'] },
        { token: owner.accessToken },
      );
      const batch = {
        '@odata.context': 'https://mls.example/Property',
        value: [
          {
            ListingKey: 'W1',
            StandardStatus: 'Active',
            PropertyType: 'Residential',
            ListPrice: 425000.5,
            City: 'Kent',
            ModificationTimestamp: '2026-02-01T10:00:00Z',
          },
        ],
      };
      const first = await stack.http.post<Record<string, unknown>>('/v1/webhooks/mls', batch, { apiKey: key.body.key });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ received: 1, created: 1 });
      const listed = await stack.http.get<Page<Property>>('/v1/properties?city=Kent', { token: owner.accessToken });
      expect(listed.body.items.map((p) => [p.listingKey, p.listPrice, p.origin])).toEqual([['W1', 42_500_050, 'mls']]);
      expect((await stack.http.post('/v1/webhooks/mls', batch, { apiKey: readOnly.body.key })).status).toBe(403);
      expect((await stack.http.post('/v1/webhooks/mls', batch, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/webhooks/mls', { value: 'x' }, { apiKey: key.body.key })).status).toBe(400);
    });
  });
});
