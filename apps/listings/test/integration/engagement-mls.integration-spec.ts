import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ListingsEngagementSubjects as E,
  ListingsMlsSubjects as Mls,
  ListingsPropertySubjects as S,
  type Actor,
  type ContactListingPutRequest,
  type GeoJsonArea,
  type PropertyCreateRequest,
} from '@keyhouse/contracts';
import { apiKeyActorFor, propertyBody, waitFor, refusalOf } from '@keyhouse/testing';
import { DEVELOPMENT_LISTINGS_KEYRING } from '../../src/config/listings.config';
import { startListingsService, type ListingsTestService } from '../support/listings-service.fixture';

/**
 * Views, interest, saved searches, client shares (docs/adr/0019), crm merges and erasures, MLS
 * sources and the partner webhook on the listings service alone; crm's contacts and identity's
 * users come from the directory stand-in and crm's events.
 */
describe('listings engagement and MLS sync (listings service over NATS)', () => {
  let listings: ListingsTestService;
  let owner: Actor;
  let otherOwner: Actor;
  let agent: Actor;
  let agent2: Actor;

  beforeAll(async () => {
    // the RESO stand-in below listens on http://127.0.0.1
    listings = await startListingsService({ LISTINGS_MLS_ALLOW_PRIVATE_SOURCES: 'true' });
    owner = listings.owner();
    otherOwner = listings.owner();
    agent = listings.user(owner.orgId, 'agent');
    agent2 = listings.user(owner.orgId, 'agent');
  });

  afterAll(async () => {
    await listings?.stop();
  });

  const create = (actor: Actor, overrides: Partial<PropertyCreateRequest> = {}) =>
    listings.rpc.call(S.create, propertyBody(overrides), actor);
  /** A crm contact created by `actor` (who becomes its owner). */
  const contactOf = (actor: Actor) => listings.contact(actor.orgId, actor.userId!);
  const put = (request: ContactListingPutRequest, actor: Actor) => listings.rpc.call(E.interestPut, request, actor);

  describe('views.record', () => {
    it('records a view for a contact the caller can read and emits listings.property.viewed; refuses other agents’ contacts, unknown contacts and other organizations', async () => {
      const property = await create(agent);
      const contactId = contactOf(agent);
      const view = (contact: string, source: 'website' | 'portal' | 'agent', actor: Actor) =>
        listings.rpc.call(E.recordView, { propertyId: property.id, contactId: contact, source }, actor);
      const recorded = await view(contactId, 'website', agent);
      const events = await listings.outboxEvents<{ contactId: string; propertyId: string; viewId: string }>('listings.property.viewed');
      expect(events.find((e) => e.data.viewId === recorded.id)).toMatchObject({
        subject: property.id,
        data: { contactId, propertyId: property.id, source: 'website' },
      });
      await expect(view(contactId, 'agent', owner)).resolves.toMatchObject({ contactId });
      await expect(view(contactId, 'agent', agent2)).rejects.toMatchObject({ kind: 'not_found', code: 'CONTACT_NOT_FOUND' });
      await expect(view(randomUUID(), 'agent', agent)).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' });
      await expect(view(contactId, 'portal', otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('interests.put and interests.list', () => {
    it('keeps one interest per contact and listing, listed per contact and per listing; other agents and organizations are refused (not found)', async () => {
      const a = await create(agent);
      const b = await create(agent);
      const contact = contactOf(agent);
      const other = contactOf(agent);
      await put({ propertyId: a.id, contactId: contact, preference: 'Favorite', note: 'Loves the porch' }, agent);
      await put({ propertyId: b.id, contactId: contact, preference: 'Possibility' }, agent);
      const changed = await put({ propertyId: a.id, contactId: contact, preference: 'Discard', note: 'Too far from school' }, agent);
      expect(changed).toMatchObject({ preference: 'Discard', note: 'Too far from school' });
      await put({ propertyId: a.id, contactId: other, preference: 'Favorite' }, agent);
      await expect(put({ propertyId: a.id, contactId: contact, preference: 'Favorite' }, otherOwner)).rejects.toMatchObject({
        kind: 'not_found',
      });
      await expect(put({ propertyId: a.id, contactId: contact, preference: 'Favorite' }, agent2)).rejects.toMatchObject({
        code: 'CONTACT_NOT_FOUND',
      });
      const perContact = await listings.rpc.call(E.interestList, { contactId: contact }, agent);
      expect(perContact.items.map((i) => [i.propertyId, i.preference])).toEqual([
        [a.id, 'Discard'],
        [b.id, 'Possibility'],
      ]);
      const perListing = await listings.rpc.call(E.interestList, { propertyId: a.id }, agent);
      expect(perListing.items.map((i) => i.contactId).sort()).toEqual([contact, other].sort());
      await expect(listings.rpc.call(E.interestList, { contactId: contact }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(listings.rpc.call(E.interestList, { contactId: contact }, agent2)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(listings.rpc.call(E.interestList, {}, agent)).rejects.toMatchObject({ kind: 'validation' });
      const events = await listings.outboxEvents<{ contactId: string; propertyId: string; preference: string }>(
        'listings.contact_listing.changed',
      );
      expect(events.filter((e) => e.data.contactId === contact && e.data.propertyId === a.id).map((e) => e.data.preference)).toEqual([
        'Favorite',
        'Discard',
      ]);
    });
  });

  describe('crm merges and erasures (crm.contact.merged, crm.contact.erased)', () => {
    it('moves a merged contact’s interest, shares, views and saved searches to the survivor, and deletes them all when the contact is erased', async () => {
      const p1 = await create(agent);
      const p2 = await create(agent);
      const survivor = contactOf(owner);
      const merged = contactOf(owner);
      await put({ propertyId: p1.id, contactId: survivor, preference: 'Favorite' }, owner);
      await put({ propertyId: p1.id, contactId: merged, preference: 'Discard' }, owner);
      await put({ propertyId: p2.id, contactId: merged, preference: 'Possibility' }, owner);
      await listings.rpc.call(E.shareCreate, { propertyId: p2.id, contactId: merged }, owner);
      await listings.rpc.call(E.recordView, { propertyId: p2.id, contactId: merged, source: 'agent' }, owner);
      await listings.rpc.call(E.savedSearchCreate, { contactId: merged, name: 'Anything', filters: {} }, owner);
      await listings.mergeContacts(owner.orgId, survivor, merged);

      const interestOf = async (contactId: string) =>
        Object.fromEntries((await listings.rpc.call(E.interestList, { contactId }, owner)).items.map((i) => [i.propertyId, i.preference]));
      expect(await interestOf(survivor)).toEqual({ [p1.id]: 'Favorite', [p2.id]: 'Possibility' });
      const searches = await listings.rpc.call(E.savedSearchList, { contactId: survivor }, owner);
      expect(searches.items.map((i) => i.contactId)).toEqual([survivor]);

      const rowsOf = async (contactId: string) =>
        Number(
          (
            await listings.query<{ n: string }>(
              `SELECT (SELECT count(*) FROM listings.contact_listing WHERE contact_id = $1) + (SELECT count(*) FROM listings.property_share WHERE contact_id = $1)
                    + (SELECT count(*) FROM listings.property_view WHERE contact_id = $1) + (SELECT count(*) FROM listings.saved_search WHERE contact_id = $1)
                    + (SELECT count(*) FROM listings.saved_search_match WHERE contact_id = $1) AS n`,
              [contactId],
            )
          )[0].n,
        );
      expect(await rowsOf(merged)).toBe(0);
      expect(await rowsOf(survivor)).toBeGreaterThanOrEqual(5);
      await listings.eraseContact(owner.orgId, survivor);
      expect(await rowsOf(survivor)).toBe(0);
    });
  });

  describe('saved searches', () => {
    it('emits listings.search.matched once per contact and listing when a listing newly matches, not for listings matching at creation', async () => {
      const org = listings.owner();
      const before = await create(org, { listingKey: 'S-before', city: 'Seattle', listPrice: 60_000_000, bedroomsTotal: 3 });
      const contact = contactOf(org);
      const area: GeoJsonArea = {
        type: 'Polygon',
        coordinates: [
          [
            [-122.4, 47.6],
            [-122.3, 47.6],
            [-122.3, 47.7],
            [-122.4, 47.7],
            [-122.4, 47.6],
          ],
        ],
      };
      const saved = await listings.rpc.call(
        E.savedSearchCreate,
        {
          contactId: contact,
          name: 'Seattle 3 bed under 700k',
          filters: { standardStatus: ['Active'], maxPrice: 70_000_000, minBedrooms: 3 },
          geometry: area,
        },
        org,
      );
      // A second search of the same contact that also matches: still one event per contact and listing.
      const anything = await listings.rpc.call(
        E.savedSearchCreate,
        { contactId: contact, name: 'Anything active', filters: { standardStatus: ['Active'] } },
        org,
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
      const matches = () =>
        listings.outboxEvents<{ contactId: string; propertyId: string; savedSearchId: string }>('listings.search.matched');
      const matchesOf = async () => (await matches()).filter((e) => e.data.contactId === contact).map((e) => e.data.propertyId);
      const first = await matchesOf();
      expect(first).toContain(matching.id);
      expect(first).not.toContain(before.id);
      expect(first.filter((id) => id === matching.id)).toHaveLength(1);
      // Too expensive or outside the area: only "Anything active" matches them, once each.
      const searchOf = async (propertyId: string) =>
        (await matches()).filter((e) => e.data.propertyId === propertyId).map((e) => e.data.savedSearchId);
      expect(await searchOf(matching.id)).toEqual([saved.id]);
      expect(await searchOf(tooExpensive.id)).toEqual([anything.id]);
      expect(await searchOf(outside.id)).toEqual([anything.id]);
      await listings.rpc.call(S.update, { id: matching.id, listPrice: 64_000_000 }, org);
      expect((await matchesOf()).filter((id) => id === matching.id)).toHaveLength(1);
      const list = await listings.rpc.call(E.savedSearchList, { contactId: contact }, org);
      expect(list.items).toHaveLength(2);
      await expect(listings.rpc.call(E.savedSearchList, { contactId: contact }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(listings.rpc.call(E.savedSearchDelete, { id: saved.id }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      const orgAgent = listings.user(org.orgId, 'agent');
      await expect(
        listings.rpc.call(E.savedSearchCreate, { contactId: contact, name: 'Not mine', filters: {} }, orgAgent),
      ).rejects.toMatchObject({ kind: 'not_found' });
      await expect(listings.rpc.call(E.savedSearchDelete, { id: saved.id }, orgAgent)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await listings.rpc.call(E.savedSearchList, {}, orgAgent)).items).toEqual([]);
      await listings.rpc.call(E.savedSearchDelete, { id: saved.id }, org);
      const lifecycle = (await listings.outboxEvents<{ savedSearchId: string }>()).filter(
        (e) => e.data.savedSearchId === saved.id && e.type.startsWith('listings.saved_search.'),
      );
      expect(lifecycle.map((e) => e.type)).toEqual(['listings.saved_search.created', 'listings.saved_search.deleted']);
      const open: GeoJsonArea = { type: 'Polygon', coordinates: [(area.coordinates as number[][][])[0].slice(0, 4)] };
      await expect(
        listings.rpc.call(E.savedSearchCreate, { contactId: contact, name: 'x', filters: {}, geometry: open }, org),
      ).rejects.toMatchObject({ kind: 'validation', code: 'INVALID_GEOMETRY' });
    });
  });

  describe('client portal: listings shared with the client’s contact (docs/adr/0019)', () => {
    it('shows a client whose existing contact is linked only after the address is verified nothing of it before, and its shares after', async () => {
      const client = await listings.unverifiedClient(owner.orgId);
      const shared = await create(agent, { listingKey: 'V-shared' });
      await listings.rpc.call(E.shareCreate, { propertyId: shared.id, contactId: client.contactId }, owner);
      const listed = async () => (await listings.rpc.call(S.list, { limit: 100 }, client.actor)).items.map((p) => p.id);
      expect(await listed()).toEqual([]);
      await client.link();
      expect(await listed()).toEqual([shared.id]);
    });

    it('shows a client only marketed listings shared with their contact (share, interest, saved-search match); shares are for agents who can read the contact', async () => {
      const portal = await listings.portalClient(owner.orgId);
      const listed = async () => (await listings.rpc.call(S.list, { limit: 100 }, portal.actor)).items.map((p) => p.id).sort();
      const shared = await create(agent, { listingKey: 'C-shared' });
      const liked = await create(agent, { listingKey: 'C-liked' });
      const notShared = await create(agent, { listingKey: 'C-other' });
      expect(await listed()).toEqual([]);

      const share = (propertyId: string, actor: Actor, contactId = portal.contactId) =>
        listings.rpc.call(E.shareCreate, { propertyId, contactId }, actor);
      const first = await share(shared.id, owner);
      expect(first).toMatchObject({ propertyId: shared.id, contactId: portal.contactId });
      expect((await share(shared.id, owner)).sharedAt).toBe(first.sharedAt);
      expect(
        (await listings.outboxEvents<{ contactId: string }>('listings.property.shared')).filter((e) => e.subject === shared.id),
      ).toHaveLength(1);
      // The agent does not own the client's contact (crm answers 404), another organization neither, and a client cannot share.
      await expect(share(notShared.id, agent)).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' });
      await expect(share(notShared.id, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(share(notShared.id, portal.actor)).rejects.toMatchObject({ kind: 'forbidden', code: 'CLIENTS_CANNOT_SHARE' });

      const someone = contactOf(owner);
      await put({ propertyId: liked.id, contactId: portal.contactId, preference: 'Favorite' }, owner);
      await put({ propertyId: liked.id, contactId: someone, preference: 'Discard', note: 'private' }, owner);
      const search = await listings.rpc.call(
        E.savedSearchCreate,
        { contactId: portal.contactId, name: 'Tacoma', filters: { city: 'Tacoma' } },
        owner,
      );
      const matched = await create(agent, { listingKey: 'C-matched', city: 'Tacoma' });

      expect(await listed()).toEqual([shared.id, liked.id, matched.id].sort());
      await expect(listings.rpc.call(S.get, { id: notShared.id }, portal.actor)).rejects.toMatchObject({ kind: 'not_found' });
      const near = await listings.rpc.call(
        S.radiusSearch,
        { latitude: 47.6615, longitude: -122.3503, radius: 1000, limit: 100 },
        portal.actor,
      );
      expect(near.items.map((p) => p.id).sort()).toEqual([shared.id, liked.id, matched.id].sort());
      // Per listing, the client sees only their own interest.
      const interest = await listings.rpc.call(E.interestList, { propertyId: liked.id }, portal.actor);
      expect(interest.items.map((i) => i.contactId)).toEqual([portal.contactId]);
      // Views and saved searches: only for the client's own contact.
      await expect(
        listings.rpc.call(E.recordView, { propertyId: shared.id, contactId: portal.contactId, source: 'portal' }, portal.actor),
      ).resolves.toMatchObject({ contactId: portal.contactId });
      await expect(
        listings.rpc.call(E.recordView, { propertyId: shared.id, contactId: someone, source: 'portal' }, portal.actor),
      ).rejects.toMatchObject({ kind: 'not_found' });
      expect((await listings.rpc.call(E.savedSearchList, {}, portal.actor)).items.map((i) => i.id)).toEqual([search.id]);

      // Off the market → hidden; share withdrawn → hidden.
      await listings.rpc.call(S.update, { id: liked.id, standardStatus: 'Withdrawn' }, agent);
      const unshare = (actor: Actor) => listings.rpc.call(E.shareDelete, { propertyId: shared.id, contactId: portal.contactId }, actor);
      await expect(unshare(agent)).rejects.toMatchObject({ kind: 'not_found' });
      await unshare(owner);
      await expect(unshare(owner)).rejects.toMatchObject({ code: 'SHARE_NOT_FOUND' });
      expect(await listed()).toEqual([matched.id]);
    });
  });

  describe('MLS sync (RESO Web API pull)', () => {
    type Reso = Record<string, unknown> & { ListingKey: string; ModificationTimestamp: string };
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

    const sync = (actor = owner) => listings.rpc.call(Mls.sourceSync, { id: sourceId }, actor);
    const ciphertextOf = async (id: string) =>
      (
        await listings.query<{ credentials_ciphertext: string }>('SELECT credentials_ciphertext FROM listings.mls_source WHERE id = $1', [
          id,
        ])
      )[0]?.credentials_ciphertext;
    const ownerListings = async () => (await listings.rpc.call(S.list, { limit: 100 }, owner)).items;

    it('configures a source with its token encrypted at rest; agents and other organizations cannot', async () => {
      const body = { name: 'Test MLS', baseUrl: base, accessToken: 'mls-secret-token', pageSize: 2 };
      await expect(listings.rpc.call(Mls.sourceCreate, body, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      const created = await listings.rpc.call(Mls.sourceCreate, body, owner);
      expect((created as unknown as Record<string, unknown>).accessToken).toBeUndefined();
      expect(created.highWaterMark).toBeNull();
      sourceId = created.id;
      const stored = await ciphertextOf(sourceId);
      expect(stored).toMatch(/^v1\./);
      expect(stored).not.toContain('mls-secret-token');
      await expect(sync(otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(listings.rpc.call(Mls.runList, { sourceId }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await listings.rpc.call(Mls.sourceList, {}, otherOwner)).items).toEqual([]);
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
      expect(first).toMatchObject({ status: 'succeeded', pages: 3, fetched: 5, created: 5, updated: 0, failed: 0 });
      expect(requests[0].searchParams.get('$filter')).toBeNull();
      expect(requests[0].searchParams.get('$orderby')).toBe('ModificationTimestamp asc');
      expect(requests[0].searchParams.get('$top')).toBe('2');
      const m2 = (await ownerListings()).find((p) => p.listingKey === 'M2')!;
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
      expect(second).toMatchObject({ status: 'succeeded', fetched: 3, created: 0, updated: 1, removed: 1, failed: 1 });
      expect(second.errors).toEqual([
        {
          listingKey: 'M6',
          reasons: ['ClosePrice: is required when standardStatus is Closed', 'CloseDate: is required when standardStatus is Closed'],
        },
      ]);
      expect(await listings.rpc.call(S.get, { id: m2.id }, owner)).toMatchObject({ standardStatus: 'Closed', closePrice: 64_000_000 });
      const statusChanges = await listings.outboxEvents<{ from: string; to: string }>('listings.property.status_changed');
      expect(statusChanges.filter((e) => e.subject === m2.id).map((e) => [e.data.from, e.data.to])).toEqual([
        ['Active Under Contract', 'Closed'],
      ]);
      expect(
        (await ownerListings())
          .map((p) => p.listingKey)
          .filter((k) => k.startsWith('M'))
          .sort(),
      ).toEqual(['M1', 'M2', 'M4', 'M5']);
    });

    it('records a failed run when a page fails, keeps what earlier pages committed, and resumes from that high-water mark', async () => {
      records.push(reso('M7', '2026-01-03T00:00:01Z'), reso('M8', '2026-01-03T00:00:02Z'), reso('M9', '2026-01-03T00:00:03Z'));
      failAtSkip = 2;
      const failed = await sync();
      expect(failed).toMatchObject({ status: 'failed', pages: 1, created: 2 });
      expect(failed.errors[0].reasons[0]).toMatch(/500/);
      failAtSkip = null;
      requests.length = 0;
      const resumed = await sync();
      expect(requests[0].searchParams.get('$filter')).toBe('ModificationTimestamp gt 2026-01-03T00:00:02.000Z');
      expect(resumed).toMatchObject({ status: 'succeeded', fetched: 1, created: 1 });
      const runs = await listings.rpc.call(Mls.runList, { sourceId }, owner);
      expect(runs.items.map((r) => r.status)).toEqual(['succeeded', 'failed', 'succeeded', 'succeeded']);
      const sources = await listings.rpc.call(Mls.sourceList, {}, owner);
      expect(sources.items[0].highWaterMark).toBe('2026-01-03T00:00:03.000Z');
      const completed = await listings.outboxEvents('listings.mls_sync.completed');
      expect(completed.filter((e) => e.subject === sourceId)).toHaveLength(4);
    });

    it('changes a source (a new service root clears the high-water mark, a new token is re-encrypted), disables and enables it; agents forbidden, other organizations not found', async () => {
      const update = (fields: Record<string, unknown>, actor: Actor = owner) =>
        listings.rpc.call(Mls.sourceUpdate, { id: sourceId, ...fields }, actor);
      await expect(update({ name: 'Renamed' }, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(update({ name: 'Renamed' }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      const tokenBefore = await ciphertextOf(sourceId);
      const renamed = await update({ name: 'Renamed MLS', pageSize: 3, accessToken: 'mls-secret-token' });
      expect(renamed).toMatchObject({ name: 'Renamed MLS', pageSize: 3, enabled: true, highWaterMark: '2026-01-03T00:00:03.000Z' });
      expect(await ciphertextOf(sourceId)).not.toBe(tokenBefore);
      const updates = (await listings.outboxEvents<{ changes: string[] }>('listings.mls_source.updated')).filter(
        (e) => e.subject === sourceId,
      );
      expect(updates.map((e) => e.data.changes)).toEqual([['name', 'pageSize', 'accessToken']]);

      const disabled = await update({ enabled: false });
      expect(disabled.enabled).toBe(false);
      await expect(update({ enabled: false }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(update({ enabled: true }, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(sync()).rejects.toMatchObject({ kind: 'conflict', code: 'MLS_SOURCE_DISABLED' });
      expect((await update({ enabled: true })).enabled).toBe(true);

      const moved = await update({ baseUrl: `${base}/v2` });
      expect(moved.highWaterMark).toBeNull();
      requests.length = 0;
      const fromScratch = await sync();
      expect(fromScratch).toMatchObject({ status: 'succeeded', fetched: 9, created: 0, updated: 0 });
      expect(requests[0].pathname).toBe('/reso/v2/Property');
      expect(requests[0].searchParams.get('$filter')).toBeNull();
    });

    it('re-encrypts the token under a new active key of LISTINGS_ENCRYPTION_KEYS after a restart, and pulls still authenticate', async () => {
      expect(await ciphertextOf(sourceId)).not.toMatch(/^v1\.rotated\./);
      await listings.restart({
        LISTINGS_ENCRYPTION_KEYS: `rotated:${randomBytes(32).toString('base64')},${listings.env.LISTINGS_ENCRYPTION_KEYS ?? DEVELOPMENT_LISTINGS_KEYRING}`,
      });
      await waitFor(async () => (await ciphertextOf(sourceId))?.startsWith('v1.rotated.') ?? false);
      const updates = (await listings.outboxEvents<{ changes: string[] }>('listings.mls_source.updated')).filter(
        (e) => e.subject === sourceId,
      );
      expect(updates[updates.length - 1].data.changes).toEqual(['credentialsKey']);
      records.push(reso('M10', '2026-01-04T00:00:00Z'));
      const after = await sync();
      expect(after).toMatchObject({ status: 'succeeded', created: 1 });
    });

    it('deletes a source with its runs; its listings stay; agents forbidden, other organizations not found', async () => {
      const remove = (actor: Actor) => listings.rpc.call(Mls.sourceDelete, { id: sourceId }, actor);
      await expect(remove(agent)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(remove(otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await remove(owner);
      await expect(remove(owner)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(listings.rpc.call(Mls.runList, { sourceId }, owner)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await listings.rpc.call(Mls.sourceList, {}, owner)).items).toEqual([]);
      expect(
        (await ownerListings())
          .filter((p) => p.origin === 'mls' && p.listingKey.startsWith('M'))
          .map((p) => p.listingKey)
          .sort(),
      ).toEqual(['M1', 'M10', 'M2', 'M4', 'M5', 'M7', 'M8', 'M9']);
      expect((await listings.outboxEvents('listings.mls_source.deleted')).filter((e) => e.subject === sourceId)).toHaveLength(1);
    });
  });

  describe('mls.webhook', () => {
    it('accepts RESO records from an API key holding listings:write at org scope, answers failures by index, and is idempotent', async () => {
      const key = apiKeyActorFor({ orgId: owner.orgId, permissions: ['listings:write:org'], userId: owner.userId });
      const readOnly = apiKeyActorFor({ orgId: owner.orgId, permissions: ['listings:read:org'], userId: owner.userId });
      const batch = {
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
      const first = await listings.rpc.call(Mls.webhook, batch, key);
      expect(first).toMatchObject({ received: 3, created: 1, updated: 0, removed: 1 });
      expect(first.failed).toEqual([{ index: 1, listingKey: 'W2', reasons: [expect.stringContaining('StandardStatus')] }]);
      const again = await listings.rpc.call(Mls.webhook, batch, key);
      expect(again).toMatchObject({ received: 3, created: 0, updated: 0, unchanged: 2, removed: 0 });
      const listed = await listings.rpc.call(S.list, { city: 'Kent' }, owner);
      expect(listed.items.map((p) => [p.listingKey, p.listPrice, p.origin])).toEqual([['W1', 42_500_050, 'mls']]);
      await expect(listings.rpc.call(Mls.webhook, batch, readOnly)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(listings.rpc.call(Mls.webhook, batch, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      const foreign = await listings.rpc.call(S.list, { city: 'Kent' }, otherOwner);
      expect(foreign.items).toEqual([]);
    });

    it('keeps the RESO statuses Hold and Incomplete as received; agents may put a listing on Hold and back', async () => {
      const key = apiKeyActorFor({ orgId: owner.orgId, permissions: ['listings:write:org'], userId: owner.userId });
      const pushed = await listings.rpc.call(
        Mls.webhook,
        {
          value: [
            { ListingKey: 'H1', StandardStatus: 'Hold', ListPrice: 500000, City: 'Renton', ModificationTimestamp: '2026-02-02T10:00:00Z' },
            { ListingKey: 'I1', StandardStatus: 'Incomplete', City: 'Renton', ModificationTimestamp: '2026-02-02T10:00:00Z' },
          ],
        },
        key,
      );
      expect(pushed).toMatchObject({ received: 2, created: 2, failed: [] });
      const held = await listings.rpc.call(S.list, { city: 'Renton', standardStatus: ['Hold', 'Incomplete'] }, owner);
      expect(held.items.map((p) => [p.listingKey, p.standardStatus]).sort()).toEqual([
        ['H1', 'Hold'],
        ['I1', 'Incomplete'],
      ]);
      const mine = await create(agent);
      const status = (standardStatus: PropertyCreateRequest['standardStatus']) =>
        listings.rpc.call(S.update, { id: mine.id, standardStatus }, agent);
      await expect(status('Hold')).resolves.toMatchObject({ standardStatus: 'Hold' });
      expect(await refusalOf(status('Pending'))).toMatchObject({ code: 'INVALID_STATUS_TRANSITION' });
      await expect(status('Active')).resolves.toMatchObject({ standardStatus: 'Active' });
    });
  });
});
