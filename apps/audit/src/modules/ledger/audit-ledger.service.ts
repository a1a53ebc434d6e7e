import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newId } from '@keyhouse/util';
import type { AuditEntryDraft } from './audit-entry.mapper';
import { entryHash, GENESIS_HASH, isoMillis, type HashedAuditEntry } from './audit-hash.util';

/**
 * Appends entries to an organization's hash chain. Inside the caller's transaction it takes a
 * transaction-scoped advisory lock on the organization (`pg_advisory_xact_lock`), reads the head
 * (highest seq) and inserts `seq = head + 1`, `prev_hash = head.hash`: concurrent writers of one
 * organization queue on the lock, so seq is gapless and the chain never forks (RELIABILITY.md §6,
 * the "SELECT last hash in a trigger" fork). `UNIQUE (org_id, seq)` is the backstop. An event id
 * already recorded is skipped (`UNIQUE (event_id)`), so a redelivery appends nothing.
 */
@Injectable()
export class AuditLedger {
  /** Returns the stored entry, or null when the event was already recorded. */
  async append(manager: EntityManager, draft: AuditEntryDraft, now: Date = new Date()): Promise<HashedAuditEntry | null> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('audit.chain:' || $1, 0))`, [draft.orgId]);
    const existing = (await manager.query(`SELECT 1 FROM audit_entry WHERE event_id = $1`, [draft.eventId])) as unknown[];
    if (existing.length > 0) return null;
    const [head] = (await manager.query(
      `SELECT seq, hash FROM audit_entry WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`,
      [draft.orgId],
    )) as Array<{ seq: string; hash: string }>;
    const entry: HashedAuditEntry = {
      ...draft,
      id: newId(),
      seq: head ? Number(head.seq) + 1 : 1,
      recordedAt: isoMillis(now),
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const hash = entryHash(entry);
    await manager.query(
      `INSERT INTO audit_entry (id, org_id, seq, event_id, action, actor_type, actor_id, actor_role, target_model, target_id,
         occurred_at, recorded_at, source, request_id, ip, user_agent, changes, details, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb, $18::jsonb, $19, $20)`,
      [
        entry.id, entry.orgId, entry.seq, entry.eventId, entry.action, entry.actor.type, entry.actor.id, entry.actor.role,
        entry.target.model, entry.target.id, entry.occurredAt, entry.recordedAt, entry.source, entry.requestId, entry.ip,
        entry.userAgent, entry.changes === null ? null : JSON.stringify(entry.changes),
        entry.details === null ? null : JSON.stringify(entry.details), entry.prevHash, hash,
      ],
    );
    return entry;
  }
}
