import { createUser, login, registerOrganization, type Session } from '../../support/fixtures';
import { outboxEvents, propertyBody, type Page, type Problem, type Property } from '../../support/listings-fixtures';
import { startStack, type TestStack } from '../../support/stack';

describe('Listings: properties through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let otherOwner: Session;
  let manager: Session;
  let agentA: Session;
  let agentB: Session;
  let client: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['listings'] });
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
    otherOwner = await registerOrganization(stack.http, 'Rival Realty');
    manager = await createUser(stack.http, owner, 'manager');
    agentA = await createUser(stack.http, owner, 'agent');
    agentB = await createUser(stack.http, owner, 'agent');
    client = await createUser(stack.http, owner, 'client');
    await stack.http.post(
      '/v1/teams',
      { name: 'North', managerId: manager.userId, memberIds: [agentA.userId] },
      { token: owner.accessToken },
    );
    manager = await login(stack.http, manager.email);
    agentA = await login(stack.http, agentA.email);
  });

  afterAll(async () => {
    await stack.stop();
  });

  const create = (session: Session, overrides: Record<string, unknown> = {}) =>
    stack.http.post<Property & Problem>('/v1/properties', propertyBody(overrides), { token: session.accessToken });

  describe('POST /v1/properties', () => {
    it('creates a listing in cents with RESO names, the caller as list agent, and a listings.property.created event', async () => {
      const response = await create(agentA, {
        listingId: 'NWMLS-1001',
        media: [
          { url: 'https://cdn.example/2.jpg', order: 2 },
          { url: 'https://cdn.example/1.jpg', order: 1, caption: 'Front' },
        ],
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        orgId: owner.orgId,
        listingId: 'NWMLS-1001',
        standardStatus: 'Active',
        listPrice: 75_000_000,
        city: 'Seattle',
        postalCode: '98103',
        latitude: 47.6615,
        longitude: -122.3503,
        livingArea: 1800,
        listAgentId: agentA.userId,
        origin: 'manual',
        unparsedAddress: '4512 Fremont Ave N',
      });
      expect(response.body.media.map((m) => m.url)).toEqual(['https://cdn.example/1.jpg', 'https://cdn.example/2.jpg']);
      expect(response.body.listingKey).toMatch(/^KH-/);
      const events = await outboxEvents<{ propertyId: string; listPrice: number }>(stack, 'listings.property.created');
      const event = events.find((e) => e.subject === response.body.id)!;
      expect(event).toMatchObject({
        orgid: owner.orgId,
        actorid: agentA.userId,
        data: { propertyId: response.body.id, listPrice: 75_000_000 },
      });
    });

    it('refuses unknown fields, fractional cents, half coordinates and a Closed listing without closePrice/closeDate', async () => {
      expect((await create(agentA, { bogus: 1 })).status).toBe(400);
      const cents = await create(agentA, { listPrice: 100.5 });
      expect(cents.status).toBe(400);
      expect(cents.body.errors!.map((e) => e.field)).toContain('listPrice');
      const half = await create(agentA, { longitude: null });
      expect(half.status).toBe(400);
      expect(half.body.errors!.map((e) => e.field)).toContain('latitude');
      const closed = await create(agentA, { standardStatus: 'Closed' });
      expect(closed.status).toBe(400);
      expect(closed.body.code).toBe('CLOSED_NEEDS_CLOSE_PRICE_AND_DATE');
      expect(closed.body.errors!.map((e) => e.field).sort()).toEqual(['closeDate', 'closePrice']);
      const future = await create(agentA, { standardStatus: 'Closed', closePrice: 1, closeDate: '2999-01-01' });
      expect(future.status).toBe(400);
    });

    it('answers 409 LISTING_KEY_TAKEN for a ListingKey used twice in one organization, but another organization may use it', async () => {
      expect((await create(agentA, { listingKey: 'DUP-1' })).status).toBe(201);
      const again = await create(agentB, { listingKey: 'DUP-1' });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('LISTING_KEY_TAKEN');
      expect((await create(otherOwner, { listingKey: 'DUP-1' })).status).toBe(201);
    });

    it('lets an agent list only under their own name, a manager for their team, an admin for anyone in the organization', async () => {
      const forOther = await create(agentA, { listAgentId: agentB.userId });
      expect(forOther.status).toBe(403);
      expect(forOther.body.code).toBe('NOT_LIST_AGENT');
      expect((await create(manager, { listAgentId: agentA.userId })).status).toBe(201);
      expect((await create(manager, { listAgentId: agentB.userId })).status).toBe(403);
      expect((await create(owner, { listAgentId: agentB.userId })).status).toBe(201);
      const foreign = await create(owner, { listAgentId: otherOwner.userId });
      expect(foreign.status).toBe(422);
      expect(foreign.body.code).toBe('UNKNOWN_LIST_AGENT');
      expect((await create(client)).status).toBe(403);
    });
  });

  describe('GET /v1/properties/:id and PATCH', () => {
    it('shows a listing to everyone of the organization, 404 to another organization', async () => {
      const created = (await create(agentA)).body;
      for (const session of [agentB, manager, owner]) {
        expect((await stack.http.get(`/v1/properties/${created.id}`, { token: session.accessToken })).status).toBe(200);
      }
      const foreign = await stack.http.get<Problem>(`/v1/properties/${created.id}`, { token: otherOwner.accessToken });
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('PROPERTY_NOT_FOUND');
      expect((await stack.http.get('/v1/properties/not-a-uuid', { token: owner.accessToken })).status).toBe(400);
    });

    it('shows a client without a linked crm contact no listing, not even an active one (the narrow rule; sharing is tested with crm in engagement-mls)', async () => {
      const active = (await create(agentA)).body;
      expect((await stack.http.get(`/v1/properties/${active.id}`, { token: owner.accessToken })).status).toBe(200);
      expect((await stack.http.get(`/v1/properties/${active.id}`, { token: client.accessToken })).status).toBe(404);
      const list = await stack.http.get<Page<Property>>('/v1/properties?limit=100', { token: client.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.items).toEqual([]);
    });

    it('lets the list agent, their manager and an admin change it; refuses another agent (403) and another organization (404)', async () => {
      const created = (await create(agentA)).body;
      const byOther = await stack.http.patch<Problem>(`/v1/properties/${created.id}`, { listPrice: 1 }, { token: agentB.accessToken });
      expect(byOther.status).toBe(403);
      expect(byOther.body.code).toBe('NOT_LIST_AGENT');
      expect((await stack.http.patch(`/v1/properties/${created.id}`, { listPrice: 1 }, { token: otherOwner.accessToken })).status).toBe(
        404,
      );
      expect((await stack.http.patch(`/v1/properties/${created.id}`, { listPrice: 1 }, { token: client.accessToken })).status).toBe(403);
      expect(
        (await stack.http.patch(`/v1/properties/${created.id}`, { listPrice: 74_000_000 }, { token: agentA.accessToken })).status,
      ).toBe(200);
      expect(
        (await stack.http.patch(`/v1/properties/${created.id}`, { listPrice: 73_000_000 }, { token: manager.accessToken })).status,
      ).toBe(200);
      const byAdmin = await stack.http.patch<Property>(
        `/v1/properties/${created.id}`,
        { listPrice: 72_000_000 },
        { token: owner.accessToken },
      );
      expect(byAdmin.body.listPrice).toBe(72_000_000);
      const ofB = (await create(agentB)).body;
      expect((await stack.http.patch(`/v1/properties/${ofB.id}`, { listPrice: 1 }, { token: manager.accessToken })).status).toBe(403);
      const updated = await outboxEvents<{ propertyId: string; changes: Record<string, unknown> }>(stack, 'listings.property.updated');
      expect(updated.filter((e) => e.subject === created.id).map((e) => e.data.changes)).toEqual([
        { listPrice: { from: 75_000_000, to: 74_000_000 } },
        { listPrice: { from: 74_000_000, to: 73_000_000 } },
        { listPrice: { from: 73_000_000, to: 72_000_000 } },
      ]);
    });

    it('walks the RESO status table: Active → Pending → Closed (with closePrice and closeDate), each a status_changed event; Closed is final', async () => {
      const created = (await create(agentA)).body;
      const expired = await stack.http.patch<Problem>(
        `/v1/properties/${created.id}`,
        { standardStatus: 'Expired' },
        { token: agentA.accessToken },
      );
      expect(expired.status).toBe(200);
      const back = await stack.http.patch<Problem>(
        `/v1/properties/${created.id}`,
        { standardStatus: 'Active' },
        { token: agentA.accessToken },
      );
      expect(back.status).toBe(200);
      const skip = await stack.http.patch<Problem>(
        `/v1/properties/${created.id}`,
        { standardStatus: 'Closed', closePrice: 1, closeDate: '2026-01-01' },
        { token: agentA.accessToken },
      );
      expect(skip.status).toBe(422);
      expect(skip.body.code).toBe('INVALID_STATUS_TRANSITION');
      expect(
        (await stack.http.patch(`/v1/properties/${created.id}`, { standardStatus: 'Pending' }, { token: agentA.accessToken })).status,
      ).toBe(200);
      const noPrice = await stack.http.patch<Problem>(
        `/v1/properties/${created.id}`,
        { standardStatus: 'Closed' },
        { token: agentA.accessToken },
      );
      expect(noPrice.status).toBe(400);
      expect(noPrice.body.code).toBe('CLOSED_NEEDS_CLOSE_PRICE_AND_DATE');
      const closed = await stack.http.patch<Property>(
        `/v1/properties/${created.id}`,
        { standardStatus: 'Closed', closePrice: 74_500_000, closeDate: '2026-01-15' },
        { token: agentA.accessToken },
      );
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({ standardStatus: 'Closed', closePrice: 74_500_000, closeDate: '2026-01-15' });
      const reopen = await stack.http.patch<Problem>(
        `/v1/properties/${created.id}`,
        { standardStatus: 'Active' },
        { token: owner.accessToken },
      );
      expect(reopen.status).toBe(422);
      const changes = (
        await outboxEvents<{ from: string; to: string; closePrice: number | null }>(stack, 'listings.property.status_changed')
      )
        .filter((e) => e.subject === created.id)
        .map((e) => [e.data.from, e.data.to, e.data.closePrice]);
      expect(changes).toEqual([
        ['Active', 'Expired', null],
        ['Expired', 'Active', null],
        ['Active', 'Pending', null],
        ['Pending', 'Closed', 74_500_000],
      ]);
    });
  });

  describe('DELETE /v1/properties/:id', () => {
    it('soft-deletes for the list agent (then 404, event listings.property.deleted); refuses another agent and another organization', async () => {
      const created = (await create(agentA)).body;
      expect((await stack.http.delete(`/v1/properties/${created.id}`, { token: agentB.accessToken })).status).toBe(403);
      expect((await stack.http.delete(`/v1/properties/${created.id}`, { token: otherOwner.accessToken })).status).toBe(404);
      expect((await stack.http.delete(`/v1/properties/${created.id}`, { token: agentA.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/properties/${created.id}`, { token: agentA.accessToken })).status).toBe(404);
      const deleted = await outboxEvents(stack, 'listings.property.deleted');
      expect(deleted.map((e) => e.subject)).toContain(created.id);
    });
  });

  describe('GET /v1/properties', () => {
    it('filters by status, type, price, beds, baths, living area, city, ZIP, list agent and modified since; sorts; pages with a cursor', async () => {
      const org = await registerOrganization(stack.http, 'Filter Realty');
      const specs = [
        {
          listingKey: 'F1',
          listPrice: 40_000_000,
          bedroomsTotal: 2,
          bathroomsTotalInteger: 1,
          livingArea: 900,
          city: 'Seattle',
          postalCode: '98103',
        },
        {
          listingKey: 'F2',
          listPrice: 60_000_000,
          bedroomsTotal: 3,
          bathroomsTotalInteger: 2,
          livingArea: 1500,
          city: 'Seattle',
          postalCode: '98107',
        },
        {
          listingKey: 'F3',
          listPrice: 80_000_000,
          bedroomsTotal: 4,
          bathroomsTotalInteger: 3,
          livingArea: 2500,
          city: 'Bellevue',
          postalCode: '98004',
        },
        {
          listingKey: 'F4',
          listPrice: 120_000_000,
          bedroomsTotal: 5,
          bathroomsTotalInteger: 4,
          livingArea: 3500,
          city: 'bellevue',
          postalCode: '98004',
          propertyType: 'Land',
        },
        {
          listingKey: 'F5',
          listPrice: 50_000_000,
          bedroomsTotal: 3,
          bathroomsTotalInteger: 2,
          livingArea: 1400,
          city: 'Seattle',
          postalCode: '98103',
          standardStatus: 'Pending',
        },
      ];
      for (const spec of specs) expect((await create(org, spec)).status).toBe(201);
      const keys = async (query: string) => {
        const response = await stack.http.get<Page<Property>>(`/v1/properties?${query}`, { token: org.accessToken });
        expect(response.status).toBe(200);
        return response.body.items.map((p) => p.listingKey);
      };
      expect(await keys('sort=price')).toEqual(['F1', 'F5', 'F2', 'F3', 'F4']);
      expect(await keys('sort=-price')).toEqual(['F4', 'F3', 'F2', 'F5', 'F1']);
      expect(await keys('standardStatus=Pending&sort=price')).toEqual(['F5']);
      expect(await keys('standardStatus=Active,Pending&propertyType=Residential&sort=price')).toEqual(['F1', 'F5', 'F2', 'F3']);
      expect(await keys('minPrice=50000000&maxPrice=80000000&sort=price')).toEqual(['F5', 'F2', 'F3']);
      expect(await keys('minBedrooms=3&maxBedrooms=4&sort=price')).toEqual(['F5', 'F2', 'F3']);
      expect(await keys('minBathrooms=3&sort=price')).toEqual(['F3', 'F4']);
      expect(await keys('minLivingArea=1400&maxLivingArea=2500&sort=price')).toEqual(['F5', 'F2', 'F3']);
      expect(await keys('city=BELLEVUE&sort=price')).toEqual(['F3', 'F4']);
      expect(await keys('postalCode=98103&sort=price')).toEqual(['F1', 'F5']);
      expect(await keys(`listAgentId=${org.userId}&sort=price`)).toHaveLength(5);
      expect(await keys('modifiedSince=2999-01-01T00:00:00Z')).toEqual([]);
      const first = await stack.http.get<Page<Property>>('/v1/properties?sort=price&limit=2', { token: org.accessToken });
      expect(first.body.items.map((p) => p.listingKey)).toEqual(['F1', 'F5']);
      const second = await stack.http.get<Page<Property>>(`/v1/properties?sort=price&limit=2&cursor=${first.body.nextCursor}`, {
        token: org.accessToken,
      });
      expect(second.body.items.map((p) => p.listingKey)).toEqual(['F2', 'F3']);
      const bad = await stack.http.get<Problem>('/v1/properties?cursor=garbage', { token: org.accessToken });
      expect(bad.status).toBe(400);
      expect((await stack.http.get('/v1/properties?standardStatus=Sold', { token: org.accessToken })).status).toBe(400);
      expect((await stack.http.get('/v1/properties?sort=bedrooms', { token: org.accessToken })).status).toBe(400);
      const others = await stack.http.get<Page<Property>>('/v1/properties?limit=100', { token: otherOwner.accessToken });
      expect(others.body.items.every((p) => p.orgId === otherOwner.orgId)).toBe(true);
    });
  });
});
