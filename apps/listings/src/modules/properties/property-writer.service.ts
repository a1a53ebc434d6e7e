import { Injectable } from '@nestjs/common';
import { sql, type SqlBool } from 'kysely';
import {
  ListingsEvent,
  type PropertyCreatedData,
  type PropertyOrigin,
  type PropertyStatusChangedData,
  type PropertyUpdatedData,
  type PropertyView,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { ListingsDb } from '../../database/listings.db';
import { diffViews, snapshotOf, toPropertyView } from './property.mapper';
import type { PropertyRecord } from './property-record.util';
import { PROPERTY_VIEW_COLUMNS, PROPERTY_VIEW_SQL, type PropertyViewRow } from './property.row';

/** `jsonb_to_recordset` column list of a `PropertyRecord` (plus the new row id). */
const RECORDSET = sql`x(id uuid, listing_key text, listing_id text, standard_status text, property_type text, list_price bigint,
  close_price bigint, close_date date, street_number text, street_name text, unit_number text, city text,
  state_or_province text, postal_code text, latitude double precision, longitude double precision, bedrooms_total integer,
  bathrooms_total_integer integer, living_area integer, lot_size_square_feet integer, year_built integer, public_remarks text,
  list_agent_id uuid, media jsonb, attributes jsonb, modification_timestamp timestamptz)`;

/** Data columns written from a record, in order: columns of `property` and fields of `PropertyRecord` alike. */
const DATA_COLUMNS = [
  'listing_id',
  'standard_status',
  'property_type',
  'list_price',
  'close_price',
  'close_date',
  'street_number',
  'street_name',
  'unit_number',
  'city',
  'state_or_province',
  'postal_code',
  'bedrooms_total',
  'bathrooms_total_integer',
  'living_area',
  'lot_size_square_feet',
  'year_built',
  'public_remarks',
  'media',
  'attributes',
] as const satisfies ReadonlyArray<keyof PropertyRecord & keyof ListingsDb['property']>;

/** The `DATA_COLUMNS` of a record as the builder writes them (jsonb as JSON text), with its location. */
function dataValues(record: PropertyRecord) {
  return {
    listing_id: record.listing_id,
    standard_status: record.standard_status,
    property_type: record.property_type,
    list_price: record.list_price,
    close_price: record.close_price,
    close_date: record.close_date,
    street_number: record.street_number,
    street_name: record.street_name,
    unit_number: record.unit_number,
    city: record.city,
    state_or_province: record.state_or_province,
    postal_code: record.postal_code,
    bedrooms_total: record.bedrooms_total,
    bathrooms_total_integer: record.bathrooms_total_integer,
    living_area: record.living_area,
    lot_size_square_feet: record.lot_size_square_feet,
    year_built: record.year_built,
    public_remarks: record.public_remarks,
    media: JSON.stringify(record.media),
    attributes: JSON.stringify(record.attributes),
    location:
      record.latitude === null || record.longitude === null
        ? null
        : sql<string>`public.ST_SetSRID(public.ST_MakePoint(${record.longitude}::float8, ${record.latitude}::float8), 4326)::public.geography`,
  } satisfies Record<(typeof DATA_COLUMNS)[number] | 'location', unknown>;
}

/** The location of a `jsonb_to_recordset` row `x`: a geography point, or null without both coordinates. */
const LOCATION = sql`CASE WHEN x.latitude IS NULL OR x.longitude IS NULL THEN NULL
  ELSE public.ST_SetSRID(public.ST_MakePoint(x.longitude, x.latitude), 4326)::public.geography END`;

/** A `PropertyViewRow` through `row_to_json` (timestamps as ISO text): a row as it was before an upsert. */
type PropertyViewJson = Omit<PropertyViewRow, 'modification_timestamp' | 'created_at'> & {
  modification_timestamp: string;
  created_at: string;
};

/** What happened to each record of a bulk write, by listing key. */
export type UpsertOutcome = 'created' | 'updated' | 'unchanged';

export interface UpsertSummary {
  outcomes: Map<string, UpsertOutcome>;
  created: number;
  updated: number;
  unchanged: number;
}

/** Largest number of records per statement (the JSON parameter stays well under 1 MB of rows). */
export const UPSERT_BATCH = 1000;

/** One event of a bulk write, before it goes to `UnitOfWorkContext.emitMany`. */
interface PendingEvent<TData> {
  subject: string;
  orgId: string;
  data: TData;
}

/** The property change events of one write, by type, each list in the order of its properties. */
interface ChangeEvents {
  updated: Array<PendingEvent<PropertyUpdatedData>>;
  statusChanged: Array<PendingEvent<PropertyStatusChangedData>>;
}

/**
 * Writes properties and their events. Bulk paths (file import, MLS pull, webhook) upsert by
 * `(org_id, ListingKey)` in one statement per batch: a record equal to what is stored changes
 * nothing and emits nothing (so importing the same file twice is a no-op); an MLS record older
 * than the stored `ModificationTimestamp` is ignored. Every change emits `listings.property.*`
 * through the outbox in the caller's unit of work (`UnitOfWork.run`), then saved searches are
 * matched. A bulk write emits per type in few INSERTs: created, then updated, then status_changed
 * (each property's own events keep their order: updated before status_changed).
 */
@Injectable()
export class PropertyWriter {
  /** Inserts one new property (manual creation); null when the organization already has its ListingKey. */
  async insertOne(unit: UnitOfWorkContext, orgId: string, origin: PropertyOrigin, record: PropertyRecord): Promise<PropertyView | null> {
    // The inserted row as `p` (a data-modifying CTE: INSERT has no alias for the view's columns).
    const row = await kyselyFor<ListingsDb>(unit.manager)
      .with('p', (db) =>
        db
          .insertInto('property')
          .values({
            id: newId(),
            org_id: orgId,
            listing_key: record.listing_key,
            origin,
            list_agent_id: record.list_agent_id,
            modification_timestamp: record.modification_timestamp ?? sql<Date>`now()`,
            ...dataValues(record),
          })
          .onConflict((conflict) => conflict.columns(['org_id', 'listing_key']).doNothing())
          .returningAll(),
      )
      .selectFrom('p')
      .select(PROPERTY_VIEW_COLUMNS)
      .executeTakeFirst();
    if (!row) return null;
    const view = toPropertyView(row);
    await unit.emit(ListingsEvent.propertyCreated, view.id, orgId, snapshotOf(view));
    await this.matchSavedSearches(unit, orgId, [view.id]);
    return view;
  }

  /** Overwrites the data of one property (manual edit) and emits updated / status_changed events. */
  async updateOne(unit: UnitOfWorkContext, before: PropertyView, record: PropertyRecord): Promise<PropertyView> {
    const row = await kyselyFor<ListingsDb>(unit.manager)
      .updateTable('property as p')
      .set({ ...dataValues(record), list_agent_id: record.list_agent_id, modification_timestamp: sql<Date>`now()` })
      .where('p.org_id', '=', before.orgId)
      .where('p.id', '=', before.id)
      .returning(PROPERTY_VIEW_COLUMNS)
      .executeTakeFirstOrThrow();
    const after = toPropertyView(row);
    await this.emitChange(unit, before, after);
    await this.matchSavedSearches(unit, before.orgId, [after.id]);
    return after;
  }

  /**
   * Upserts records by ListingKey (duplicates within `records`: the last wins). Records must be
   * valid (`recordProblems` empty). `origin` applies to new rows; `mlsSourceId` ties MLS rows to their source.
   */
  async upsertMany(
    unit: UnitOfWorkContext,
    orgId: string,
    origin: PropertyOrigin,
    records: PropertyRecord[],
    options: { mlsSourceId?: string } = {},
  ): Promise<UpsertSummary> {
    const summary: UpsertSummary = { outcomes: new Map(), created: 0, updated: 0, unchanged: 0 };
    const unique = [...new Map(records.map((record) => [record.listing_key, record])).values()];
    for (let i = 0; i < unique.length; i += UPSERT_BATCH) {
      await this.upsertBatch(unit, orgId, origin, unique.slice(i, i + UPSERT_BATCH), options.mlsSourceId ?? null, summary);
    }
    return summary;
  }

  private async upsertBatch(
    unit: UnitOfWorkContext,
    orgId: string,
    origin: PropertyOrigin,
    batch: PropertyRecord[],
    mlsSourceId: string | null,
    summary: UpsertSummary,
  ): Promise<void> {
    const input = JSON.stringify(batch.map((record) => ({ ...record, id: newId() })));
    const compared = [...DATA_COLUMNS, 'list_agent_id'] as const;
    // Raw SQL: a jsonb_to_recordset INSERT source, a conditional upsert and the rows as they were
    // before it (`old`, the statement's snapshot) in one statement; rows typed by the view's projection.
    const { rows } = await sql<PropertyViewRow & { old: PropertyViewJson | null }>`
      WITH x AS (SELECT * FROM jsonb_to_recordset(${input}::jsonb) AS ${RECORDSET}),
      old AS (
        SELECT ${PROPERTY_VIEW_SQL}, p.deleted_at FROM property p
        WHERE p.org_id = ${orgId} AND p.listing_key IN (SELECT x.listing_key FROM x)
      ), upserted AS (
        INSERT INTO property AS p (id, org_id, listing_key, origin, mls_source_id, location, list_agent_id, modification_timestamp, ${sql.join(DATA_COLUMNS.map((c) => sql.ref(c)))})
        SELECT x.id, ${orgId}::uuid, x.listing_key, ${origin}::text, ${mlsSourceId}::uuid, ${LOCATION}, x.list_agent_id, coalesce(x.modification_timestamp, now()), ${sql.join(DATA_COLUMNS.map((c) => sql.ref(`x.${c}`)))}
        FROM x
        ON CONFLICT (org_id, listing_key) DO UPDATE SET
          ${sql.join(DATA_COLUMNS.map((c) => sql`${sql.ref(c)} = ${sql.ref(`excluded.${c}`)}`))},
          location = excluded.location,
          list_agent_id = coalesce(excluded.list_agent_id, p.list_agent_id),
          mls_source_id = coalesce(excluded.mls_source_id, p.mls_source_id),
          modification_timestamp = excluded.modification_timestamp,
          deleted_at = NULL
        WHERE ((${sql.join(compared.map((c) => sql.ref(`p.${c}`)))}, public.ST_AsBinary(p.location), p.deleted_at IS NULL)
            IS DISTINCT FROM
              (${sql.join(compared.map((c) => (c === 'list_agent_id' ? sql`coalesce(excluded.list_agent_id, p.list_agent_id)` : sql.ref(`excluded.${c}`))))}, public.ST_AsBinary(excluded.location), true))
          AND (${origin}::text <> 'mls' OR excluded.modification_timestamp >= p.modification_timestamp)
        RETURNING ${PROPERTY_VIEW_SQL}
      )
      SELECT u.*, row_to_json(o.*) AS old FROM upserted u LEFT JOIN old o ON o.listing_key = u.listing_key`.execute(
      kyselyFor<ListingsDb>(unit.manager),
    );
    const created: Array<PendingEvent<PropertyCreatedData>> = [];
    const changes: ChangeEvents = { updated: [], statusChanged: [] };
    const changedIds: string[] = [];
    for (const row of rows) {
      const after = toPropertyView(row);
      changedIds.push(after.id);
      // `old` reads the statement's snapshot, from before the upsert (no FOR UPDATE: a lock taken
      // after the same statement changed the row would skip it); a row absent from it was inserted.
      if (!row.old) {
        summary.outcomes.set(after.listingKey, 'created');
        summary.created += 1;
        created.push({ subject: after.id, orgId, data: snapshotOf(after) });
      } else {
        summary.outcomes.set(after.listingKey, 'updated');
        summary.updated += 1;
        const before = toPropertyView({
          ...row.old,
          modification_timestamp: new Date(row.old.modification_timestamp),
          created_at: new Date(row.old.created_at),
        });
        changeEvents(orgId, before, after, changes);
      }
    }
    for (const record of batch) {
      if (!summary.outcomes.has(record.listing_key)) {
        summary.outcomes.set(record.listing_key, 'unchanged');
        summary.unchanged += 1;
      }
    }
    if (created.length > 0) await unit.emitMany(ListingsEvent.propertyCreated, created);
    await this.emitChanges(unit, changes);
    if (changedIds.length > 0) await this.matchSavedSearches(unit, orgId, changedIds);
  }

  /** Soft-deletes properties by ListingKey (MLS removals); returns how many were live. */
  async removeByListingKeys(unit: UnitOfWorkContext, orgId: string, listingKeys: string[]): Promise<number> {
    if (listingKeys.length === 0) return 0;
    const rows = await kyselyFor<ListingsDb>(unit.manager)
      .updateTable('property')
      .set({ deleted_at: sql<Date>`now()`, modification_timestamp: sql<Date>`now()` })
      .where('org_id', '=', orgId)
      .where('listing_key', '=', (eb) => eb.fn.any(sql<string[]>`${listingKeys}::text[]`))
      .where('deleted_at', 'is', null)
      .returning(['id', 'listing_key'])
      .execute();
    if (rows.length > 0) {
      await unit.emitMany(
        ListingsEvent.propertyDeleted,
        rows.map((row) => ({ subject: row.id, orgId, data: { propertyId: row.id, listingKey: row.listing_key } })),
      );
    }
    return rows.length;
  }

  /** Emits `listings.property.updated` and/or `listings.property.status_changed` for one changed property. */
  async emitChange(unit: UnitOfWorkContext, before: PropertyView, after: PropertyView): Promise<void> {
    await this.emitChanges(unit, changeEvents(before.orgId, before, after, { updated: [], statusChanged: [] }));
  }

  private async emitChanges(unit: UnitOfWorkContext, changes: ChangeEvents): Promise<void> {
    if (changes.updated.length > 0) await unit.emitMany(ListingsEvent.propertyUpdated, changes.updated);
    if (changes.statusChanged.length > 0) await unit.emitMany(ListingsEvent.propertyStatusChanged, changes.statusChanged);
  }

  /**
   * Records a match for every saved search of the organization that the given properties now
   * satisfy and that its contact has not been matched with yet (one per contact and listing:
   * the primary key of `saved_search_match`), and emits `listings.search.matched` for each new one.
   */
  async matchSavedSearches(unit: UnitOfWorkContext, orgId: string, propertyIds: string[]): Promise<number> {
    const rows = await kyselyFor<ListingsDb>(unit.manager)
      .with('m', (db) =>
        db
          .insertInto('saved_search_match')
          .columns(['org_id', 'contact_id', 'property_id', 'saved_search_id'])
          .expression((eb) =>
            eb
              .selectFrom('saved_search as s')
              .innerJoin('property as p', (join) =>
                join
                  .onRef('p.org_id', '=', 's.org_id')
                  .on((on) => on('p.id', '=', on.fn.any(sql<string[]>`${propertyIds}::uuid[]`)))
                  .on('p.deleted_at', 'is', null),
              )
              .distinctOn(['s.contact_id', 'p.id'])
              .select([sql<string>`${orgId}::uuid`.as('org_id'), 's.contact_id', 'p.id as property_id', 's.id as saved_search_id'])
              .where('s.org_id', '=', orgId)
              .where('s.deleted_at', 'is', null)
              .where(SAVED_SEARCH_MATCH)
              .orderBy('s.contact_id')
              .orderBy('p.id')
              .orderBy('s.created_at'),
          )
          .onConflict((conflict) => conflict.doNothing())
          .returning(['saved_search_id', 'contact_id', 'property_id']),
      )
      .selectFrom('m')
      .innerJoin('property as p', 'p.id', 'm.property_id')
      .select(['m.saved_search_id', 'm.contact_id', 'm.property_id', 'p.listing_key'])
      .execute();
    if (rows.length > 0) {
      await unit.emitMany(
        ListingsEvent.searchMatched,
        rows.map((row) => ({
          subject: row.saved_search_id,
          orgId,
          data: { savedSearchId: row.saved_search_id, contactId: row.contact_id, propertyId: row.property_id, listingKey: row.listing_key },
        })),
      );
    }
    return rows.length;
  }
}

/** A saved search `s` (filters as JSON, optional area) matches property `p`: a condition over both, for the builder. */
export const SAVED_SEARCH_MATCH = sql<SqlBool>`
  (NOT (s.filters ? 'standardStatus') OR p.standard_status IN (SELECT jsonb_array_elements_text(s.filters->'standardStatus')))
  AND (NOT (s.filters ? 'propertyType') OR p.property_type IN (SELECT jsonb_array_elements_text(s.filters->'propertyType')))
  AND (s.filters->>'minPrice' IS NULL OR p.current_price >= (s.filters->>'minPrice')::bigint)
  AND (s.filters->>'maxPrice' IS NULL OR p.current_price <= (s.filters->>'maxPrice')::bigint)
  AND (s.filters->>'minBedrooms' IS NULL OR p.bedrooms_total >= (s.filters->>'minBedrooms')::int)
  AND (s.filters->>'maxBedrooms' IS NULL OR p.bedrooms_total <= (s.filters->>'maxBedrooms')::int)
  AND (s.filters->>'minBathrooms' IS NULL OR p.bathrooms_total_integer >= (s.filters->>'minBathrooms')::int)
  AND (s.filters->>'maxBathrooms' IS NULL OR p.bathrooms_total_integer <= (s.filters->>'maxBathrooms')::int)
  AND (s.filters->>'minLivingArea' IS NULL OR p.living_area >= (s.filters->>'minLivingArea')::int)
  AND (s.filters->>'maxLivingArea' IS NULL OR p.living_area <= (s.filters->>'maxLivingArea')::int)
  AND (s.filters->>'city' IS NULL OR lower(p.city) = lower(s.filters->>'city'))
  AND (s.filters->>'postalCode' IS NULL OR p.postal_code = s.filters->>'postalCode')
  AND (s.filters->>'listAgentId' IS NULL OR p.list_agent_id = (s.filters->>'listAgentId')::uuid)
  AND (s.area IS NULL OR (p.location IS NOT NULL AND public.ST_Covers(s.area, p.location)))`;

/** Adds the change events of one property (updated when a field changed, status_changed when the status did) to `into`; returns it. */
function changeEvents(orgId: string, before: PropertyView, after: PropertyView, into: ChangeEvents): ChangeEvents {
  const changes = diffViews(before, after);
  if (Object.keys(changes).length > 0) {
    into.updated.push({
      subject: after.id,
      orgId,
      data: { propertyId: after.id, listingKey: after.listingKey, changes, origin: after.origin },
    });
  }
  if (before.standardStatus !== after.standardStatus) {
    into.statusChanged.push({
      subject: after.id,
      orgId,
      data: {
        propertyId: after.id,
        listingKey: after.listingKey,
        from: before.standardStatus,
        to: after.standardStatus,
        closePrice: after.closePrice,
        closeDate: after.closeDate,
        listAgentId: after.listAgentId,
      },
    });
  }
  return into;
}
