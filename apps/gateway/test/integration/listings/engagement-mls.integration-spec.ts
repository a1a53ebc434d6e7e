import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createUser, registerOrganization, type Session } from '../../support/fixtures';
import { DEVELOPMENT_LISTINGS_KEYRING } from '../../../../listings/src/config/listings.config';
import {
  createCrmContact,
  outboxEvents,
  propertyBody,
  registerPortalClient,
  until,
  type Page,
  type Problem,
  type Property,
} from '../../support/listings-fixtures';
import { startStack, type TestStack } from '../../support/stack';

describe('Listings: views, interest, saved searches and MLS sync through the gateway', () => {
  let stack: TestStack;
  let owner: Session & { publicFormKey: string };
  let otherOwner: Session;
  let agent: Session;
  let agent2: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['listings', 'crm'] });
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
    otherOwner = await registerOrganization(stack.http, 'Rival Realty');
    agent = await createUser(stack.http, owner, 'agent');
    agent2 = await createUser(stack.http, owner, 'agent');
  });

  afterAll(async () => {
    await stack.stop();
  });

  const create = async (session: Session, overrides: Record<string, unknown> = {}) => {
    const response = await stack.http.post<Property>('/v1/properties', propertyBody(overrides), { token: session.accessToken });
    expect(response.status).toBe(201);
    return response.body;
  };

  describe('POST /v1/properties/:id/views', () => {
    it('records a view for a contact the caller can read and emits listings.property.viewed; refuses other agents’ contacts, unknown contacts and other organizations (404)', async () => {
      const property = await create(agent);
      const contactId = await createCrmContact(stack, agent.accessToken, 'Viewer');
      const view = (body: Record<string, unknown>, session: Session) =>
        stack.http.post<{ id: string } & Problem>(`/v1/properties/${property.id}/views`, body, { token: session.accessToken });
      const response = await view({ contactId, source: 'website' }, agent);
      expect(response.status).toBe(201);
      const events = await outboxEvents<{ contactId: string; propertyId: string; viewId: string }>(stack, 'listings.property.viewed');
      expect(events.find((e) => e.data.viewId === response.body.id)).toMatchObject({
        subject: property.id,
        data: { contactId, propertyId: property.id, source: 'website' },
      });
      expect((await view({ contactId, source: 'agent' }, owner)).status).toBe(201);
      const byOtherAgent = await view({ contactId, source: 'agent' }, agent2);
      expect(byOtherAgent.status).toBe(404);
      expect(byOtherAgent.body.code).toBe('CONTACT_NOT_FOUND');
      expect((await view({ contactId: randomUUID(), source: 'agent' }, agent)).body.code).toBe('CONTACT_NOT_FOUND');
      expect((await view({ contactId, source: 'portal' }, otherOwner)).status).toBe(404);
      expect((await view({ contactId, source: 'tv' }, agent)).status).toBe(400);
      expect((await view({ contactId: 'x', source: 'portal' }, agent)).status).toBe(400);
    });
  });

  describe('PUT /v1/properties/:id/interests/:contactId and GET /v1/contact-listings', () => {
    it('keeps one interest per contact and listing, listed per contact and per listing; other agents and organizations are refused (404)', async () => {
      const a = await create(agent);
      const b = await create(agent);
      const contact = await createCrmContact(stack, agent.accessToken, 'Keen');
      const other = await createCrmContact(stack, agent.accessToken, 'Other');
      const put = (propertyId: string, contactId: string, body: Record<string, unknown>, session = agent) =>
        stack.http.request<{ preference: string; note: string | null } & Problem>(
          'PUT',
          `/v1/properties/${propertyId}/interests/${contactId}`,
          { token: session.accessToken, json: body },
        );
      expect((await put(a.id, contact, { preference: 'Favorite', note: 'Loves the porch' })).status).toBe(200);
      expect((await put(b.id, contact, { preference: 'Possibility' })).status).toBe(200);
      const changed = await put(a.id, contact, { preference: 'Discard', note: 'Too far from school' });
      expect(changed.body).toMatchObject({ preference: 'Discard', note: 'Too far from school' });
      expect((await put(a.id, other, { preference: 'Favorite' })).status).toBe(200);
      expect((await put(a.id, contact, { preference: 'Love' })).status).toBe(400);
      expect((await put(a.id, contact, { preference: 'Favorite' }, otherOwner)).status).toBe(404);
      expect((await put(a.id, contact, { preference: 'Favorite' }, agent2)).body.code).toBe('CONTACT_NOT_FOUND');
      const perContact = await stack.http.get<Page<{ propertyId: string; preference: string }>>(
        `/v1/contact-listings?contactId=${contact}`,
        { token: agent.accessToken },
      );
      expect(perContact.body.items.map((i) => [i.propertyId, i.preference])).toEqual([
        [a.id, 'Discard'],
        [b.id, 'Possibility'],
      ]);
      const perListing = await stack.http.get<Page<{ contactId: string }>>(`/v1/contact-listings?propertyId=${a.id}`, {
        token: agent.accessToken,
      });
      expect(perListing.body.items.map((i) => i.contactId).sort()).toEqual([contact, other].sort());
      expect((await stack.http.get(`/v1/contact-listings?contactId=${contact}`, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.get(`/v1/contact-listings?contactId=${contact}`, { token: agent2.accessToken })).status).toBe(404);
      expect((await stack.http.get('/v1/contact-listings', { token: agent.accessToken })).status).toBe(400);
      const events = await outboxEvents<{ contactId: string; propertyId: string; preference: string }>(
        stack,
        'listings.contact_listing.changed',
      );
      expect(events.filter((e) => e.data.contactId === contact && e.data.propertyId === a.id).map((e) => e.data.preference)).toEqual([
        'Favorite',
        'Discard',
      ]);
    });
  });

  describe('crm merges and erasures', () => {
    it('moves a merged contact’s interest, shares, views and saved searches to the survivor, and deletes them all when the contact is erased', async () => {
      const p1 = await create(agent);
      const p2 = await create(agent);
      const survivor = await createCrmContact(stack, owner.accessToken, 'Survivor');
      const merged = await createCrmContact(stack, owner.accessToken, 'Merged');
      const put = (propertyId: string, contactId: string, preference: string) =>
        stack.http.request('PUT', `/v1/properties/${propertyId}/interests/${contactId}`, {
          token: owner.accessToken,
          json: { preference },
        });
      expect((await put(p1.id, survivor, 'Favorite')).status).toBe(200);
      expect((await put(p1.id, merged, 'Discard')).status).toBe(200);
      expect((await put(p2.id, merged, 'Possibility')).status).toBe(200);
      expect((await stack.http.post(`/v1/properties/${p2.id}/shares`, { contactId: merged }, { token: owner.accessToken })).status).toBe(
        201,
      );
      expect(
        (await stack.http.post(`/v1/properties/${p2.id}/views`, { contactId: merged, source: 'agent' }, { token: owner.accessToken }))
          .status,
      ).toBe(201);
      expect(
        (await stack.http.post('/v1/saved-searches', { contactId: merged, name: 'Anything', filters: {} }, { token: owner.accessToken }))
          .status,
      ).toBe(201);
      expect((await stack.http.post(`/v1/contacts/${survivor}/merge`, { sourceId: merged }, { token: owner.accessToken })).status).toBe(
        200,
      );

      const interestOf = async (contactId: string) =>
        Object.fromEntries(
          (
            await stack.http.get<Page<{ propertyId: string; preference: string }>>(`/v1/contact-listings?contactId=${contactId}`, {
              token: owner.accessToken,
            })
          ).body.items.map((i) => [i.propertyId, i.preference]),
        );
      await until(async () => Object.keys(await interestOf(survivor)).length === 2);
      expect(await interestOf(survivor)).toEqual({ [p1.id]: 'Favorite', [p2.id]: 'Possibility' });
      const searches = await stack.http.get<Page<{ contactId: string }>>(`/v1/saved-searches?contactId=${survivor}`, {
        token: owner.accessToken,
      });
      expect(searches.body.items.map((i) => i.contactId)).toEqual([survivor]);

      const db = new Client({ connectionString: stack.env.LISTINGS_DATABASE_URL });
      await db.connect();
      const rowsOf = async (contactId: string) =>
        (
          await db.query<{ n: number }>(
            `SELECT (SELECT count(*) FROM listings.contact_listing WHERE contact_id = $1) + (SELECT count(*) FROM listings.property_share WHERE contact_id = $1)
                  + (SELECT count(*) FROM listings.property_view WHERE contact_id = $1) + (SELECT count(*) FROM listings.saved_search WHERE contact_id = $1)
                  + (SELECT count(*) FROM listings.saved_search_match WHERE contact_id = $1) AS n`,
            [contactId],
          )
        ).rows[0].n;
      try {
        expect(Number(await rowsOf(merged))).toBe(0);
        expect(Number(await rowsOf(survivor))).toBeGreaterThanOrEqual(5);
        expect((await stack.http.post(`/v1/contacts/${survivor}/erase`, {}, { token: owner.accessToken })).status).toBe(204);
        await until(async () => Number(await rowsOf(survivor)) === 0);
      } finally {
        await db.end();
      }
    });
  });

  describe('saved searches', () => {
    it('emits listings.search.matched once per contact and listing when a listing newly matches, not for listings matching at creation', async () => {
      const org = await registerOrganization(stack.http, 'Search Realty');
      const before = await create(org, { listingKey: 'S-before', city: 'Seattle', listPrice: 60_000_000, bedroomsTotal: 3 });
      const contact = await createCrmContact(stack, org.accessToken, 'Searcher');
      const area = [
        [
          [-122.4, 47.6],
          [-122.3, 47.6],
          [-122.3, 47.7],
          [-122.4, 47.7],
          [-122.4, 47.6],
        ],
      ];
      const saved = await stack.http.post<{ id: string } & Problem>(
        '/v1/saved-searches',
        {
          contactId: contact,
          name: 'Seattle 3 bed under 700k',
          filters: { standardStatus: ['Active'], maxPrice: 70_000_000, minBedrooms: 3 },
          geometry: { type: 'Polygon', coordinates: area },
        },
        { token: org.accessToken },
      );
      expect(saved.status).toBe(201);
      // A second search of the same contact that also matches: still one event per contact and listing.
      const anything = await stack.http.post<{ id: string }>(
        '/v1/saved-searches',
        { contactId: contact, name: 'Anything active', filters: { standardStatus: ['Active'] } },
        { token: org.accessToken },
      );
      const matching = await create(org, { listingKey: 'S-new', listPrice: 65_000_000, bedroomsTotal: 3 });
      const tooExpensive = await create(org, { listingKey: 'S-pricey', listPrice: 90_000_000, bedroomsTotal: 3 });
      const outside = await create(org, {
        listingKey: 'S-outside',
        listPrice: 65_000_000,
        bedroomsTotal: 3,
        latitude: 47.61,
        longitude: -122.2,
      });
      const matchesOf = async () =>
        (await outboxEvents<{ contactId: string; propertyId: string; savedSearchId: string }>(stack, 'listings.search.matched'))
          .filter((e) => e.data.contactId === contact)
          .map((e) => e.data.propertyId);
      const first = await matchesOf();
      expect(first).toContain(matching.id);
      expect(first).not.toContain(before.id);
      expect(first.filter((id) => id === matching.id)).toHaveLength(1);
      // Too expensive or outside the area: only "Anything active" matches them, once each.
      const searchOf = async (propertyId: string) =>
        (await outboxEvents<{ contactId: string; propertyId: string; savedSearchId: string }>(stack, 'listings.search.matched'))
          .filter((e) => e.data.propertyId === propertyId)
          .map((e) => e.data.savedSearchId);
      expect(await searchOf(matching.id)).toEqual([saved.body.id]);
      expect(await searchOf(tooExpensive.id)).toEqual([anything.body.id]);
      expect(await searchOf(outside.id)).toEqual([anything.body.id]);
      await stack.http.patch(`/v1/properties/${matching.id}`, { listPrice: 64_000_000 }, { token: org.accessToken });
      expect((await matchesOf()).filter((id) => id === matching.id)).toHaveLength(1);
      const list = await stack.http.get<Page<{ id: string }>>(`/v1/saved-searches?contactId=${contact}`, { token: org.accessToken });
      expect(list.body.items).toHaveLength(2);
      expect((await stack.http.get(`/v1/saved-searches?contactId=${contact}`, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.delete(`/v1/saved-searches/${saved.body.id}`, { token: otherOwner.accessToken })).status).toBe(404);
      const orgAgent = await createUser(stack.http, org, 'agent');
      expect(
        (
          await stack.http.post(
            '/v1/saved-searches',
            { contactId: contact, name: 'Not mine', filters: {} },
            { token: orgAgent.accessToken },
          )
        ).status,
      ).toBe(404);
      expect((await stack.http.delete(`/v1/saved-searches/${saved.body.id}`, { token: orgAgent.accessToken })).status).toBe(404);
      expect((await stack.http.get<Page<unknown>>('/v1/saved-searches', { token: orgAgent.accessToken })).body.items).toEqual([]);
      expect((await stack.http.delete(`/v1/saved-searches/${saved.body.id}`, { token: org.accessToken })).status).toBe(204);
      const lifecycle = (await outboxEvents<{ savedSearchId: string }>(stack)).filter(
        (e) => e.data.savedSearchId === saved.body.id && e.type.startsWith('listings.saved_search.'),
      );
      expect(lifecycle.map((e) => e.type)).toEqual(['listings.saved_search.created', 'listings.saved_search.deleted']);
      const bad = await stack.http.post<Problem>(
        '/v1/saved-searches',
        { contactId: contact, name: 'x', filters: {}, geometry: { type: 'Polygon', coordinates: [area[0].slice(0, 4)] } },
        { token: org.accessToken },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('INVALID_GEOMETRY');
    });
  });

  describe('client portal: listings shared with the client’s contact (docs/adr/0019)', () => {
    it('shows a client only marketed listings shared with their contact (share, interest, saved-search match); shares are for agents who can read the contact', async () => {
      const portal = await registerPortalClient(stack, owner.publicFormKey, 'Cleo');
      const listed = async () =>
        (await stack.http.get<Page<Property>>('/v1/properties?limit=100', { token: portal.accessToken })).body.items
          .map((p) => p.id)
          .sort();
      const shared = await create(agent, { listingKey: 'C-shared' });
      const liked = await create(agent, { listingKey: 'C-liked' });
      const notShared = await create(agent, { listingKey: 'C-other' });
      expect(await listed()).toEqual([]);

      const share = (propertyId: string, session: Session, contactId = portal.contactId) =>
        stack.http.post<{ propertyId: string; contactId: string; sharedAt: string } & Problem>(
          `/v1/properties/${propertyId}/shares`,
          { contactId },
          { token: session.accessToken },
        );
      const first = await share(shared.id, owner);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ propertyId: shared.id, contactId: portal.contactId });
      expect((await share(shared.id, owner)).body.sharedAt).toBe(first.body.sharedAt);
      expect(
        (await outboxEvents<{ contactId: string }>(stack, 'listings.property.shared')).filter((e) => e.subject === shared.id),
      ).toHaveLength(1);
      // The agent does not own the client's contact (crm answers 404), another organization neither, and a client cannot share.
      expect((await share(notShared.id, agent)).body.code).toBe('CONTACT_NOT_FOUND');
      expect((await share(notShared.id, otherOwner)).status).toBe(404);
      expect((await share(notShared.id, { accessToken: portal.accessToken } as Session)).status).toBe(403);

      const someone = await createCrmContact(stack, owner.accessToken, 'Someone');
      expect(
        (
          await stack.http.request('PUT', `/v1/properties/${liked.id}/interests/${portal.contactId}`, {
            token: owner.accessToken,
            json: { preference: 'Favorite' },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await stack.http.request('PUT', `/v1/properties/${liked.id}/interests/${someone}`, {
            token: owner.accessToken,
            json: { preference: 'Discard', note: 'private' },
          })
        ).status,
      ).toBe(200);
      const search = await stack.http.post<{ id: string }>(
        '/v1/saved-searches',
        { contactId: portal.contactId, name: 'Tacoma', filters: { city: 'Tacoma' } },
        { token: owner.accessToken },
      );
      expect(search.status).toBe(201);
      const matched = await create(agent, { listingKey: 'C-matched', city: 'Tacoma' });

      expect(await listed()).toEqual([shared.id, liked.id, matched.id].sort());
      expect((await stack.http.get(`/v1/properties/${notShared.id}`, { token: portal.accessToken })).status).toBe(404);
      const near = await stack.http.get<Page<Property>>('/v1/geo/radius-search?lat=47.6615&lng=-122.3503&radius=1000&limit=100', {
        token: portal.accessToken,
      });
      expect(near.body.items.map((p) => p.id).sort()).toEqual([shared.id, liked.id, matched.id].sort());
      // Per listing, the client sees only their own interest.
      const interest = await stack.http.get<Page<{ contactId: string }>>(`/v1/contact-listings?propertyId=${liked.id}`, {
        token: portal.accessToken,
      });
      expect(interest.body.items.map((i) => i.contactId)).toEqual([portal.contactId]);
      // Views and saved searches: only for the client's own contact.
      expect(
        (
          await stack.http.post(
            `/v1/properties/${shared.id}/views`,
            { contactId: portal.contactId, source: 'portal' },
            { token: portal.accessToken },
          )
        ).status,
      ).toBe(201);
      expect(
        (
          await stack.http.post(
            `/v1/properties/${shared.id}/views`,
            { contactId: someone, source: 'portal' },
            { token: portal.accessToken },
          )
        ).status,
      ).toBe(404);
      expect(
        (await stack.http.get<Page<{ id: string }>>('/v1/saved-searches', { token: portal.accessToken })).body.items.map((i) => i.id),
      ).toEqual([search.body.id]);

      // Off the market → hidden; share withdrawn → hidden.
      expect(
        (await stack.http.patch(`/v1/properties/${liked.id}`, { standardStatus: 'Withdrawn' }, { token: agent.accessToken })).status,
      ).toBe(200);
      expect((await stack.http.delete(`/v1/properties/${shared.id}/shares/${portal.contactId}`, { token: agent.accessToken })).status).toBe(
        404,
      );
      expect((await stack.http.delete(`/v1/properties/${shared.id}/shares/${portal.contactId}`, { token: owner.accessToken })).status).toBe(
        204,
      );
      expect(
        (await stack.http.delete<Problem>(`/v1/properties/${shared.id}/shares/${portal.contactId}`, { token: owner.accessToken })).body
          .code,
      ).toBe('SHARE_NOT_FOUND');
      expect(await listed()).toEqual([matched.id]);
    });
  });

  describe('MLS sync (RESO Web API pull)', () => {
    type Reso = Record<string, unknown> & { ListingKey: string; ModificationTimestamp: string };
    type Run = {
      status: string;
      pages: number;
      fetched: number;
      created: number;
      updated: number;
      unchanged: number;
      removed: number;
      failed: number;
      errors: Array<{ listingKey: string | null; reasons: string[] }>;
    };
    const records: Reso[] = [];
    const requests: URL[] = [];
    let failAtSkip: number | null = null;
    let server: Server;
    let base: string;
    let sourceId: string;

    const reso = (key: string, stamp: string, extra: Record<string, unknown> = {}): Reso => ({
      ListingKey: key,
      ListingId: `N-${key}`,
      StandardStatus: 'Active',
      PropertyType: 'Residential',
      ListPrice: 650000.0,
      City: 'Seattle',
      PostalCode: '98103',
      Latitude: 47.66,
      Longitude: -122.35,
      BedroomsTotal: 3,
      BathroomsTotalInteger: 2,
      LivingArea: 1700,
      ModificationTimestamp: stamp,
      ...extra,
    });

    beforeAll(async () => {
      // A RESO Web API stand-in: Property with $filter (ModificationTimestamp gt), $orderby, $top, $skip and @odata.nextLink.
      server = createServer((req, res) => {
        const url = new URL(req.url!, base);
        requests.push(url);
        if (req.headers.authorization !== 'Bearer mls-secret-token') {
          res.writeHead(401).end();
          return;
        }
        const filter = url.searchParams.get('$filter');
        const top = Number(url.searchParams.get('$top'));
        const skip = Number(url.searchParams.get('$skip') ?? 0);
        if (failAtSkip !== null && skip === failAtSkip) {
          res.writeHead(500).end();
          return;
        }
        const since = filter ? new Date(filter.replace('ModificationTimestamp gt ', '')) : null;
        const matching = records
          .filter((r) => !since || new Date(r.ModificationTimestamp) > since)
          .sort((a, b) => a.ModificationTimestamp.localeCompare(b.ModificationTimestamp));
        const body: Record<string, unknown> = { '@odata.context': `${base}/$metadata#Property`, value: matching.slice(skip, skip + top) };
        if (skip + top < matching.length) {
          const next = new URL(url.toString());
          next.searchParams.set('$skip', String(skip + top));
          body['@odata.nextLink'] = next.toString();
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reso`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    const sync = () => stack.http.post<Run & Problem>(`/v1/mls-sources/${sourceId}/sync`, {}, { token: owner.accessToken });

    it('configures a source with its token encrypted at rest; agents and other organizations cannot', async () => {
      const body = { name: 'Test MLS', baseUrl: base, accessToken: 'mls-secret-token', pageSize: 2 };
      expect((await stack.http.post('/v1/mls-sources', body, { token: agent.accessToken })).status).toBe(403);
      const created = await stack.http.post<{ id: string; accessToken?: string; highWaterMark: string | null }>('/v1/mls-sources', body, {
        token: owner.accessToken,
      });
      expect(created.status).toBe(201);
      expect(created.body.accessToken).toBeUndefined();
      expect(created.body.highWaterMark).toBeNull();
      sourceId = created.body.id;
      const db = new Client({ connectionString: stack.env.LISTINGS_DATABASE_URL });
      await db.connect();
      const stored = await db.query<{ credentials_ciphertext: string }>(
        'SELECT credentials_ciphertext FROM listings.mls_source WHERE id = $1',
        [sourceId],
      );
      await db.end();
      expect(stored.rows[0].credentials_ciphertext).toMatch(/^v1\./);
      expect(stored.rows[0].credentials_ciphertext).not.toContain('mls-secret-token');
      expect((await stack.http.post(`/v1/mls-sources/${sourceId}/sync`, {}, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.get(`/v1/mls-sources/${sourceId}/runs`, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.get<Page<unknown>>('/v1/mls-sources', { token: otherOwner.accessToken })).body.items).toEqual([]);
    });

    it('pulls every page following @odata.nextLink, then only what changed after the high-water mark: status changes, removals and refused records', async () => {
      records.push(
        reso('M1', '2026-01-01T00:00:01Z'),
        reso('M2', '2026-01-01T00:00:02Z', { StandardStatus: 'ActiveUnderContract' }),
        reso('M3', '2026-01-01T00:00:03Z'),
        reso('M4', '2026-01-01T00:00:04Z'),
        reso('M5', '2026-01-01T00:00:05Z'),
      );
      const first = await sync();
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ status: 'succeeded', pages: 3, fetched: 5, created: 5, updated: 0, failed: 0 });
      expect(requests[0].searchParams.get('$filter')).toBeNull();
      expect(requests[0].searchParams.get('$orderby')).toBe('ModificationTimestamp asc');
      expect(requests[0].searchParams.get('$top')).toBe('2');
      const listed = await stack.http.get<Page<Property>>('/v1/properties?limit=100', { token: owner.accessToken });
      const m2 = listed.body.items.find((p) => p.listingKey === 'M2')!;
      expect(m2).toMatchObject({ origin: 'mls', standardStatus: 'Active Under Contract', listPrice: 65_000_000, livingArea: 1700 });

      records.splice(
        1,
        2,
        reso('M2', '2026-01-02T00:00:00Z', { StandardStatus: 'Closed', ClosePrice: 640000, CloseDate: '2025-12-30' }),
        reso('M3', '2026-01-02T00:00:01Z', { StandardStatus: 'Delete' }),
      );
      records.push(reso('M6', '2026-01-02T00:00:02Z', { StandardStatus: 'Closed' }));
      requests.length = 0;
      const second = await sync();
      expect(requests[0].searchParams.get('$filter')).toBe('ModificationTimestamp gt 2026-01-01T00:00:05.000Z');
      expect(second.body).toMatchObject({ status: 'succeeded', fetched: 3, created: 0, updated: 1, removed: 1, failed: 1 });
      expect(second.body.errors).toEqual([
        {
          listingKey: 'M6',
          reasons: ['ClosePrice: is required when standardStatus is Closed', 'CloseDate: is required when standardStatus is Closed'],
        },
      ]);
      expect((await stack.http.get(`/v1/properties/${m2.id}`, { token: owner.accessToken })).body).toMatchObject({
        standardStatus: 'Closed',
        closePrice: 64_000_000,
      });
      const statusChanges = await outboxEvents<{ from: string; to: string }>(stack, 'listings.property.status_changed');
      expect(statusChanges.filter((e) => e.subject === m2.id).map((e) => [e.data.from, e.data.to])).toEqual([
        ['Active Under Contract', 'Closed'],
      ]);
      const afterRemoval = await stack.http.get<Page<Property>>('/v1/properties?limit=100', { token: owner.accessToken });
      expect(
        afterRemoval.body.items
          .map((p) => p.listingKey)
          .filter((k) => k.startsWith('M'))
          .sort(),
      ).toEqual(['M1', 'M2', 'M4', 'M5']);
    });

    it('records a failed run when a page fails, keeps what earlier pages committed, and resumes from that high-water mark', async () => {
      records.push(reso('M7', '2026-01-03T00:00:01Z'), reso('M8', '2026-01-03T00:00:02Z'), reso('M9', '2026-01-03T00:00:03Z'));
      failAtSkip = 2;
      const failed = await sync();
      expect(failed.body).toMatchObject({ status: 'failed', pages: 1, created: 2 });
      expect(failed.body.errors[0].reasons[0]).toMatch(/500/);
      failAtSkip = null;
      requests.length = 0;
      const resumed = await sync();
      expect(requests[0].searchParams.get('$filter')).toBe('ModificationTimestamp gt 2026-01-03T00:00:02.000Z');
      expect(resumed.body).toMatchObject({ status: 'succeeded', fetched: 1, created: 1 });
      const runs = await stack.http.get<Page<Run>>(`/v1/mls-sources/${sourceId}/runs`, { token: owner.accessToken });
      expect(runs.body.items.map((r) => r.status)).toEqual(['succeeded', 'failed', 'succeeded', 'succeeded']);
      const sources = await stack.http.get<Page<{ highWaterMark: string }>>('/v1/mls-sources', { token: owner.accessToken });
      expect(sources.body.items[0].highWaterMark).toBe('2026-01-03T00:00:03.000Z');
      const completed = await outboxEvents(stack, 'listings.mls_sync.completed');
      expect(completed.filter((e) => e.subject === sourceId)).toHaveLength(4);
    });

    const ciphertextOf = async (id: string) => {
      const db = new Client({ connectionString: stack.env.LISTINGS_DATABASE_URL });
      await db.connect();
      try {
        return (
          await db.query<{ credentials_ciphertext: string }>('SELECT credentials_ciphertext FROM listings.mls_source WHERE id = $1', [id])
        ).rows[0]?.credentials_ciphertext;
      } finally {
        await db.end();
      }
    };

    it('changes a source (a new service root clears the high-water mark, a new token is re-encrypted), disables and enables it; agents 403, other organizations 404', async () => {
      const patch = (body: Record<string, unknown>, session: Session = owner) =>
        stack.http.patch<{ name: string; pageSize: number; enabled: boolean; highWaterMark: string | null } & Problem>(
          `/v1/mls-sources/${sourceId}`,
          body,
          { token: session.accessToken },
        );
      expect((await patch({ name: 'Renamed' }, agent)).status).toBe(403);
      expect((await patch({ name: 'Renamed' }, otherOwner)).status).toBe(404);
      expect((await patch({ pageSize: 0 })).status).toBe(400);
      const tokenBefore = await ciphertextOf(sourceId);
      const renamed = await patch({ name: 'Renamed MLS', pageSize: 3, accessToken: 'mls-secret-token' });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: 'Renamed MLS', pageSize: 3, enabled: true, highWaterMark: '2026-01-03T00:00:03.000Z' });
      expect(await ciphertextOf(sourceId)).not.toBe(tokenBefore);
      const updates = (await outboxEvents<{ changes: string[] }>(stack, 'listings.mls_source.updated')).filter(
        (e) => e.subject === sourceId,
      );
      expect(updates.map((e) => e.data.changes)).toEqual([['name', 'pageSize', 'accessToken']]);

      const disabled = await stack.http.post<{ enabled: boolean }>(`/v1/mls-sources/${sourceId}/disable`, {}, { token: owner.accessToken });
      expect(disabled.body.enabled).toBe(false);
      expect((await stack.http.post(`/v1/mls-sources/${sourceId}/disable`, {}, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.post(`/v1/mls-sources/${sourceId}/enable`, {}, { token: agent.accessToken })).status).toBe(403);
      const refused = await sync();
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('MLS_SOURCE_DISABLED');
      expect(
        (await stack.http.post<{ enabled: boolean }>(`/v1/mls-sources/${sourceId}/enable`, {}, { token: owner.accessToken })).body.enabled,
      ).toBe(true);

      const moved = await patch({ baseUrl: `${base}/v2` });
      expect(moved.body.highWaterMark).toBeNull();
      requests.length = 0;
      const fromScratch = await sync();
      expect(fromScratch.body).toMatchObject({ status: 'succeeded', fetched: 9, created: 0, updated: 0 });
      expect(requests[0].pathname).toBe('/reso/v2/Property');
      expect(requests[0].searchParams.get('$filter')).toBeNull();
    });

    it('re-encrypts the token under a new active key of LISTINGS_ENCRYPTION_KEYS after a restart, and pulls still authenticate', async () => {
      expect(await ciphertextOf(sourceId)).not.toMatch(/^v1\.rotated\./);
      await stack.stopService('listings');
      stack.env.LISTINGS_ENCRYPTION_KEYS = `rotated:${randomBytes(32).toString('base64')},${stack.env.LISTINGS_ENCRYPTION_KEYS ?? DEVELOPMENT_LISTINGS_KEYRING}`;
      // The contact events consumer (group `listings.contacts`) rejoins in the background: the
      // service answers at once even while the mock broker still holds the stopped member (~30 s).
      await stack.startService('listings');
      await until(async () => (await ciphertextOf(sourceId))?.startsWith('v1.rotated.') ?? false);
      const updates = (await outboxEvents<{ changes: string[] }>(stack, 'listings.mls_source.updated')).filter(
        (e) => e.subject === sourceId,
      );
      expect(updates[updates.length - 1].data.changes).toEqual(['credentialsKey']);
      records.push(reso('M10', '2026-01-04T00:00:00Z'));
      const after = await sync();
      expect(after.body).toMatchObject({ status: 'succeeded', created: 1 });
    });

    it('deletes a source with its runs; its listings stay; agents 403, other organizations 404', async () => {
      expect((await stack.http.delete(`/v1/mls-sources/${sourceId}`, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.delete(`/v1/mls-sources/${sourceId}`, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.delete(`/v1/mls-sources/${sourceId}`, { token: owner.accessToken })).status).toBe(204);
      expect((await stack.http.delete(`/v1/mls-sources/${sourceId}`, { token: owner.accessToken })).status).toBe(404);
      expect((await stack.http.get(`/v1/mls-sources/${sourceId}/runs`, { token: owner.accessToken })).status).toBe(404);
      expect((await stack.http.get<Page<unknown>>('/v1/mls-sources', { token: owner.accessToken })).body.items).toEqual([]);
      const listed = await stack.http.get<Page<Property>>('/v1/properties?limit=100', { token: owner.accessToken });
      expect(
        listed.body.items
          .filter((p) => p.origin === 'mls' && p.listingKey.startsWith('M'))
          .map((p) => p.listingKey)
          .sort(),
      ).toEqual(['M1', 'M10', 'M2', 'M4', 'M5', 'M7', 'M8', 'M9']);
      expect((await outboxEvents(stack, 'listings.mls_source.deleted')).filter((e) => e.subject === sourceId)).toHaveLength(1);
    });
  });

  describe('POST /v1/webhooks/mls', () => {
    it('accepts RESO records with an API key holding listings:write, answers failures by index, and is idempotent', async () => {
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
          { ListingKey: 'W2', StandardStatus: 'Sold', ModificationTimestamp: '2026-02-01T10:00:00Z' },
          { ListingKey: 'M1', StandardStatus: 'Delete', ModificationTimestamp: '2026-02-01T10:00:00Z' },
        ],
      };
      const first = await stack.http.post<Record<string, unknown>>('/v1/webhooks/mls', batch, { apiKey: key.body.key });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ received: 3, created: 1, updated: 0, removed: 1 });
      expect(first.body.failed).toEqual([{ index: 1, listingKey: 'W2', reasons: [expect.stringContaining('StandardStatus')] }]);
      const again = await stack.http.post<Record<string, unknown>>('/v1/webhooks/mls', batch, { apiKey: key.body.key });
      expect(again.body).toMatchObject({ received: 3, created: 0, updated: 0, unchanged: 2, removed: 0 });
      const listed = await stack.http.get<Page<Property>>('/v1/properties?city=Kent', { token: owner.accessToken });
      expect(listed.body.items.map((p) => [p.listingKey, p.listPrice, p.origin])).toEqual([['W1', 42_500_050, 'mls']]);
      expect((await stack.http.post('/v1/webhooks/mls', batch, { apiKey: readOnly.body.key })).status).toBe(403);
      expect((await stack.http.post('/v1/webhooks/mls', batch, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/webhooks/mls', { value: 'x' }, { apiKey: key.body.key })).status).toBe(400);
      const foreign = await stack.http.get<Page<Property>>('/v1/properties?city=Kent', { token: otherOwner.accessToken });
      expect(foreign.body.items).toEqual([]);
    });

    it('keeps the RESO statuses Hold and Incomplete as received; agents may put a listing on Hold and back', async () => {
      const key = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'MLS partner 2', scopes: ['listings:write:org'] },
        { token: owner.accessToken },
      );
      const pushed = await stack.http.post<Record<string, unknown>>(
        '/v1/webhooks/mls',
        {
          value: [
            { ListingKey: 'H1', StandardStatus: 'Hold', ListPrice: 500000, City: 'Renton', ModificationTimestamp: '2026-02-02T10:00:00Z' },
            { ListingKey: 'I1', StandardStatus: 'Incomplete', City: 'Renton', ModificationTimestamp: '2026-02-02T10:00:00Z' },
          ],
        },
        { apiKey: key.body.key },
      );
      expect(pushed.body).toMatchObject({ received: 2, created: 2, failed: [] });
      const held = await stack.http.get<Page<Property>>('/v1/properties?city=Renton&standardStatus=Hold,Incomplete', {
        token: owner.accessToken,
      });
      expect(held.body.items.map((p) => [p.listingKey, p.standardStatus]).sort()).toEqual([
        ['H1', 'Hold'],
        ['I1', 'Incomplete'],
      ]);
      const mine = await create(agent);
      expect((await stack.http.patch(`/v1/properties/${mine.id}`, { standardStatus: 'Hold' }, { token: agent.accessToken })).status).toBe(
        200,
      );
      expect(
        (await stack.http.patch<Problem>(`/v1/properties/${mine.id}`, { standardStatus: 'Pending' }, { token: agent.accessToken })).body
          .code,
      ).toBe('INVALID_STATUS_TRANSITION');
      expect((await stack.http.patch(`/v1/properties/${mine.id}`, { standardStatus: 'Active' }, { token: agent.accessToken })).status).toBe(
        200,
      );
    });
  });
});
