/**
 * Shapes the Postgres catalogue cannot tell kysely-codegen, declared once for `audit.db.ts`
 * (`audit.db-overrides.json`) and for the code that builds the values.
 */

/** `audit_entry.changes`: what changed, field → `{ from, to }`, masked (docs/adr/0015). */
export type AuditChangeSet = Record<string, { from: unknown; to: unknown }>;

/** `audit_entry.details`: the rest of the event's data, masked (docs/adr/0015). */
export type AuditDetails = Record<string, unknown>;

/** `audit_entry.actor_type`, as its CHECK constraint allows. */
export type AuditActorType = 'user' | 'api_key' | 'system';
