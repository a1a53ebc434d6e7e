import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ListingsPropertySubjects as S,
  type Actor,
  type GeoJsonArea,
  type Page,
  type PropertyComparablesRequest,
  type PropertyComparablesResponse,
  type PropertyFilters,
  type PropertyListRequest,
  type PropertyPolygonSearchRequest,
  type PropertyRadiusSearchRequest,
  type PropertyView,
  type PropertyWithDistance,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { InvalidCursorError, keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { ListingsErrorCode } from '../../listings.exception';
import { areaProblems } from './geo-area.util';
import { PropertyAccess } from './property-access.service';
import { PROPERTY_COLUMNS, toPropertyView, type PropertyRow } from './property.model';
import { todayUtc } from './property-record';

/** Largest radius of a radius search, metres. */
export const MAX_RADIUS_METERS = 50_000;

const SORTS: Record<string, { column: string; position: (row: PropertyRow) => string | Date }> = {
  modificationTimestamp: { column: 'p.modification_timestamp', position: (row) => row.modification_timestamp },
  price: { column: 'p.current_price', position: (row) => row.current_price },
  createdAt: { column: 'p.created_at', position: (row) => row.created_at },
};

function pageOrThrow<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new DomainException('validation', ListingsErrorCode.InvalidCursor, error.message, [
        { field: 'cursor', message: 'is not a cursor of this list' },
      ]);
    }
    throw error;
  }
}

/**
 * Appends the list filters to `where` (SQL over `property p`) and their values to `params`.
 * Shared by the list, the radius search and the polygon search.
 */
export function filterConditions(filters: PropertyFilters, where: string[], params: unknown[]): void {
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filters.standardStatus?.length) add((n) => `p.standard_status = ANY(${n}::text[])`, filters.standardStatus);
  if (filters.propertyType?.length) add((n) => `p.property_type = ANY(${n}::text[])`, filters.propertyType);
  if (filters.minPrice !== undefined) add((n) => `p.current_price >= ${n}::bigint`, filters.minPrice);
  if (filters.maxPrice !== undefined) add((n) => `p.current_price <= ${n}::bigint`, filters.maxPrice);
  if (filters.minBedrooms !== undefined) add((n) => `p.bedrooms_total >= ${n}::int`, filters.minBedrooms);
  if (filters.maxBedrooms !== undefined) add((n) => `p.bedrooms_total <= ${n}::int`, filters.maxBedrooms);
  if (filters.minBathrooms !== undefined) add((n) => `p.bathrooms_total_integer >= ${n}::int`, filters.minBathrooms);
  if (filters.maxBathrooms !== undefined) add((n) => `p.bathrooms_total_integer <= ${n}::int`, filters.maxBathrooms);
  if (filters.minLivingArea !== undefined) add((n) => `p.living_area >= ${n}::int`, filters.minLivingArea);
  if (filters.maxLivingArea !== undefined) add((n) => `p.living_area <= ${n}::int`, filters.maxLivingArea);
  if (filters.city) add((n) => `lower(p.city) = lower(${n})`, filters.city);
  if (filters.postalCode) add((n) => `p.postal_code = ${n}`, filters.postalCode);
  if (filters.listAgentId) add((n) => `p.list_agent_id = ${n}::uuid`, filters.listAgentId);
  if (filters.modifiedSince) add((n) => `p.modification_timestamp >= ${n}::timestamptz`, filters.modifiedSince);
}

/**
 * [minLng, minLat, maxLng, maxLat] enclosing a circle, or null beyond 70° of latitude or across the
 * antimeridian, where the caller falls back to ST_DWithin. The 10 % margin covers the poleward bulge
 * of the envelope's geodesic edges (about 0.5 km for a 50 km radius at 70°, against a margin of 5 km).
 */
export function boundingBox(latitude: number, longitude: number, radius: number): [number, number, number, number] | null {
  const dLat = (radius / 111_000) * 1.1;
  const dLng = (radius / (111_000 * Math.cos((latitude * Math.PI) / 180))) * 1.1;
  if (Math.abs(latitude) + dLat > 70 || Math.abs(longitude) + dLng > 180) return null;
  return [longitude - dLng, latitude - dLat, longitude + dLng, latitude + dLat];
}

/** Percentile with linear interpolation between closest ranks (type 7); `sorted` ascending, non-empty. */
export function percentile(sorted: number[], p: number): number {
  const rank = (sorted.length - 1) * p;
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/**
 * Property lists and geo search: filtered, sorted, keyset-paginated lists; radius search (nearest
 * first, distances on the mean-radius sphere, a GiST KNN scan bounded by a bounding box, then the exact circle); search inside a drawn
 * GeoJSON area (`ST_Covers`); and comparable closed sales for a subject. NATS responders of
 * `listings.properties.{list,polygon-search,radius-search,comparables}`.
 */
@Injectable()
export class PropertySearchService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: PropertyAccess,
  ) {}

  /** Listings the caller may read, filtered and sorted (default `-modificationTimestamp`). @throws 400 `INVALID_CURSOR`, unknown sort. */
  @RpcHandler(S.list)
  async list(envelope: RequestEnvelope<PropertyListRequest>): Promise<Page<PropertyView>> {
    const actor = envelope.actor!;
    const { where, params } = this.base(actor, envelope.data);
    return this.sortedPage(where, params, envelope.data.sort, envelope.data);
  }

  /** Listings inside a drawn area, with the list filters. @throws 400 `INVALID_GEOMETRY`, `INVALID_CURSOR`. */
  @RpcHandler(S.polygonSearch)
  async polygonSearch(envelope: RequestEnvelope<PropertyPolygonSearchRequest>): Promise<Page<PropertyView>> {
    const actor = envelope.actor!;
    const area = await this.validArea(envelope.data.geometry);
    const { where, params } = this.base(actor, envelope.data);
    params.push(JSON.stringify(area));
    where.push(`p.location IS NOT NULL AND public.ST_Covers(public.ST_GeomFromGeoJSON($${params.length})::public.geography, p.location)`);
    return this.sortedPage(where, params, envelope.data.sort, envelope.data);
  }

  /** Listings within `radius` metres, nearest first with `distanceMeters`. @throws 400 radius out of 1..50 000, `INVALID_CURSOR`. */
  @RpcHandler(S.radiusSearch)
  async radiusSearch(envelope: RequestEnvelope<PropertyRadiusSearchRequest>): Promise<Page<PropertyWithDistance>> {
    const actor = envelope.actor!;
    const data = envelope.data;
    if (!(data.radius > 0 && data.radius <= MAX_RADIUS_METERS)) {
      throw DomainException.validation([{ field: 'radius', message: `must be between 1 and ${MAX_RADIUS_METERS} metres` }]);
    }
    const { where, params } = this.base(actor, data);
    params.push(data.longitude, data.latitude, data.radius);
    const point = `public.ST_SetSRID(public.ST_MakePoint($${params.length - 2}::float8, $${params.length - 1}::float8), 4326)::public.geography`;
    // Distance on the mean-radius sphere (`<->`), the same value orders the page and is answered.
    const distance = `(p.location OPERATOR(public.<->) ${point})`;
    const box = boundingBox(data.latitude, data.longitude, data.radius);
    if (box) {
      // A bounding box the GiST index answers with a good row estimate, then the exact circle:
      // much cheaper than ST_DWithin on the spheroid, whose tiny selectivity estimate also misleads the planner.
      params.push(...box);
      const n = params.length;
      where.push(
        `p.location OPERATOR(public.&&) public.ST_MakeEnvelope($${n - 3}::float8, $${n - 2}::float8, $${n - 1}::float8, $${n}::float8, 4326)::public.geography`,
      );
      where.push(`${distance} <= $${params.length - 4}::float8`);
    } else {
      where.push(`public.ST_DWithin(p.location, ${point}, $${params.length}::float8, false)`);
    }
    // Keyset on (distance, id), but ordered by the KNN operator alone: the GiST index then yields
    // the nearest rows first and the scan stops after the page (`location && box` bounds it as an
    // index condition). `WITH TIES` returns every row at the distance of the last one, so the
    // id tie-break below (and the `(distance, id) > cursor` filter) never splits equal distances
    // (the same house sold twice has one location) across pages in an unstable order.
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: distance,
        idColumn: 'p.id',
        direction: 'ASC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT ${PROPERTY_COLUMNS}, ${distance} AS distance_meters FROM property p WHERE ${where.join(' AND ')} AND ${page.where}
       ORDER BY ${distance} FETCH FIRST ${page.limit + 1} ROWS WITH TIES`,
      [...params, ...page.params],
    )) as Array<PropertyRow & { distance_meters: number }>;
    const ordered = rows
      .map((row) => ({ row, distance: Number(row.distance_meters) }))
      .sort((a, b) => a.distance - b.distance || (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0))
      .slice(0, page.limit + 1);
    return toPage(
      ordered,
      page.limit,
      (item) => ({ v: item.distance, id: item.row.id }),
      (item) => ({
        ...toPropertyView(item.row),
        distanceMeters: Math.round(item.distance * 100) / 100,
      }),
    );
  }

  /**
   * Comparable closed sales near a subject the caller may read, with price per square foot and a
   * suggested range. @throws 404 `PROPERTY_NOT_FOUND`; 422 `SUBJECT_HAS_NO_LOCATION_OR_LIVING_AREA`.
   */
  @RpcHandler(S.comparables)
  async comparables(envelope: RequestEnvelope<PropertyComparablesRequest>): Promise<PropertyComparablesResponse> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const params: unknown[] = [actor.orgId, data.id];
    const visible = this.access.readCondition(actor, params);
    const subjects = (await this.dataSource.query(
      `SELECT ${PROPERTY_COLUMNS} FROM property p WHERE p.org_id = $1 AND p.id = $2 AND p.deleted_at IS NULL AND ${visible}`,
      params,
    )) as PropertyRow[];
    if (!subjects[0]) throw DomainException.notFound(ListingsErrorCode.PropertyNotFound, 'Property');
    const subject = toPropertyView(subjects[0]);
    if (subject.latitude === null || !subject.livingArea) {
      throw new DomainException('unprocessable', ListingsErrorCode.NoLivingArea, 'Comparables need the subject’s location and living area');
    }
    const radius = data.radius ?? 1600;
    const months = data.months ?? 12;
    const bedroomsTolerance = data.bedroomsTolerance ?? 1;
    const tolerance = data.livingAreaTolerancePercent ?? 20;
    const limit = data.limit ?? 10;
    // Recency counts back from the subject's own sale when it is Closed (a past sale is valued
    // against sales of its time), else from today.
    const reference = subject.standardStatus === 'Closed' && subject.closeDate ? subject.closeDate : todayUtc();
    const since = new Date(`${reference}T00:00:00Z`);
    since.setUTCMonth(since.getUTCMonth() - months);
    const closedOnOrAfter = since.toISOString().slice(0, 10);
    const compParams: unknown[] = [
      actor.orgId,
      subject.id,
      radius,
      closedOnOrAfter,
      reference,
      Math.floor((subject.livingArea * (100 - tolerance)) / 100),
      Math.ceil((subject.livingArea * (100 + tolerance)) / 100),
      subject.bedroomsTotal,
      bedroomsTolerance,
      limit,
    ];
    const compVisible = this.access.readCondition(actor, compParams);
    const rows = (await this.dataSource.query(
      `WITH s AS (SELECT location FROM property WHERE id = $2)
       SELECT ${PROPERTY_COLUMNS}, public.ST_Distance(p.location, s.location) AS distance_meters
       FROM property p, s
       WHERE p.org_id = $1 AND p.id <> $2 AND p.deleted_at IS NULL AND p.standard_status = 'Closed'
         AND p.close_date BETWEEN $4::date AND $5::date
         AND public.ST_DWithin(p.location, s.location, $3::float8)
         AND p.living_area BETWEEN $6::int AND $7::int AND p.living_area > 0
         AND ($8::int IS NULL OR p.bedrooms_total BETWEEN $8::int - $9::int AND $8::int + $9::int)
         AND ${compVisible}
       ORDER BY distance_meters, p.close_date DESC, p.id
       LIMIT $10`,
      compParams,
    )) as Array<PropertyRow & { distance_meters: number }>;
    const items = rows.map((row) => {
      const property = toPropertyView(row);
      return {
        property,
        distanceMeters: Math.round(Number(row.distance_meters) * 100) / 100,
        pricePerSqFt: Math.round(property.closePrice! / property.livingArea!),
      };
    });
    const perSqFt = items.map((item) => item.pricePerSqFt).sort((a, b) => a - b);
    const summary: PropertyComparablesResponse['summary'] = {
      count: items.length,
      medianPricePerSqFt: perSqFt.length ? Math.round(percentile(perSqFt, 0.5)) : null,
      suggestedPriceLow: perSqFt.length ? Math.round(percentile(perSqFt, 0.25) * subject.livingArea) : null,
      suggestedPriceHigh: perSqFt.length ? Math.round(percentile(perSqFt, 0.75) * subject.livingArea) : null,
    };
    return {
      subjectId: subject.id,
      criteria: { radius, months, bedroomsTolerance, livingAreaTolerancePercent: tolerance, closedOnOrAfter },
      items,
      summary,
    };
  }

  private base(actor: Actor, filters: PropertyFilters): { where: string[]; params: unknown[] } {
    const params: unknown[] = [actor.orgId];
    const where = ['p.org_id = $1', 'p.deleted_at IS NULL'];
    where.push(this.access.readCondition(actor, params));
    filterConditions(filters, where, params);
    return { where, params };
  }

  private async sortedPage(
    where: string[],
    params: unknown[],
    sortKey: string | undefined,
    query: { cursor?: string; limit?: number },
  ): Promise<Page<PropertyView>> {
    const key = sortKey ?? '-modificationTimestamp';
    const sort = SORTS[key.replace(/^-/, '')];
    if (!sort) throw DomainException.validation([{ field: 'sort', message: 'unknown sort key' }]);
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: sort.column,
        idColumn: 'p.id',
        direction: key.startsWith('-') ? 'DESC' : 'ASC',
        cursor: query.cursor,
        limit: query.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT ${PROPERTY_COLUMNS} FROM property p WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as PropertyRow[];
    return toPage(rows, page.limit, (row) => ({ v: sort.position(row), id: row.id }), toPropertyView);
  }

  /** Checks a drawn area: structure (`areaProblems`), then `ST_IsValid` (no self-intersection). */
  async validArea(area: GeoJsonArea): Promise<GeoJsonArea> {
    const problems = areaProblems(area);
    if (problems.length)
      throw new DomainException('validation', ListingsErrorCode.InvalidGeometry, 'The geometry is not a valid area', problems);
    const [check] = (await this.dataSource.query(
      `SELECT public.ST_IsValid(g) AS valid, public.ST_IsValidReason(g) AS reason FROM (SELECT public.ST_GeomFromGeoJSON($1) AS g) t`,
      [JSON.stringify({ type: area.type, coordinates: area.coordinates })],
    )) as Array<{ valid: boolean; reason: string }>;
    if (!check.valid) {
      throw new DomainException('validation', ListingsErrorCode.InvalidGeometry, 'The geometry is not a valid area', [
        { field: 'geometry', message: `invalid: ${check.reason}` },
      ]);
    }
    return { type: area.type, coordinates: area.coordinates };
  }
}
