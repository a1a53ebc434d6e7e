import { propertyBody, refusalOf } from '@keyhouse/testing';
import { ListingsPropertySubjects as S, type Actor, type PropertyCreateRequest, type PropertyListRequest } from '@keyhouse/contracts';
import { newId } from '@keyhouse/util';
import { startListingsService, type ListingsTestService } from '../support/listings-service.fixture';

/** Properties (`listings.properties.*`) on the listings service alone: access rules, status table, events, list filters. */
describe('listings properties (listings service over NATS)', () => {
  let listings: ListingsTestService;
  let owner: Actor;
  let otherOwner: Actor;
  let manager: Actor;
  let agentA: Actor;
  let agentB: Actor;
  let client: Actor;

  beforeAll(async () => {
    listings = await startListingsService();
    owner = listings.owner();
    otherOwner = listings.owner();
    const north = newId();
    manager = listings.user(owner.orgId, 'manager', { teamIds: [north] });
    agentA = listings.user(owner.orgId, 'agent', { teamIds: [north] });
    agentB = listings.user(owner.orgId, 'agent');
    client = listings.user(owner.orgId, 'client');
  });

  afterAll(async () => {
    await listings?.stop();
  });

  const create = (actor: Actor, overrides: Partial<PropertyCreateRequest> = {}) =>
    listings.rpc.call(S.create, propertyBody(overrides), actor);

  describe('create', () => {
    it('creates a listing in cents with RESO names, the caller as list agent, and a listings.property.created event', async () => {
      const created = await create(agentA, {
        listingId: 'NWMLS-1001',
        media: [
          { url: 'https://cdn.example/2.jpg', order: 2 },
          { url: 'https://cdn.example/1.jpg', order: 1, caption: 'Front' },
        ],
      });
      expect(created).toMatchObject({
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
      expect(created.media.map((m) => m.url)).toEqual(['https://cdn.example/1.jpg', 'https://cdn.example/2.jpg']);
      expect(created.listingKey).toMatch(/^KH-/);
      const events = await listings.outboxEvents<{ propertyId: string; listPrice: number }>('listings.property.created');
      const event = events.find((e) => e.subject === created.id)!;
      expect(event).toMatchObject({
        orgid: owner.orgId,
        actorid: agentA.userId,
        data: { propertyId: created.id, listPrice: 75_000_000 },
      });
    });

    it('refuses fractional cents, half coordinates, a future close and a Closed listing without closePrice/closeDate', async () => {
      await expect(create(agentA, { listPrice: 100.5 })).rejects.toMatchObject({
        kind: 'validation',
        errors: expect.arrayContaining([expect.objectContaining({ field: 'listPrice' })]),
      });
      await expect(create(agentA, { longitude: null })).rejects.toMatchObject({
        kind: 'validation',
        errors: expect.arrayContaining([expect.objectContaining({ field: 'latitude' })]),
      });
      const closed = await refusalOf(create(agentA, { standardStatus: 'Closed' }));
      expect(closed).toMatchObject({ kind: 'validation', code: 'CLOSED_NEEDS_CLOSE_PRICE_AND_DATE' });
      expect(closed.errors!.map((e) => e.field).sort()).toEqual(['closeDate', 'closePrice']);
      await expect(create(agentA, { standardStatus: 'Closed', closePrice: 1, closeDate: '2999-01-01' })).rejects.toMatchObject({
        kind: 'validation',
      });
    });

    it('refuses a ListingKey used twice in one organization (LISTING_KEY_TAKEN), but another organization may use it', async () => {
      await create(agentA, { listingKey: 'DUP-1' });
      await expect(create(agentB, { listingKey: 'DUP-1' })).rejects.toMatchObject({ kind: 'conflict', code: 'LISTING_KEY_TAKEN' });
      await expect(create(otherOwner, { listingKey: 'DUP-1' })).resolves.toMatchObject({ listingKey: 'DUP-1' });
    });

    it('lets an agent list only under their own name, a manager for their team, an admin for anyone in the organization', async () => {
      await expect(create(agentA, { listAgentId: agentB.userId })).rejects.toMatchObject({ kind: 'forbidden', code: 'NOT_LIST_AGENT' });
      await expect(create(manager, { listAgentId: agentA.userId })).resolves.toMatchObject({ listAgentId: agentA.userId });
      await expect(create(manager, { listAgentId: agentB.userId })).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(create(owner, { listAgentId: agentB.userId })).resolves.toMatchObject({ listAgentId: agentB.userId });
      await expect(create(owner, { listAgentId: otherOwner.userId })).rejects.toMatchObject({
        kind: 'unprocessable',
        code: 'UNKNOWN_LIST_AGENT',
      });
      await expect(create(client)).rejects.toMatchObject({ kind: 'forbidden' });
    });
  });

  describe('get and update', () => {
    it('shows a listing to everyone of the organization, PROPERTY_NOT_FOUND to another organization', async () => {
      const created = await create(agentA);
      for (const actor of [agentB, manager, owner]) {
        await expect(listings.rpc.call(S.get, { id: created.id }, actor)).resolves.toMatchObject({ id: created.id });
      }
      await expect(listings.rpc.call(S.get, { id: created.id }, otherOwner)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'PROPERTY_NOT_FOUND',
      });
    });

    it('shows a client without a linked crm contact no listing, not even an active one (the narrow rule; sharing is tested in engagement-mls)', async () => {
      const active = await create(agentA);
      await expect(listings.rpc.call(S.get, { id: active.id }, owner)).resolves.toMatchObject({ id: active.id });
      await expect(listings.rpc.call(S.get, { id: active.id }, client)).rejects.toMatchObject({ kind: 'not_found' });
      const list = await listings.rpc.call(S.list, { limit: 100 }, client);
      expect(list.items).toEqual([]);
    });

    it('lets the list agent, their manager and an admin change it; refuses another agent (forbidden) and another organization (not found)', async () => {
      const update = (id: string, listPrice: number, actor: Actor) => listings.rpc.call(S.update, { id, listPrice }, actor);
      const created = await create(agentA);
      await expect(update(created.id, 1, agentB)).rejects.toMatchObject({ kind: 'forbidden', code: 'NOT_LIST_AGENT' });
      await expect(update(created.id, 1, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(update(created.id, 1, client)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(update(created.id, 74_000_000, agentA)).resolves.toMatchObject({ listPrice: 74_000_000 });
      await expect(update(created.id, 73_000_000, manager)).resolves.toMatchObject({ listPrice: 73_000_000 });
      const byAdmin = await update(created.id, 72_000_000, owner);
      expect(byAdmin.listPrice).toBe(72_000_000);
      const ofB = await create(agentB);
      await expect(update(ofB.id, 1, manager)).rejects.toMatchObject({ kind: 'forbidden' });
      const updated = await listings.outboxEvents<{ propertyId: string; changes: Record<string, unknown> }>('listings.property.updated');
      expect(updated.filter((e) => e.subject === created.id).map((e) => e.data.changes)).toEqual([
        { listPrice: { from: 75_000_000, to: 74_000_000 } },
        { listPrice: { from: 74_000_000, to: 73_000_000 } },
        { listPrice: { from: 73_000_000, to: 72_000_000 } },
      ]);
    });

    it('walks the RESO status table: Active → Pending → Closed (with closePrice and closeDate), each a status_changed event; Closed is final', async () => {
      const created = await create(agentA);
      const update = (fields: Partial<PropertyCreateRequest>, actor = agentA) =>
        listings.rpc.call(S.update, { id: created.id, ...fields }, actor);
      await expect(update({ standardStatus: 'Expired' })).resolves.toMatchObject({ standardStatus: 'Expired' });
      await expect(update({ standardStatus: 'Active' })).resolves.toMatchObject({ standardStatus: 'Active' });
      await expect(update({ standardStatus: 'Closed', closePrice: 1, closeDate: '2026-01-01' })).rejects.toMatchObject({
        kind: 'unprocessable',
        code: 'INVALID_STATUS_TRANSITION',
      });
      await expect(update({ standardStatus: 'Pending' })).resolves.toMatchObject({ standardStatus: 'Pending' });
      await expect(update({ standardStatus: 'Closed' })).rejects.toMatchObject({
        kind: 'validation',
        code: 'CLOSED_NEEDS_CLOSE_PRICE_AND_DATE',
      });
      const closed = await update({ standardStatus: 'Closed', closePrice: 74_500_000, closeDate: '2026-01-15' });
      expect(closed).toMatchObject({ standardStatus: 'Closed', closePrice: 74_500_000, closeDate: '2026-01-15' });
      await expect(update({ standardStatus: 'Active' }, owner)).rejects.toMatchObject({ kind: 'unprocessable' });
      const changes = (
        await listings.outboxEvents<{ from: string; to: string; closePrice: number | null }>('listings.property.status_changed')
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

  describe('delete', () => {
    it('soft-deletes for the list agent (then not found, event listings.property.deleted); refuses another agent and another organization', async () => {
      const created = await create(agentA);
      await expect(listings.rpc.call(S.delete, { id: created.id }, agentB)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(listings.rpc.call(S.delete, { id: created.id }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await listings.rpc.call(S.delete, { id: created.id }, agentA);
      await expect(listings.rpc.call(S.get, { id: created.id }, agentA)).rejects.toMatchObject({ kind: 'not_found' });
      const deleted = await listings.outboxEvents('listings.property.deleted');
      expect(deleted.map((e) => e.subject)).toContain(created.id);
    });
  });

  describe('list', () => {
    it('filters by status, type, price, beds, baths, living area, city, ZIP, list agent and modified since; sorts; pages with a cursor', async () => {
      const org = listings.owner();
      const specs: Array<Partial<PropertyCreateRequest>> = [
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
      for (const spec of specs) await create(org, spec);
      const keys = async (query: PropertyListRequest) => (await listings.rpc.call(S.list, query, org)).items.map((p) => p.listingKey);
      expect(await keys({ sort: 'price' })).toEqual(['F1', 'F5', 'F2', 'F3', 'F4']);
      expect(await keys({ sort: '-price' })).toEqual(['F4', 'F3', 'F2', 'F5', 'F1']);
      expect(await keys({ standardStatus: ['Pending'], sort: 'price' })).toEqual(['F5']);
      expect(await keys({ standardStatus: ['Active', 'Pending'], propertyType: ['Residential'], sort: 'price' })).toEqual([
        'F1',
        'F5',
        'F2',
        'F3',
      ]);
      expect(await keys({ minPrice: 50_000_000, maxPrice: 80_000_000, sort: 'price' })).toEqual(['F5', 'F2', 'F3']);
      expect(await keys({ minBedrooms: 3, maxBedrooms: 4, sort: 'price' })).toEqual(['F5', 'F2', 'F3']);
      expect(await keys({ minBathrooms: 3, sort: 'price' })).toEqual(['F3', 'F4']);
      expect(await keys({ minLivingArea: 1400, maxLivingArea: 2500, sort: 'price' })).toEqual(['F5', 'F2', 'F3']);
      expect(await keys({ city: 'BELLEVUE', sort: 'price' })).toEqual(['F3', 'F4']);
      expect(await keys({ postalCode: '98103', sort: 'price' })).toEqual(['F1', 'F5']);
      expect(await keys({ listAgentId: org.userId, sort: 'price' })).toHaveLength(5);
      expect(await keys({ modifiedSince: '2999-01-01T00:00:00Z' })).toEqual([]);
      const first = await listings.rpc.call(S.list, { sort: 'price', limit: 2 }, org);
      expect(first.items.map((p) => p.listingKey)).toEqual(['F1', 'F5']);
      const second = await listings.rpc.call(S.list, { sort: 'price', limit: 2, cursor: first.nextCursor! }, org);
      expect(second.items.map((p) => p.listingKey)).toEqual(['F2', 'F3']);
      await expect(listings.rpc.call(S.list, { cursor: 'garbage' }, org)).rejects.toMatchObject({
        kind: 'validation',
        code: 'INVALID_CURSOR',
      });
      const others = await listings.rpc.call(S.list, { limit: 100 }, otherOwner);
      expect(others.items.every((p) => p.orgId === otherOwner.orgId)).toBe(true);
    });
  });
});
