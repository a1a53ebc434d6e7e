import { sql, type Selectable, type Selection } from 'kysely';
import type { ListingsDb } from '../../database/listings.db';

/** A row of `property` as node-postgres returns it (declared by the migrations: `listings.db.ts`). */
type PropertyRow = Selectable<ListingsDb['property']>;

/** The listings schema with `property` under the alias `p`, as every property query names it. */
export type PropertyTables = ListingsDb & { p: ListingsDb['property'] };

/**
 * The columns of a `PropertyView`, selected from `property p` (`.select(PROPERTY_VIEW_COLUMNS)`,
 * `.returning(...)`; `PROPERTY_VIEW_SQL` in whole statements): the table's columns but
 * `location`, `mls_source_id` and `deleted_at`, with prices (cents, bigint) as text, the close date
 * as `YYYY-MM-DD` and the PostGIS location as WGS 84 degrees (`latitude`, `longitude`).
 */
export const PROPERTY_VIEW_COLUMNS = [
  'p.id',
  'p.org_id',
  'p.listing_key',
  'p.listing_id',
  'p.origin',
  'p.standard_status',
  'p.property_type',
  sql<PropertyRow['list_price']>`p.list_price::text`.as('list_price'),
  sql<PropertyRow['close_price']>`p.close_price::text`.as('close_price'),
  sql<string | null>`to_char(p.close_date, 'YYYY-MM-DD')`.as('close_date'),
  'p.street_number',
  'p.street_name',
  'p.unit_number',
  'p.city',
  'p.state_or_province',
  'p.postal_code',
  sql<number | null>`public.ST_Y(p.location::public.geometry)`.as('latitude'),
  sql<number | null>`public.ST_X(p.location::public.geometry)`.as('longitude'),
  'p.bedrooms_total',
  'p.bathrooms_total_integer',
  'p.living_area',
  'p.lot_size_square_feet',
  'p.year_built',
  'p.public_remarks',
  'p.list_agent_id',
  'p.media',
  'p.attributes',
  'p.modification_timestamp',
  'p.created_at',
  sql<PropertyRow['current_price']>`p.current_price::text`.as('current_price'),
] as const;

/** `PROPERTY_VIEW_COLUMNS` as a select list for whole statements in Kysely's `sql` tag. */
export const PROPERTY_VIEW_SQL = sql.join(PROPERTY_VIEW_COLUMNS.map((column) => (typeof column === 'string' ? sql.ref(column) : column)));

/** A property as `PROPERTY_VIEW_COLUMNS` reads it: the projection of `PropertyRow` a `PropertyView` is made from. */
export type PropertyViewRow = Selection<PropertyTables, 'p', (typeof PROPERTY_VIEW_COLUMNS)[number]>;
