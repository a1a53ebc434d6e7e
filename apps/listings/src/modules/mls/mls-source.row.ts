import type { Selectable } from 'kysely';
import type { MlsSourceView, MlsSyncRunView } from '@keyhouse/contracts';
import type { ListingsDb } from '../../database/listings.db';

/** A row of `mls_source` as node-postgres returns it (declared by the migrations: `listings.db.ts`). */
export type MlsSourceRow = Selectable<ListingsDb['mls_source']>;

/** A row of `mls_sync_run` as node-postgres returns it (declared by the migrations: `listings.db.ts`). */
export type MlsSyncRunRow = Selectable<ListingsDb['mls_sync_run']>;

/** The API view of a source (never its credentials). */
export const toSourceView = (row: MlsSourceRow): MlsSourceView => ({
  id: row.id,
  name: row.name,
  baseUrl: row.base_url,
  pageSize: row.page_size,
  intervalMinutes: row.interval_minutes,
  enabled: row.enabled,
  highWaterMark: row.high_water_mark ? row.high_water_mark.toISOString() : null,
  createdAt: row.created_at.toISOString(),
});

/** The API view of a sync run. */
export const toRunView = (row: MlsSyncRunRow): MlsSyncRunView => ({
  id: row.id,
  sourceId: row.source_id,
  status: row.status,
  pages: row.pages,
  fetched: row.fetched,
  created: row.created,
  updated: row.updated,
  unchanged: row.unchanged,
  removed: row.removed,
  failed: row.failed,
  errors: row.errors,
  startedAt: row.started_at.toISOString(),
  finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
  durationMs: row.duration_ms,
});
