/**
 * Shapes the Postgres catalogue cannot tell kysely-codegen, declared once for `listings.db.ts`
 * (`listings.db-overrides.json`) and for the code that builds the values. Shapes that are also
 * wire formats (media, filters, areas, preferences, origins) come from `@keyhouse/contracts`.
 */
import type { MlsSyncRunView } from '@keyhouse/contracts';

/** `property.attributes`: source-specific extras of a listing (e.g. King County's grade, view, floors), by name. */
export type PropertyAttributes = Record<string, unknown>;

/** `mls_sync_run.status`, as its CHECK constraint allows. */
export type MlsSyncRunStatus = MlsSyncRunView['status'];

/** `mls_sync_run.errors`: the records a run refused (`listingKey` null for a failure of the run itself), at most 100. */
export type MlsSyncRunErrors = MlsSyncRunView['errors'];
