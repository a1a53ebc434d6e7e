import { boundingBox, percentile } from './property-search.service';

/** Haversine distance in metres on the mean-radius sphere. */
function haversine(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(a));
}

describe('boundingBox', () => {
  it.each([
    [47.6097, -122.3422, 1000],
    [47.6097, -122.3422, 50_000],
    [-33.87, 151.21, 20_000],
    [64.1, -21.9, 50_000],
  ])('encloses the circle of radius %p,%p r=%p with room to spare on every side', (lat, lng, radius) => {
    const box = boundingBox(lat, lng, radius)!;
    expect(box).not.toBeNull();
    const [minLng, minLat, maxLng, maxLat] = box;
    expect(haversine(lat, lng, minLat, lng)).toBeGreaterThan(radius);
    expect(haversine(lat, lng, maxLat, lng)).toBeGreaterThan(radius);
    // East-west at the latitude nearer the equator, where a degree of longitude is widest.
    const widest = Math.abs(minLat) < Math.abs(maxLat) ? minLat : maxLat;
    expect(haversine(widest, lng, widest, minLng)).toBeGreaterThan(radius);
    expect(haversine(widest, lng, widest, maxLng)).toBeGreaterThan(radius);
  });

  it('gives up near the poles and across the antimeridian', () => {
    expect(boundingBox(69.9, 0, 50_000)).toBeNull();
    expect(boundingBox(0, 179.9, 50_000)).toBeNull();
  });
});

describe('percentile', () => {
  it('interpolates linearly between closest ranks', () => {
    expect(percentile([10, 20, 30, 40], 0.5)).toBe(25);
    expect(percentile([10, 20, 30, 40], 0.25)).toBe(17.5);
    expect(percentile([7], 0.75)).toBe(7);
  });
});
