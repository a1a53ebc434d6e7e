import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { expressionBuilder, sql, type Expression, type SqlBool } from 'kysely';
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
import { keysetAfter, keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import { pageLimit } from '@keyhouse/util';
import type { ListingsDb } from '../../database/listings.db';
import { ListingsErrorCode } from '../../listings.exception';
import { areaProblems } from './geo-area.util';
import { PropertyAccess } from './property-access.service';
import { toPropertyView } from './property.mapper';
import { PROPERTY_VIEW_COLUMNS, type PropertyTables, type PropertyViewRow } from './property.row';
import { todayUtc } from './property-record.util';

/** Largest radius of a radius search, metres. */
export const MAX_RADIUS_METERS = 50_000;

const SORTS: Record<
  string,
  { column: 'p.modification_timestamp' | 'p.current_price' | 'p.created_at'; position: (row: PropertyViewRow) => string | Date | null }
> = {
  modificationTimestamp: { column: 'p.modification_timestamp', position: (row) => row.modification_timestamp },
  price: { column: 'p.current_price', position: (row) => row.current_price },
  createdAt: { column: 'p.created_at', position: (row) => row.created_at },
};

/**
 * The list filters as conditions over `property p` (each given filter one condition, values bound
 * with the casts of the filter's type). Shared by the list, the radius search and the polygon search.
 */
export function filterConditions(filters: PropertyFilters): Array<Expression<SqlBool>> {
  const eb = expressionBuilder<PropertyTables, 'p'>();
  const where: Array<Expression<SqlBool>> = [];
  if (filters.standardStatus?.length) where.push(eb('p.standard_status', '=', eb.fn.any(sql<string[]>`${filters.standardStatus}::text[]`)));
  if (filters.propertyType?.length) where.push(eb('p.property_type', '=', eb.fn.any(sql<string[]>`${filters.propertyType}::text[]`)));
  if (filters.minPrice !== undefined) where.push(eb('p.current_price', '>=', String(filters.minPrice)));
  if (filters.maxPrice !== undefined) where.push(eb('p.current_price', '<=', String(filters.maxPrice)));
  if (filters.minBedrooms !== undefined) where.push(eb('p.bedrooms_total', '>=', filters.minBedrooms));
  if (filters.maxBedrooms !== undefined) where.push(eb('p.bedrooms_total', '<=', filters.maxBedrooms));
  if (filters.minBathrooms !== undefined) where.push(eb('p.bathrooms_total_integer', '>=', filters.minBathrooms));
  if (filters.maxBathrooms !== undefined) where.push(eb('p.bathrooms_total_integer', '<=', filters.maxBathrooms));
  if (filters.minLivingArea !== undefined) where.push(eb('p.living_area', '>=', filters.minLivingArea));
  if (filters.maxLivingArea !== undefined) where.push(eb('p.living_area', '<=', filters.maxLivingArea));
  if (filters.city) where.push(eb(eb.fn('lower', ['p.city']), '=', eb.fn('lower', [eb.val(filters.city)])));
  if (filters.postalCode) where.push(eb('p.postal_code', '=', filters.postalCode));
  if (filters.listAgentId) where.push(eb('p.list_agent_id', '=', filters.listAgentId));
  if (filters.modifiedSince) where.push(eb('p.modification_timestamp', '>=', sql<Date>`${filters.modifiedSince}::timestamptz`));
  return where;
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
    const where = this.base(actor, envelope.data);
    return this.sortedPage(where, envelope.data.sort, envelope.data);
  }

  /** Listings inside a drawn area, with the list filters. @throws 400 `INVALID_GEOMETRY`, `INVALID_CURSOR`. */
  @RpcHandler(S.polygonSearch)
  async polygonSearch(envelope: RequestEnvelope<PropertyPolygonSearchRequest>): Promise<Page<PropertyView>> {
    const actor = envelope.actor!;
    const area = await this.validArea(envelope.data.geometry);
    const where = this.base(actor, envelope.data);
    where.push(
      sql<SqlBool>`p.location IS NOT NULL AND public.ST_Covers(public.ST_GeomFromGeoJSON(${JSON.stringify(area)})::public.geography, p.location)`,
    );
    return this.sortedPage(where, envelope.data.sort, envelope.data);
  }

  /** Listings within `radius` metres, nearest first with `distanceMeters`. @throws 400 radius out of 1..50 000, `INVALID_CURSOR`. */
  @RpcHandler(S.radiusSearch)
  async radiusSearch(envelope: RequestEnvelope<PropertyRadiusSearchRequest>): Promise<Page<PropertyWithDistance>> {
    const actor = envelope.actor!;
    const data = envelope.data;
    if (!(data.radius > 0 && data.radius <= MAX_RADIUS_METERS)) {
      throw DomainException.validation([{ field: 'radius', message: `must be between 1 and ${MAX_RADIUS_METERS} metres` }]);
    }
    const where = this.base(actor, data);
    const point = sql`public.ST_SetSRID(public.ST_MakePoint(${data.longitude}::float8, ${data.latitude}::float8), 4326)::public.geography`;
    // Distance on the mean-radius sphere (`<->`), the same value orders the page and is answered.
    const distance = sql<number>`(p.location OPERATOR(public.<->) ${point})`;
    const box = boundingBox(data.latitude, data.longitude, data.radius);
    if (box) {
      // A bounding box the GiST index answers with a good row estimate, then the exact circle:
      // much cheaper than ST_DWithin on the spheroid, whose tiny selectivity estimate also misleads the planner.
      const [minLng, minLat, maxLng, maxLat] = box;
      where.push(
        sql<SqlBool>`p.location OPERATOR(public.&&) public.ST_MakeEnvelope(${minLng}::float8, ${minLat}::float8, ${maxLng}::float8, ${maxLat}::float8, 4326)::public.geography`,
      );
      where.push(sql<SqlBool>`${distance} <= ${data.radius}::float8`);
    } else {
      where.push(sql<SqlBool>`public.ST_DWithin(p.location, ${point}, ${data.radius}::float8, false)`);
    }
    // Keyset on (distance, id), but ordered by the KNN operator alone: the GiST index then yields
    // the nearest rows first and the scan stops after the page (`location && box` bounds it as an
    // index condition). `WITH TIES` returns every row at the distance of the last one, so the
    // id tie-break below (and the `(distance, id) > cursor` filter) never splits equal distances
    // (the same house sold twice has one location) across pages in an unstable order.
    const limit = pageLimit(data.limit);
    const after = keysetAfter({ sort: distance, id: sql.ref('p.id'), direction: 'asc' }, data.cursor);
    if (after) where.push(after);
    const rows = await kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('property as p')
      .select(PROPERTY_VIEW_COLUMNS)
      .select(distance.as('distance_meters'))
      .where((eb) => eb.and(where))
      .orderBy(distance)
      .fetch(limit + 1, 'with ties')
      .execute();
    const ordered = rows
      .map((row) => ({ row, distance: Number(row.distance_meters) }))
      .sort((a, b) => a.distance - b.distance || (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0))
      .slice(0, limit + 1);
    return toPage(
      ordered,
      limit,
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
    const visible = this.access.readCondition(actor);
    const db = kyselyFor<ListingsDb>(this.dataSource);
    const found = await db
      .selectFrom('property as p')
      .select(PROPERTY_VIEW_COLUMNS)
      .where('p.org_id', '=', actor.orgId)
      .where('p.id', '=', data.id)
      .where('p.deleted_at', 'is', null)
      .where(visible)
      .executeTakeFirst();
    if (!found) throw DomainException.notFound(ListingsErrorCode.PropertyNotFound, 'Property');
    const subject = toPropertyView(found);
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
    const bedrooms = subject.bedroomsTotal;
    let comparable = db
      .with('s', (cte) => cte.selectFrom('property').select('location').where('id', '=', subject.id))
      .selectFrom(['property as p', 's'])
      .select(PROPERTY_VIEW_COLUMNS)
      .select(sql<number>`public.ST_Distance(p.location, s.location)`.as('distance_meters'))
      .where('p.org_id', '=', actor.orgId)
      .where('p.id', '<>', subject.id)
      .where('p.deleted_at', 'is', null)
      .where('p.standard_status', '=', 'Closed')
      .where((eb) => eb.between('p.close_date', sql<Date>`${closedOnOrAfter}::date`, sql<Date>`${reference}::date`))
      .where(sql<SqlBool>`public.ST_DWithin(p.location, s.location, ${radius}::float8)`)
      .where((eb) =>
        eb.between(
          'p.living_area',
          sql<number>`${Math.floor((subject.livingArea! * (100 - tolerance)) / 100)}::int`,
          sql<number>`${Math.ceil((subject.livingArea! * (100 + tolerance)) / 100)}::int`,
        ),
      )
      .where('p.living_area', '>', 0);
    if (bedrooms !== null) {
      comparable = comparable.where((eb) =>
        eb.between(
          'p.bedrooms_total',
          sql<number>`${bedrooms}::int - ${bedroomsTolerance}::int`,
          sql<number>`${bedrooms}::int + ${bedroomsTolerance}::int`,
        ),
      );
    }
    const rows = await comparable
      .where(this.access.readCondition(actor))
      .orderBy('distance_meters')
      .orderBy('p.close_date', 'desc')
      .orderBy('p.id')
      .limit(limit)
      .execute();
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

  /** The organization's live listings the actor may read, with the list filters: conditions over `property p`. */
  private base(actor: Actor, filters: PropertyFilters): Array<Expression<SqlBool>> {
    const eb = expressionBuilder<PropertyTables, 'p'>();
    const where: Array<Expression<SqlBool>> = [eb('p.org_id', '=', actor.orgId), eb('p.deleted_at', 'is', null)];
    where.push(this.access.readCondition(actor));
    where.push(...filterConditions(filters));
    return where;
  }

  private async sortedPage(
    where: Array<Expression<SqlBool>>,
    sortKey: string | undefined,
    query: { cursor?: string; limit?: number },
  ): Promise<Page<PropertyView>> {
    const key = sortKey ?? '-modificationTimestamp';
    const sort = SORTS[key.replace(/^-/, '')];
    if (!sort) throw DomainException.validation([{ field: 'sort', message: 'unknown sort key' }]);
    const page = keysetPage(
      kyselyFor<ListingsDb>(this.dataSource)
        .selectFrom('property as p')
        .select(PROPERTY_VIEW_COLUMNS)
        .where((eb) => eb.and(where)),
      { sort: sql.ref(sort.column), id: sql.ref('p.id'), direction: key.startsWith('-') ? 'desc' : 'asc' },
      query,
    );
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: sort.position(row), id: row.id }), toPropertyView);
  }

  /** Checks a drawn area: structure (`areaProblems`), then `ST_IsValid` (no self-intersection). */
  async validArea(area: GeoJsonArea): Promise<GeoJsonArea> {
    const problems = areaProblems(area);
    if (problems.length)
      throw new DomainException('validation', ListingsErrorCode.InvalidGeometry, 'The geometry is not a valid area', problems);
    // Raw SQL: PostGIS functions over a parameter, no table.
    const geoJson = JSON.stringify({ type: area.type, coordinates: area.coordinates });
    const {
      rows: [check],
    } = await sql<{ valid: boolean; reason: string }>`
      SELECT public.ST_IsValid(g) AS valid, public.ST_IsValidReason(g) AS reason FROM (SELECT public.ST_GeomFromGeoJSON(${geoJson}) AS g) t`.execute(
      kyselyFor<ListingsDb>(this.dataSource),
    );
    if (!check.valid) {
      throw new DomainException('validation', ListingsErrorCode.InvalidGeometry, 'The geometry is not a valid area', [
        { field: 'geometry', message: `invalid: ${check.reason}` },
      ]);
    }
    return { type: area.type, coordinates: area.coordinates };
  }
}
