import { areaProblems, MAX_AREA_VERTICES } from './geo-area.util';

const square = [
  [
    [-122.36, 47.65],
    [-122.33, 47.65],
    [-122.33, 47.67],
    [-122.36, 47.67],
    [-122.36, 47.65],
  ],
];

describe('areaProblems', () => {
  it('accepts a closed Polygon and a MultiPolygon of closed polygons', () => {
    expect(areaProblems({ type: 'Polygon', coordinates: square })).toEqual([]);
    expect(areaProblems({ type: 'MultiPolygon', coordinates: [square, square] })).toEqual([]);
  });

  it('names the ring that is not closed, too short, or out of bounds', () => {
    expect(
      areaProblems({
        type: 'Polygon',
        coordinates: [
          [
            [-122.36, 47.65],
            [-122.33, 47.65],
            [-122.33, 47.67],
            [-122.36, 47.67],
          ],
        ],
      }),
    ).toEqual([{ field: 'geometry.coordinates[0]', message: 'a linear ring must be closed (first position = last)' }]);
    expect(
      areaProblems({
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      })[0].field,
    ).toBe('geometry.coordinates[0]');
    expect(
      areaProblems({
        type: 'MultiPolygon',
        coordinates: [
          square,
          [
            [
              [0, 0],
              [200, 0],
              [0, 1],
              [0, 0],
            ],
          ],
        ],
      })[0].field,
    ).toBe('geometry.coordinates[1][0]');
  });

  it('refuses other geometry types and too many positions', () => {
    expect(areaProblems({ type: 'Point', coordinates: [0, 0] })[0].field).toBe('geometry.type');
    const ring = Array.from({ length: MAX_AREA_VERTICES + 1 }, (_, i) => [Math.cos(i) / 100, Math.sin(i) / 100]);
    ring.push(ring[0]);
    expect(areaProblems({ type: 'Polygon', coordinates: [ring] }).map((p) => p.field)).toContain('geometry.coordinates');
  });
});
