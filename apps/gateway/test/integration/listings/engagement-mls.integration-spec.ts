import { randomUUID } from 'node:crypto';
import { createUser, registerOrganization, type Session } from '../../support/fixtures';
import { outboxEvents, propertyBody, type Page, type Problem, type Property } from '../../support/listings-fixtures';
import { startStack, type TestStack } from '../../support/stack';

describe('Listings: views, interest, saved searches and MLS sync through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let otherOwner: Session;
  let agent: Session;
  let client: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['listings'] });
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
    otherOwner = await registerOrganization(stack.http, 'Rival Realty');
    agent = await createUser(stack.http, owner, 'agent');
    client = await createUser(stack.http, owner, 'client');
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
    it('records a contact’s view and emits listings.property.viewed with contactId and propertyId', async () => {
      const property = await create(agent);
      const contactId = randomUUID();
      const response = await stack.http.post<{ id: string; viewedAt: string }>(
        `/v1/properties/${property.id}/views`,
        { contactId, source: 'portal' },
        { token: client.accessToken },
      );
      expect(response.status).toBe(201);
      const events = await outboxEvents<{ contactId: string; propertyId: string; viewId: string }>(stack, 'listings.property.viewed');
      expect(events.find((e) => e.data.viewId === response.body.id)).toMatchObject({ subject: property.id, data: { contactId, propertyId: property.id, source: 'portal' } });
    });

    it('refuses another organization (404), a bad source or contact id (400)', async () => {
      const property = await create(agent);
      expect((await stack.http.post(`/v1/properties/${property.id}/views`, { contactId: randomUUID(), source: 'portal' }, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.post(`/v1/properties/${property.id}/views`, { contactId: randomUUID(), source: 'tv' }, { token: agent.accessToken })).status).toBe(400);
      expect((await stack.http.post(`/v1/properties/${property.id}/views`, { contactId: 'x', source: 'portal' }, { token: agent.accessToken })).status).toBe(400);
    });
  });

  describe('PUT /v1/properties/:id/interests/:contactId and GET /v1/contact-listings', () => {
    it('keeps one interest per contact and listing, listed per contact and per listing; another organization sees none', async () => {
      const a = await create(agent);
      const b = await create(agent);
      const contact = randomUUID();
      const other = randomUUID();
      const put = (propertyId: string, contactId: string, body: Record<string, unknown>, session = agent) =>
        stack.http.request<{ preference: string; note: string | null } & Problem>('PUT', `/v1/properties/${propertyId}/interests/${contactId}`, { token: session.accessToken, json: body });
      expect((await put(a.id, contact, { preference: 'Favorite', note: 'Loves the porch' })).status).toBe(200);
      expect((await put(b.id, contact, { preference: 'Possibility' })).status).toBe(200);
      const changed = await put(a.id, contact, { preference: 'Discard', note: 'Too far from school' });
      expect(changed.body).toMatchObject({ preference: 'Discard', note: 'Too far from school' });
      expect((await put(a.id, other, { preference: 'Favorite' })).status).toBe(200);
      expect((await put(a.id, contact, { preference: 'Love' })).status).toBe(400);
      expect((await put(a.id, contact, { preference: 'Favorite' }, otherOwner)).status).toBe(404);
      const perContact = await stack.http.get<Page<{ propertyId: string; preference: string }>>(`/v1/contact-listings?contactId=${contact}`, { token: agent.accessToken });
      expect(perContact.body.items.map((i) => [i.propertyId, i.preference])).toEqual([[a.id, 'Discard'], [b.id, 'Possibility']]);
      const perListing = await stack.http.get<Page<{ contactId: string }>>(`/v1/contact-listings?propertyId=${a.id}`, { token: agent.accessToken });
      expect(perListing.body.items.map((i) => i.contactId).sort()).toEqual([contact, other].sort());
      const foreign = await stack.http.get<Page<unknown>>(`/v1/contact-listings?contactId=${contact}`, { token: otherOwner.accessToken });
      expect(foreign.body.items).toEqual([]);
      expect((await stack.http.get('/v1/contact-listings', { token: agent.accessToken })).status).toBe(400);
      const events = await outboxEvents<{ contactId: string; propertyId: string; preference: string }>(stack, 'listings.contact_listing.changed');
      expect(events.filter((e) => e.data.contactId === contact && e.data.propertyId === a.id).map((e) => e.data.preference)).toEqual(['Favorite', 'Discard']);
    });
  });

  describe('saved searches', () => {
    it('emits listings.search.matched once per contact and listing when a listing newly matches, not for listings matching at creation', async () => {
      const org = await registerOrganization(stack.http, 'Search Realty');
      const before = await create(org, { listingKey: 'S-before', city: 'Seattle', listPrice: 60_000_000, bedroomsTotal: 3 });
      const contact = randomUUID();
      const area = [[[-122.40, 47.60], [-122.30, 47.60], [-122.30, 47.70], [-122.40, 47.70], [-122.40, 47.60]]];
      const saved = await stack.http.post<{ id: string } & Problem>(
        '/v1/saved-searches',
        { contactId: contact, name: 'Seattle 3 bed under 700k', filters: { standardStatus: ['Active'], maxPrice: 70_000_000, minBedrooms: 3 }, geometry: { type: 'Polygon', coordinates: area } },
        { token: org.accessToken },
      );
      expect(saved.status).toBe(201);
      // A second search of the same contact that also matches: still one event per contact and listing.
      const anything = await stack.http.post<{ id: string }>('/v1/saved-searches', { contactId: contact, name: 'Anything active', filters: { standardStatus: ['Active'] } }, { token: org.accessToken });
      const matching = await create(org, { listingKey: 'S-new', listPrice: 65_000_000, bedroomsTotal: 3 });
      const tooExpensive = await create(org, { listingKey: 'S-pricey', listPrice: 90_000_000, bedroomsTotal: 3 });
      const outside = await create(org, { listingKey: 'S-outside', listPrice: 65_000_000, bedroomsTotal: 3, latitude: 47.61, longitude: -122.2 });
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
      expect((await stack.http.get<Page<unknown>>(`/v1/saved-searches?contactId=${contact}`, { token: otherOwner.accessToken })).body.items).toEqual([]);
      expect((await stack.http.delete(`/v1/saved-searches/${saved.body.id}`, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.delete(`/v1/saved-searches/${saved.body.id}`, { token: org.accessToken })).status).toBe(204);
      const bad = await stack.http.post<Problem>('/v1/saved-searches', { contactId: contact, name: 'x', filters: {}, geometry: { type: 'Polygon', coordinates: [area[0].slice(0, 4)] } }, { token: org.accessToken });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('INVALID_GEOMETRY');
    });
  });
});
