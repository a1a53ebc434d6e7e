import type { Selectable } from 'kysely';
import type { AuditEntryView } from '@keyhouse/contracts';
import type { AuditDb } from '../../database/audit.db';
import { isoMillis, type HashedAuditEntry } from '../ledger/audit-hash.util';

/** A row of `audit_entry` as node-postgres returns it (declared by the migrations: `audit.db.ts`). */
export type AuditEntryRow = Selectable<AuditDb['audit_entry']>;

/** Every column of `audit_entry`, once: the type makes a missing or unknown column a compile error. */
const AUDIT_ENTRY_COLUMN_SET: Record<keyof AuditEntryRow, true> = {
  id: true,
  org_id: true,
  seq: true,
  event_id: true,
  action: true,
  actor_type: true,
  actor_id: true,
  actor_role: true,
  target_model: true,
  target_id: true,
  occurred_at: true,
  recorded_at: true,
  source: true,
  request_id: true,
  ip: true,
  user_agent: true,
  changes: true,
  details: true,
  prev_hash: true,
  hash: true,
};

/**
 * Every column of `audit_entry` qualified by the alias `e`, for raw SQL outside the service (tests
 * reading the table as a superuser); the service's own queries select through `kyselyFor<AuditDb>`.
 */
export const AUDIT_ENTRY_COLUMNS = Object.keys(AUDIT_ENTRY_COLUMN_SET)
  .map((column) => `e.${column}`)
  .join(', ');

/** The hashed fields of a stored row (what `entryHash` is recomputed over). */
export function hashedOf(row: AuditEntryRow): HashedAuditEntry {
  return {
    id: row.id,
    orgId: row.org_id,
    seq: Number(row.seq),
    eventId: row.event_id,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id, role: row.actor_role },
    target: { model: row.target_model, id: row.target_id },
    occurredAt: isoMillis(row.occurred_at),
    recordedAt: isoMillis(row.recorded_at),
    source: row.source,
    requestId: row.request_id,
    ip: row.ip,
    userAgent: row.user_agent,
    changes: row.changes,
    details: row.details,
    prevHash: row.prev_hash,
  };
}

export function toEntryView(row: AuditEntryRow): AuditEntryView {
  const hashed = hashedOf(row);
  return {
    id: row.id,
    seq: hashed.seq,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id, role: row.actor_role },
    target: hashed.target,
    occurredAt: hashed.occurredAt,
    recordedAt: hashed.recordedAt,
    source: row.source,
    requestId: row.request_id,
    ip: row.ip,
    userAgent: row.user_agent,
    changes: row.changes,
    details: row.details,
    eventId: row.event_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
