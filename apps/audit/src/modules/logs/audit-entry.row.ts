import type { AuditEntryView } from '@keyhouse/contracts';
import { isoMillis, type HashedAuditEntry } from '../ledger/audit-hash.util';

/** A row of `audit_entry` as node-postgres returns it. */
export interface AuditEntryRow {
  id: string;
  org_id: string;
  seq: string;
  event_id: string;
  action: string;
  actor_type: 'user' | 'api_key' | 'system';
  actor_id: string | null;
  actor_role: string | null;
  target_model: string;
  target_id: string | null;
  occurred_at: Date;
  recorded_at: Date;
  source: string;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  changes: Record<string, { from: unknown; to: unknown }> | null;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

export const AUDIT_ENTRY_COLUMNS = `e.id, e.org_id, e.seq, e.event_id, e.action, e.actor_type, e.actor_id, e.actor_role, e.target_model,
  e.target_id, e.occurred_at, e.recorded_at, e.source, e.request_id, e.ip, e.user_agent, e.changes, e.details, e.prev_hash, e.hash`;

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
    actor: hashed.actor as AuditEntryView['actor'],
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
