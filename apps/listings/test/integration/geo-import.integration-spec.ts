import { haversineMeters, KING_COUNTY_FILE, kingCountySlice, propertyBody, refusalOf } from '@keyhouse/testing';
import * as fs from 'node:fs';
import {
  ListingsPlacesSubjects as Places,
  ListingsPropertySubjects as S,
  type Actor,
  type GeoJsonArea,
  type ListingsImportResult,
  type ListingsPlaceInput,
  type PropertyCreateRequest,
  type PropertyPolygonSearchRequest,
} from '@keyhouse/contracts';
import { startListingsService, type ListingsTestService } from '../support/listings-service.fixture';

const SLICE = 500;

/** The first SLICE data rows of the real file, parsed here independently of the service. */
function sliceRows(): Array<{ key: string; price: number; beds: number; sqft: number; date: string; lat: number; lng: number }> {
  const lines = fs
    .readFileSync(KING_COUNTY_FILE, 'utf8')
    .split('\n')
    .slice(1, SLICE + 1);
  return lines.map((line) => {
    const cells = line.split(',').map((cell) => cell.replace(/"/g, ''));
    const date = cells[1].slice(0, 8);
    return {
      key: `KC-${cells[0]}-${date}`,
      price: Math.round(Number(cells[2]) * 100),
      beds: Number(cells[3]),
      sqft: Number(cells[5]),
      date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`,
      lat: Number(cells[17]),
      lng: Number(cells[18]),
    };
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** King County import (`import-chunk`), radius and polygon search, comparables and nearby places on the listings service alone. */
describe('listings import and geo search (listings service over NATS)', () => {
  let listings: ListingsTestService;
  let owner: Actor;
  let otherOwner: Actor;
  let agent: Actor;
  let firstImport: ListingsImportResult;
  /** One chunk of a King County file, as the gateway sends an upload of up to 5 000 records. */
  const importCsv = (actor: Actor, csv: string) => listings.rpc.call(S.importChunk, { format: 'king-county', csv, rowOffset: 0 }, actor);
  const create = (actor: Actor, overrides: Partial<PropertyCreateRequest> = {}) =>
    listings.rpc.call(S.create, propertyBody(overrides), actor);

  beforeAll(async () => {
    listings = await startListingsService();
    owner = listings.owner();
    otherOwner = listings.owner();
    agent = listings.user(owner.orgId, 'agent');
    const bad = [
      '"9000000001","20141013T000000",not-a-price,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",47.5112,-122.257,1340,5650',
      '"9000000002","20141013T000000",221900,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",,-122.257,1340,5650',
      '"9000000003","20991013T000000",221900,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",47.5112,-122.257,1340,5650',
    ].join('\n');
    firstImport = await importCsv(owner, `${kingCountySlice(SLICE)}${bad}\n`);
  });

  afterAll(async () => {
    await listings?.stop();
  });

  describe('import-chunk', () => {
    it('loads the first 500 real King County rows as Closed listings and reports the hand-made bad rows with reasons', async () => {
      const distinct = new Set(sliceRows().map((r) => r.key)).size;
      expect(firstImport).toMatchObject({ rows: SLICE + 3, created: distinct, updated: 0, rejected: 3 });
      expect(firstImport.rejectedRows).toEqual([
        { row: 501, listingKey: 'KC-9000000001-20141013', reasons: ['price: must be a number'] },
        { row: 502, listingKey: 'KC-9000000002-20141013', reasons: ['lat: is required'] },
        { row: 503, listingKey: 'KC-9000000003-20991013', reasons: ['closeDate: must not be in the future'] },
      ]);
      const list = await listings.rpc.call(S.list, { postalCode: '98178', sort: 'price', limit: 100 }, agent);
      const first = list.items.find((p) => p.listingKey === 'KC-7129300520-20141013')!;
      expect(first).toMatchObject({
        standardStatus: 'Closed',
        propertyType: 'Residential',
        closePrice: 22_190_000,
        closeDate: '2014-10-13',
        bedroomsTotal: 3,
        bathroomsTotalInteger: 1,
        livingArea: 1180,
        latitude: 47.5112,
        longitude: -122.257,
        origin: 'import',
      });
    });

    it('is idempotent: the same file again creates and changes nothing', async () => {
      const again = await importCsv(owner, kingCountySlice(SLICE));
      expect(again).toMatchObject({ rows: SLICE, created: 0, updated: 0, unchanged: SLICE, rejected: 0 });
    });

    it('refuses a file that is not King County CSV (INVALID_IMPORT_FILE), agents (forbidden), and never shows the rows to another organization', async () => {
      await expect(importCsv(owner, 'name,price\nx,1\n')).rejects.toMatchObject({ kind: 'validation', code: 'INVALID_IMPORT_FILE' });
      await expect(importCsv(agent, kingCountySlice(2))).rejects.toMatchObject({ kind: 'forbidden' });
      const foreign = await listings.rpc.call(S.list, { standardStatus: ['Closed'] }, otherOwner);
      expect(foreign.items).toEqual([]);
    });
  });

  describe('radius-search', () => {
    // Centre: Pike Place Market. Points chosen well inside or outside 1 000 m.
    const centre = { lat: 47.6097, lng: -122.3422 };
    const points = [
      { key: 'R-near', lat: 47.6105, lng: -122.341, beds: 2 },
      { key: 'R-mid', lat: 47.613, lng: -122.338, beds: 3 },
      { key: 'R-edge', lat: 47.603, lng: -122.337, beds: 4 },
      { key: 'R-out', lat: 47.625, lng: -122.356, beds: 3 },
      { key: 'R-far', lat: 47.67, lng: -122.39, beds: 3 },
    ];
    let org: Actor;
    const around = (radius: number, more: { limit?: number; cursor?: string; minBedrooms?: number } = {}, actor = org) =>
      listings.rpc.call(S.radiusSearch, { latitude: centre.lat, longitude: centre.lng, radius, ...more }, actor);

    beforeAll(async () => {
      org = listings.owner();
      for (const p of points) await create(org, { listingKey: p.key, latitude: p.lat, longitude: p.lng, bedroomsTotal: p.beds });
    });

    it('returns the listings within the radius nearest first, each distance matching the haversine distance within 0.5 %', async () => {
      const expected = points
        .map((p) => ({ ...p, d: haversineMeters(centre.lat, centre.lng, p.lat, p.lng) }))
        .filter((p) => p.d <= 1000)
        .sort((a, b) => a.d - b.d);
      expect(expected.map((p) => p.key)).toEqual(['R-near', 'R-mid', 'R-edge']);
      const page = await around(1000);
      expect(page.items.map((p) => p.listingKey)).toEqual(expected.map((p) => p.key));
      page.items.forEach((item, i) => {
        expect(Math.abs(item.distanceMeters - expected[i].d)).toBeLessThan(expected[i].d * 0.005 + 1);
      });
      expect(page.nextCursor).toBeNull();
    });

    it('combines with the list filters and pages with a cursor', async () => {
      const filtered = await around(3000, { minBedrooms: 3 });
      expect(filtered.items.map((p) => p.listingKey)).toEqual(['R-mid', 'R-edge', 'R-out']);
      const first = await around(50_000, { limit: 2 });
      expect(first.items.map((p) => p.listingKey)).toEqual(['R-near', 'R-mid']);
      const second = await around(50_000, { limit: 2, cursor: first.nextCursor! });
      expect(second.items.map((p) => p.listingKey)).toEqual(['R-edge', 'R-out']);
    });

    it('pages through listings at the same distance once each, in id order, across a page boundary', async () => {
      // Three listings at one point (≈ 10.5 km away; the same house sold three times), created in order: UUIDv7 ids ascend.
      for (const key of ['R-tie-1', 'R-tie-2', 'R-tie-3']) await create(org, { listingKey: key, latitude: 47.7, longitude: -122.3 });
      const keys: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await around(50_000, { limit: 2, ...(cursor ? { cursor } : {}) });
        keys.push(...page.items.map((p) => p.listingKey));
        cursor = page.nextCursor;
      } while (cursor);
      expect(keys).toEqual(['R-near', 'R-mid', 'R-edge', 'R-out', 'R-far', 'R-tie-1', 'R-tie-2', 'R-tie-3']);
    });

    it('refuses a radius over 50 km and shows nothing of another organization', async () => {
      await expect(around(50_001)).rejects.toMatchObject({ kind: 'validation' });
      const foreign = await around(1000, {}, otherOwner);
      expect(foreign.items).toEqual([]);
    });
  });

  describe('polygon-search', () => {
    // A box around Green Lake: lng -122.345..-122.320, lat 47.670..47.690.
    const box = [
      [
        [-122.345, 47.67],
        [-122.32, 47.67],
        [-122.32, 47.69],
        [-122.345, 47.69],
        [-122.345, 47.67],
      ],
    ];
    const far = [
      [
        [-122.2, 47.6],
        [-122.18, 47.6],
        [-122.18, 47.62],
        [-122.2, 47.62],
        [-122.2, 47.6],
      ],
    ];
    let org: Actor;

    beforeAll(async () => {
      org = listings.owner();
      const points = [
        { listingKey: 'P-in-1', latitude: 47.68, longitude: -122.33 },
        { listingKey: 'P-in-2', latitude: 47.675, longitude: -122.34 },
        { listingKey: 'P-out-1', latitude: 47.7, longitude: -122.33 },
        { listingKey: 'P-out-2', latitude: 47.68, longitude: -122.3 },
        { listingKey: 'P-far-in', latitude: 47.61, longitude: -122.19 },
      ];
      for (const p of points) await create(org, p);
    });

    const search = (request: PropertyPolygonSearchRequest, actor?: Actor) => listings.rpc.call(S.polygonSearch, request, actor ?? org);
    const polygon = (coordinates: GeoJsonArea['coordinates']): GeoJsonArea => ({ type: 'Polygon', coordinates });

    it('returns the listings inside a Polygon, and inside either part of a MultiPolygon, with the list filters', async () => {
      const inside = await search({ geometry: polygon(box), sort: 'createdAt' });
      expect(inside.items.map((p) => p.listingKey)).toEqual(['P-in-1', 'P-in-2']);
      const multi = await search({ geometry: { type: 'MultiPolygon', coordinates: [box, far] }, sort: 'createdAt' });
      expect(multi.items.map((p) => p.listingKey)).toEqual(['P-in-1', 'P-in-2', 'P-far-in']);
      const filtered = await search({ geometry: { type: 'MultiPolygon', coordinates: [box, far] }, standardStatus: ['Pending'] });
      expect(filtered.items).toEqual([]);
      expect((await search({ geometry: polygon(box) }, otherOwner)).items).toEqual([]);
    });

    it('refuses an unclosed ring and a self-intersecting polygon (INVALID_GEOMETRY)', async () => {
      await expect(search({ geometry: polygon([box[0].slice(0, 4)]) })).rejects.toMatchObject({
        kind: 'validation',
        code: 'INVALID_GEOMETRY',
      });
      const bowtie = await refusalOf(
        search({
          geometry: polygon([
            [
              [-122.34, 47.67],
              [-122.32, 47.69],
              [-122.32, 47.67],
              [-122.34, 47.69],
              [-122.34, 47.67],
            ],
          ]),
        }),
      );
      expect(bowtie).toMatchObject({ kind: 'validation', code: 'INVALID_GEOMETRY' });
      expect(bowtie.errors![0].message).toMatch(/Self-intersection/i);
    });
  });

  describe('comparables', () => {
    it('returns closed sales near a King County subject: within the radius, 12 months before its sale, ±1 bed, ±20 % living area, nearest first, with $/sq ft and a median', async () => {
      const rows = sliceRows();
      const subjectRow = rows[0];
      const list = await listings.rpc.call(S.list, { postalCode: '98178', limit: 100 }, agent);
      const subject = list.items.find((p) => p.listingKey === subjectRow.key)!;
      const response = await listings.rpc.call(S.comparables, { id: subject.id, radius: 3000, limit: 50 }, agent);
      const expected = rows
        .filter((r) => r.key !== subjectRow.key)
        .map((r) => ({ ...r, d: haversineMeters(subjectRow.lat, subjectRow.lng, r.lat, r.lng) }))
        .filter((r) => r.d <= 3000 && r.date >= '2013-10-13' && r.date <= '2014-10-13')
        .filter((r) => Math.abs(r.beds - subjectRow.beds) <= 1 && r.sqft >= 1180 * 0.8 && r.sqft <= 1180 * 1.2);
      // Leave out points within 20 m of the circle, where sphere and spheroid may disagree.
      const certain = expected.filter((r) => Math.abs(r.d - 3000) > 20).map((r) => r.key);
      const got = response.items.map((i) => i.property.listingKey);
      expect(certain.length).toBeGreaterThan(0);
      expect(got).toEqual(expect.arrayContaining(certain));
      expect(got.length).toBeLessThanOrEqual(expected.length + 1);
      const distances = response.items.map((i) => i.distanceMeters);
      expect(distances).toEqual([...distances].sort((a, b) => a - b));
      for (const item of response.items) {
        expect(item.property.standardStatus).toBe('Closed');
        expect(item.pricePerSqFt).toBe(Math.round(item.property.closePrice! / item.property.livingArea!));
        const d = haversineMeters(subjectRow.lat, subjectRow.lng, item.property.latitude!, item.property.longitude!);
        expect(Math.abs(item.distanceMeters - d)).toBeLessThan(d * 0.005 + 1);
      }
      expect(response.summary.count).toBe(got.length);
      expect(response.summary.medianPricePerSqFt).toBe(Math.round(median(response.items.map((i) => i.pricePerSqFt))));
      expect(response.summary.suggestedPriceLow!).toBeLessThanOrEqual(response.summary.suggestedPriceHigh!);
      expect(response.criteria.closedOnOrAfter).toBe('2013-10-13');
    });

    it('answers not found for another organization’s subject and unprocessable for a subject without living area', async () => {
      const list = await listings.rpc.call(S.list, { limit: 1 }, owner);
      await expect(listings.rpc.call(S.comparables, { id: list.items[0].id }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
      const bare = await create(owner, { livingArea: null });
      await expect(listings.rpc.call(S.comparables, { id: bare.id }, owner)).rejects.toMatchObject({ kind: 'unprocessable' });
    });
  });

  describe('nearby places', () => {
    it('loads places (admin only) and answers those near a listing, nearest first, by category; another organization gets not found', async () => {
      const org = listings.owner();
      const home = await create(org, { latitude: 47.6615, longitude: -122.3503 });
      const places: ListingsPlaceInput[] = [
        { name: 'B.F. Day Elementary', category: 'school', latitude: 47.6555, longitude: -122.351 },
        { name: 'Fremont Library', category: 'other', latitude: 47.6573, longitude: -122.3505 },
        { name: 'Ballard High', category: 'school', latitude: 47.6767, longitude: -122.377 },
        { name: 'Far Away School', category: 'school', latitude: 47.75, longitude: -122.2 },
      ];
      expect(await listings.rpc.call(Places.load, { places }, org)).toMatchObject({ created: 4, updated: 0 });
      expect(await listings.rpc.call(Places.load, { places: places.slice(0, 1) }, org)).toMatchObject({ created: 0, updated: 1 });
      await expect(listings.rpc.call(Places.load, { places }, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      const expected = places
        .filter((p) => p.category === 'school')
        .map((p) => ({ name: p.name, d: haversineMeters(47.6615, -122.3503, p.latitude, p.longitude) }))
        .filter((p) => p.d <= 3000)
        .sort((a, b) => a.d - b.d);
      const nearby = await listings.rpc.call(Places.nearby, { propertyId: home.id, radius: 3000, category: ['school'] }, org);
      expect(nearby.items.map((p) => p.name)).toEqual(expected.map((p) => p.name));
      nearby.items.forEach((item, i) => expect(Math.abs(item.distanceMeters - expected[i].d)).toBeLessThan(expected[i].d * 0.005 + 1));
      expect(nearby.items[0].provider).toBe('local');
      await expect(listings.rpc.call(Places.nearby, { propertyId: home.id }, otherOwner)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });
});
