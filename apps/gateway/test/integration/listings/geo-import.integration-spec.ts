import * as fs from 'node:fs';
import { createUser, registerOrganization, type Session } from '../../support/fixtures';
import {
  haversineMeters,
  KING_COUNTY_FILE,
  kingCountySlice,
  propertyBody,
  type Page,
  type Problem,
  type Property,
} from '../../support/listings-fixtures';
import { startStack, type TestStack } from '../../support/stack';

interface ImportResult {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rejectedRows: Array<{ row: number; listingKey: string | null; reasons: string[] }>;
}

interface Comparables {
  items: Array<{ property: Property; distanceMeters: number; pricePerSqFt: number }>;
  summary: { count: number; medianPricePerSqFt: number | null; suggestedPriceLow: number | null; suggestedPriceHigh: number | null };
  criteria: { closedOnOrAfter: string };
}

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

describe('Listings: King County import and geo search through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let otherOwner: Session;
  let agent: Session;
  let firstImport: ImportResult;
  const csv = (session: Session, body: string, query = '') =>
    stack.http.request<ImportResult & Problem>('POST', `/v1/properties/import${query}`, {
      token: session.accessToken,
      raw: body,
      headers: { 'content-type': 'text/csv' },
    });

  beforeAll(async () => {
    stack = await startStack({}, { services: ['listings'] });
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
    otherOwner = await registerOrganization(stack.http, 'Rival Realty');
    agent = await createUser(stack.http, owner, 'agent');
    const bad = [
      '"9000000001","20141013T000000",not-a-price,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",47.5112,-122.257,1340,5650',
      '"9000000002","20141013T000000",221900,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",,-122.257,1340,5650',
      '"9000000003","20991013T000000",221900,3,1,1180,5650,"1",0,0,3,7,1180,0,1955,0,"98178",47.5112,-122.257,1340,5650',
    ].join('\n');
    const response = await csv(owner, `${kingCountySlice(SLICE)}${bad}\n`);
    expect(response.status).toBe(200);
    firstImport = response.body;
  });

  afterAll(async () => {
    await stack.stop();
  });

  describe('POST /v1/properties/import', () => {
    it('loads the first 500 real King County rows as Closed listings and reports the hand-made bad rows with reasons', async () => {
      const distinct = new Set(sliceRows().map((r) => r.key)).size;
      expect(firstImport).toMatchObject({ rows: SLICE + 3, created: distinct, updated: 0, rejected: 3 });
      expect(firstImport.rejectedRows).toEqual([
        { row: 501, listingKey: 'KC-9000000001-20141013', reasons: ['price: must be a number'] },
        { row: 502, listingKey: 'KC-9000000002-20141013', reasons: ['lat: is required'] },
        { row: 503, listingKey: 'KC-9000000003-20991013', reasons: ['closeDate: must not be in the future'] },
      ]);
      const list = await stack.http.get<Page<Property>>('/v1/properties?postalCode=98178&sort=price&limit=100', {
        token: agent.accessToken,
      });
      const first = list.body.items.find((p) => p.listingKey === 'KC-7129300520-20141013')!;
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
      const again = await csv(owner, kingCountySlice(SLICE));
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ rows: SLICE, created: 0, updated: 0, unchanged: SLICE, rejected: 0 });
    });

    it('refuses a file that is not King County CSV (400), agents (403), and never shows the rows to another organization', async () => {
      const bad = await csv(owner, 'name,price\nx,1\n');
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('INVALID_IMPORT_FILE');
      expect((await csv(agent, kingCountySlice(2))).status).toBe(403);
      const foreign = await stack.http.get<Page<Property>>('/v1/properties?standardStatus=Closed', { token: otherOwner.accessToken });
      expect(foreign.body.items).toEqual([]);
    });
  });

  describe('GET /v1/geo/radius-search', () => {
    // Centre: Pike Place Market. Points chosen well inside or outside 1 000 m.
    const centre = { lat: 47.6097, lng: -122.3422 };
    const points = [
      { key: 'R-near', lat: 47.6105, lng: -122.341, beds: 2 },
      { key: 'R-mid', lat: 47.613, lng: -122.338, beds: 3 },
      { key: 'R-edge', lat: 47.603, lng: -122.337, beds: 4 },
      { key: 'R-out', lat: 47.625, lng: -122.356, beds: 3 },
      { key: 'R-far', lat: 47.67, lng: -122.39, beds: 3 },
    ];
    let org: Session;

    beforeAll(async () => {
      org = await registerOrganization(stack.http, 'Radius Realty');
      for (const p of points) {
        const created = await stack.http.post(
          '/v1/properties',
          propertyBody({ listingKey: p.key, latitude: p.lat, longitude: p.lng, bedroomsTotal: p.beds }),
          { token: org.accessToken },
        );
        expect(created.status).toBe(201);
      }
    });

    it('returns the listings within the radius nearest first, each distance matching the haversine distance within 0.5 %', async () => {
      const expected = points
        .map((p) => ({ ...p, d: haversineMeters(centre.lat, centre.lng, p.lat, p.lng) }))
        .filter((p) => p.d <= 1000)
        .sort((a, b) => a.d - b.d);
      expect(expected.map((p) => p.key)).toEqual(['R-near', 'R-mid', 'R-edge']);
      const response = await stack.http.get<Page<Property>>(`/v1/geo/radius-search?lat=${centre.lat}&lng=${centre.lng}&radius=1000`, {
        token: org.accessToken,
      });
      expect(response.status).toBe(200);
      expect(response.body.items.map((p) => p.listingKey)).toEqual(expected.map((p) => p.key));
      response.body.items.forEach((item, i) => {
        expect(Math.abs(item.distanceMeters! - expected[i].d)).toBeLessThan(expected[i].d * 0.005 + 1);
      });
      expect(response.body.nextCursor).toBeNull();
    });

    it('combines with the list filters and pages with a cursor', async () => {
      const filtered = await stack.http.get<Page<Property>>(
        `/v1/geo/radius-search?lat=${centre.lat}&lng=${centre.lng}&radius=3000&minBedrooms=3`,
        { token: org.accessToken },
      );
      expect(filtered.body.items.map((p) => p.listingKey)).toEqual(['R-mid', 'R-edge', 'R-out']);
      const first = await stack.http.get<Page<Property>>(`/v1/geo/radius-search?lat=${centre.lat}&lng=${centre.lng}&radius=50000&limit=2`, {
        token: org.accessToken,
      });
      expect(first.body.items.map((p) => p.listingKey)).toEqual(['R-near', 'R-mid']);
      const second = await stack.http.get<Page<Property>>(
        `/v1/geo/radius-search?lat=${centre.lat}&lng=${centre.lng}&radius=50000&limit=2&cursor=${first.body.nextCursor}`,
        { token: org.accessToken },
      );
      expect(second.body.items.map((p) => p.listingKey)).toEqual(['R-edge', 'R-out']);
    });

    it('pages through listings at the same distance once each, in id order, across a page boundary', async () => {
      // Three listings at one point (≈ 10.5 km away; the same house sold three times), created in order: UUIDv7 ids ascend.
      for (const key of ['R-tie-1', 'R-tie-2', 'R-tie-3']) {
        const created = await stack.http.post('/v1/properties', propertyBody({ listingKey: key, latitude: 47.7, longitude: -122.3 }), {
          token: org.accessToken,
        });
        expect(created.status).toBe(201);
      }
      const keys: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: Page<Property> } = await stack.http.get<Page<Property>>(
          `/v1/geo/radius-search?lat=${centre.lat}&lng=${centre.lng}&radius=50000&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          { token: org.accessToken },
        );
        expect(page.status).toBe(200);
        keys.push(...page.body.items.map((p) => p.listingKey));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(keys).toEqual(['R-near', 'R-mid', 'R-edge', 'R-out', 'R-far', 'R-tie-1', 'R-tie-2', 'R-tie-3']);
    });

    it('refuses a radius over 50 km or missing coordinates (400) and shows nothing of another organization', async () => {
      expect((await stack.http.get(`/v1/geo/radius-search?lat=47.6&lng=-122.3&radius=50001`, { token: org.accessToken })).status).toBe(400);
      expect((await stack.http.get(`/v1/geo/radius-search?lng=-122.3&radius=100`, { token: org.accessToken })).status).toBe(400);
      expect((await stack.http.get(`/v1/geo/radius-search?lat=91&lng=-122.3&radius=100`, { token: org.accessToken })).status).toBe(400);
      const foreign = await stack.http.get<Page<Property>>(`/v1/geo/radius-search?lat=${centre.lat}&lng=${centre.lng}&radius=1000`, {
        token: otherOwner.accessToken,
      });
      expect(foreign.body.items).toEqual([]);
    });
  });

  describe('POST /v1/properties/search', () => {
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
    let org: Session;

    beforeAll(async () => {
      org = await registerOrganization(stack.http, 'Polygon Realty');
      const points = [
        { listingKey: 'P-in-1', latitude: 47.68, longitude: -122.33 },
        { listingKey: 'P-in-2', latitude: 47.675, longitude: -122.34 },
        { listingKey: 'P-out-1', latitude: 47.7, longitude: -122.33 },
        { listingKey: 'P-out-2', latitude: 47.68, longitude: -122.3 },
        { listingKey: 'P-far-in', latitude: 47.61, longitude: -122.19 },
      ];
      for (const p of points)
        expect((await stack.http.post('/v1/properties', propertyBody(p), { token: org.accessToken })).status).toBe(201);
    });

    const search = (body: unknown, session?: Session) =>
      stack.http.post<Page<Property> & Problem>('/v1/properties/search', body, { token: (session ?? org).accessToken });

    it('returns the listings inside a Polygon, and inside either part of a MultiPolygon, with the list filters', async () => {
      const polygon = await search({ geometry: { type: 'Polygon', coordinates: box }, sort: 'createdAt' });
      expect(polygon.status).toBe(200);
      expect(polygon.body.items.map((p) => p.listingKey)).toEqual(['P-in-1', 'P-in-2']);
      const multi = await search({ geometry: { type: 'MultiPolygon', coordinates: [box, far] }, sort: 'createdAt' });
      expect(multi.body.items.map((p) => p.listingKey)).toEqual(['P-in-1', 'P-in-2', 'P-far-in']);
      const filtered = await search({
        geometry: { type: 'MultiPolygon', coordinates: [box, far] },
        filters: { standardStatus: ['Pending'] },
      });
      expect(filtered.body.items).toEqual([]);
      expect((await search({ geometry: { type: 'Polygon', coordinates: box } }, otherOwner)).body.items).toEqual([]);
    });

    it('refuses an unclosed ring, a self-intersecting polygon, a point and unknown fields with 400', async () => {
      const open = await search({ geometry: { type: 'Polygon', coordinates: [box[0].slice(0, 4)] } });
      expect(open.status).toBe(400);
      expect(open.body.code).toBe('INVALID_GEOMETRY');
      const bowtie = await search({
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [-122.34, 47.67],
              [-122.32, 47.69],
              [-122.32, 47.67],
              [-122.34, 47.69],
              [-122.34, 47.67],
            ],
          ],
        },
      });
      expect(bowtie.status).toBe(400);
      expect(bowtie.body.code).toBe('INVALID_GEOMETRY');
      expect(bowtie.body.errors![0].message).toMatch(/Self-intersection/i);
      expect((await search({ geometry: { type: 'Point', coordinates: [-122.3, 47.6] } })).status).toBe(400);
      expect((await search({ geometry: { type: 'Polygon', coordinates: box }, bogus: true })).status).toBe(400);
    });
  });

  describe('GET /v1/properties/:id/comparables', () => {
    it('returns closed sales near a King County subject: within the radius, 12 months before its sale, ±1 bed, ±20 % living area, nearest first, with $/sq ft and a median', async () => {
      const rows = sliceRows();
      const subjectRow = rows[0];
      const list = await stack.http.get<Page<Property>>('/v1/properties?postalCode=98178&limit=100', { token: agent.accessToken });
      const subject = list.body.items.find((p) => p.listingKey === subjectRow.key)!;
      const response = await stack.http.get<Comparables>(`/v1/properties/${subject.id}/comparables?radius=3000&limit=50`, {
        token: agent.accessToken,
      });
      expect(response.status).toBe(200);
      const expected = rows
        .filter((r) => r.key !== subjectRow.key)
        .map((r) => ({ ...r, d: haversineMeters(subjectRow.lat, subjectRow.lng, r.lat, r.lng) }))
        .filter((r) => r.d <= 3000 && r.date >= '2013-10-13' && r.date <= '2014-10-13')
        .filter((r) => Math.abs(r.beds - subjectRow.beds) <= 1 && r.sqft >= 1180 * 0.8 && r.sqft <= 1180 * 1.2);
      // Leave out points within 20 m of the circle, where sphere and spheroid may disagree.
      const certain = expected.filter((r) => Math.abs(r.d - 3000) > 20).map((r) => r.key);
      const got = response.body.items.map((i) => i.property.listingKey);
      expect(certain.length).toBeGreaterThan(0);
      expect(got).toEqual(expect.arrayContaining(certain));
      expect(got.length).toBeLessThanOrEqual(expected.length + 1);
      const distances = response.body.items.map((i) => i.distanceMeters);
      expect(distances).toEqual([...distances].sort((a, b) => a - b));
      for (const item of response.body.items) {
        expect(item.property.standardStatus).toBe('Closed');
        expect(item.pricePerSqFt).toBe(Math.round(item.property.closePrice! / item.property.livingArea!));
        const d = haversineMeters(subjectRow.lat, subjectRow.lng, item.property.latitude!, item.property.longitude!);
        expect(Math.abs(item.distanceMeters - d)).toBeLessThan(d * 0.005 + 1);
      }
      expect(response.body.summary.count).toBe(got.length);
      expect(response.body.summary.medianPricePerSqFt).toBe(Math.round(median(response.body.items.map((i) => i.pricePerSqFt))));
      expect(response.body.summary.suggestedPriceLow!).toBeLessThanOrEqual(response.body.summary.suggestedPriceHigh!);
      expect(response.body.criteria.closedOnOrAfter).toBe('2013-10-13');
    });

    it('answers 404 for another organization’s subject and 422 for a subject without living area', async () => {
      const list = await stack.http.get<Page<Property>>('/v1/properties?limit=1', { token: owner.accessToken });
      expect((await stack.http.get(`/v1/properties/${list.body.items[0].id}/comparables`, { token: otherOwner.accessToken })).status).toBe(
        404,
      );
      const bare = await stack.http.post<Property>('/v1/properties', propertyBody({ livingArea: null }), { token: owner.accessToken });
      const noArea = await stack.http.get<Problem>(`/v1/properties/${bare.body.id}/comparables`, { token: owner.accessToken });
      expect(noArea.status).toBe(422);
    });
  });

  describe('nearby places', () => {
    it('loads places (admin only) and answers those near a listing, nearest first, by category; another organization gets 404', async () => {
      const org = await registerOrganization(stack.http, 'Places Realty');
      const home = await stack.http.post<Property>('/v1/properties', propertyBody({ latitude: 47.6615, longitude: -122.3503 }), {
        token: org.accessToken,
      });
      const places = [
        { name: 'B.F. Day Elementary', category: 'school', latitude: 47.6555, longitude: -122.351 },
        { name: 'Fremont Library', category: 'other', latitude: 47.6573, longitude: -122.3505 },
        { name: 'Ballard High', category: 'school', latitude: 47.6767, longitude: -122.377 },
        { name: 'Far Away School', category: 'school', latitude: 47.75, longitude: -122.2 },
      ];
      const loaded = await stack.http.post<{ created: number; updated: number }>('/v1/places', { places }, { token: org.accessToken });
      expect(loaded.status).toBe(200);
      expect(loaded.body).toMatchObject({ created: 4, updated: 0 });
      expect(
        (await stack.http.post<{ updated: number }>('/v1/places', { places: places.slice(0, 1) }, { token: org.accessToken })).body,
      ).toMatchObject({ created: 0, updated: 1 });
      expect((await stack.http.post('/v1/places', { places }, { token: agent.accessToken })).status).toBe(403);
      const expected = places
        .filter((p) => p.category === 'school')
        .map((p) => ({ name: p.name, d: haversineMeters(47.6615, -122.3503, p.latitude, p.longitude) }))
        .filter((p) => p.d <= 3000)
        .sort((a, b) => a.d - b.d);
      const nearby = await stack.http.get<{ items: Array<{ name: string; distanceMeters: number; provider: string }> }>(
        `/v1/properties/${home.body.id}/nearby?radius=3000&category=school`,
        { token: org.accessToken },
      );
      expect(nearby.status).toBe(200);
      expect(nearby.body.items.map((p) => p.name)).toEqual(expected.map((p) => p.name));
      nearby.body.items.forEach((item, i) => expect(Math.abs(item.distanceMeters - expected[i].d)).toBeLessThan(expected[i].d * 0.005 + 1));
      expect(nearby.body.items[0].provider).toBe('local');
      expect((await stack.http.get(`/v1/properties/${home.body.id}/nearby`, { token: otherOwner.accessToken })).status).toBe(404);
    });
  });
});
