import type { FieldError, GeoJsonArea } from '@keyhouse/contracts';

/** Most vertices a search area may have over all its rings (keeps ST_Covers cheap and bodies small). */
export const MAX_AREA_VERTICES = 2000;

const isPosition = (value: unknown): value is [number, number] =>
  Array.isArray(value) &&
  (value.length === 2 || value.length === 3) &&
  value.every((n) => typeof n === 'number' && Number.isFinite(n)) &&
  Math.abs(value[0] as number) <= 180 &&
  Math.abs(value[1] as number) <= 90;

/**
 * Structural checks of a GeoJSON Polygon or MultiPolygon (RFC 7946 §3.1.6-7) before PostGIS sees
 * it: positions are [longitude, latitude] within bounds, each linear ring has at least four
 * positions and is closed (first = last), at most `MAX_AREA_VERTICES` positions in all. Validity
 * (no self-intersection) is checked afterwards with `ST_IsValid`. Returns field errors (empty when fine).
 */
export function areaProblems(area: unknown, field = 'geometry'): FieldError[] {
  const value = area as Partial<GeoJsonArea> | null;
  if (!value || typeof value !== 'object' || (value.type !== 'Polygon' && value.type !== 'MultiPolygon')) {
    return [{ field: `${field}.type`, message: 'must be Polygon or MultiPolygon' }];
  }
  if (!Array.isArray(value.coordinates) || value.coordinates.length === 0) {
    return [{ field: `${field}.coordinates`, message: 'must be a non-empty array' }];
  }
  const polygons = (value.type === 'Polygon' ? [value.coordinates] : value.coordinates) as unknown[];
  let vertices = 0;
  const problems: FieldError[] = [];
  polygons.forEach((polygon, p) => {
    const prefix = value.type === 'Polygon' ? `${field}.coordinates` : `${field}.coordinates[${p}]`;
    if (!Array.isArray(polygon) || polygon.length === 0) {
      problems.push({ field: prefix, message: 'must be an array of linear rings' });
      return;
    }
    polygon.forEach((ring: unknown, r) => {
      const path = `${prefix}[${r}]`;
      if (!Array.isArray(ring) || ring.length < 4) {
        problems.push({ field: path, message: 'a linear ring needs at least 4 positions' });
        return;
      }
      vertices += ring.length;
      if (!ring.every(isPosition)) {
        problems.push({ field: path, message: 'positions must be [longitude, latitude] within -180..180 and -90..90' });
        return;
      }
      const first = ring[0] as number[];
      const last = ring[ring.length - 1] as number[];
      if (first[0] !== last[0] || first[1] !== last[1])
        problems.push({ field: path, message: 'a linear ring must be closed (first position = last)' });
    });
  });
  if (vertices > MAX_AREA_VERTICES) problems.push({ field: `${field}.coordinates`, message: `at most ${MAX_AREA_VERTICES} positions` });
  return problems;
}
