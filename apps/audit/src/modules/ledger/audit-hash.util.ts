import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditActorType } from '../../database/audit-json.type';

/** `prev_hash` of an organization's first entry: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version of the hashed serialization; bump it (and keep the old one for old rows) on any change. */
export const AUDIT_HASH_VERSION = 1;

/** The fields of an entry covered by its hash (docs/adr/0015). Times are ISO 8601 UTC with milliseconds. */
export interface HashedAuditEntry {
  id: string;
  orgId: string;
  seq: number;
  eventId: string;
  action: string;
  actor: { type: AuditActorType; id: string | null; role: string | null };
  target: { model: string; id: string | null };
  occurredAt: string;
  recordedAt: string;
  source: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  changes: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  prevHash: string;
}

/**
 * The canonical bytes of an entry: RFC 8785 (JSON Canonicalization Scheme) of
 * `{ v: 1, ...entry }` with every field present (absent values are `null`), prevHash included.
 * Computed only here, in the application, never in SQL (`jsonb::text` and JCS differ).
 */
export function canonicalEntry(entry: HashedAuditEntry): string {
  const payload = {
    v: AUDIT_HASH_VERSION,
    id: entry.id,
    orgId: entry.orgId,
    seq: entry.seq,
    eventId: entry.eventId,
    action: entry.action,
    actor: { type: entry.actor.type, id: entry.actor.id, role: entry.actor.role },
    target: { model: entry.target.model, id: entry.target.id },
    occurredAt: entry.occurredAt,
    recordedAt: entry.recordedAt,
    source: entry.source,
    requestId: entry.requestId,
    ip: entry.ip,
    userAgent: entry.userAgent,
    changes: entry.changes,
    details: entry.details,
    prevHash: entry.prevHash,
  };
  const text = canonicalize(payload);
  if (text === undefined) throw new Error('audit entry cannot be canonicalized');
  return text;
}

/** `hash = lower-hex SHA-256(UTF-8(canonicalEntry(entry)))`. */
export function entryHash(entry: HashedAuditEntry): string {
  return createHash('sha256').update(canonicalEntry(entry), 'utf8').digest('hex');
}

/** ISO 8601 UTC with milliseconds (`timestamptz(3)` round-trips it exactly). */
export function isoMillis(date: Date): string {
  return new Date(Math.floor(date.getTime())).toISOString();
}
