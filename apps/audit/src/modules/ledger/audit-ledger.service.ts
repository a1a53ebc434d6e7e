import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newId } from '@keyhouse/util';
import type { AuditEntryDraft } from './audit-entry.mapper';
import { entryHash, GENESIS_HASH, isoMillis, type HashedAuditEntry } from './audit-hash.util';

/** Rows per INSERT statement (20 parameters each, far below Postgres' 65,535). */
const INSERT_CHUNK = 500;

/**
 * Appends entries to an organization's hash chain. Inside the caller's transaction it takes a
 * transaction-scoped advisory lock on the organization (`pg_advisory_xact_lock`), reads the head
 * (highest seq) and inserts `seq = head + 1, + 2, …`, each `prev_hash` = the previous entry's hash:
 * concurrent writers of one organization queue on the lock, so seq is gapless and the chain never
 * forks (RELIABILITY.md §6, the "SELECT last hash in a trigger" fork). `UNIQUE (org_id, seq)` is
 * the backstop. An event id already recorded is skipped (`UNIQUE (event_id)`), so a redelivery
 * appends nothing.
 */
@Injectable()
export class AuditLedger {
  /** Returns the stored entry, or null when the event was already recorded. */
  async append(manager: EntityManager, draft: AuditEntryDraft, now: Date = new Date()): Promise<HashedAuditEntry | null> {
    const [entry] = await this.appendMany(manager, draft.orgId, [draft], now);
    return entry ?? null;
  }

  /**
   * Appends `drafts` (all of organization `orgId`) in the given order, under one lock, one head
   * read and multi-row INSERTs; drafts whose event id is already recorded (or repeated in `drafts`)
   * are skipped. Returns the stored entries.
   */
  async appendMany(manager: EntityManager, orgId: string, drafts: AuditEntryDraft[], now: Date = new Date()): Promise<HashedAuditEntry[]> {
    if (drafts.length === 0) return [];
    if (drafts.some((draft) => draft.orgId !== orgId)) throw new Error('appendMany: every draft must belong to the organization given');
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('audit.chain:' || $1, 0))`, [orgId]);
    const ids = [...new Set(drafts.map((draft) => draft.eventId))];
    const existing = (await manager.query(`SELECT event_id FROM audit_entry WHERE event_id = ANY($1::text[])`, [ids])) as Array<{
      event_id: string;
    }>;
    const seen = new Set(existing.map((row) => row.event_id));
    const [head] = (await manager.query(`SELECT seq, hash FROM audit_entry WHERE org_id = $1 ORDER BY seq DESC LIMIT 1`, [orgId])) as Array<{
      seq: string;
      hash: string;
    }>;
    let seq = head ? Number(head.seq) : 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    const recordedAt = isoMillis(now);
    const entries: Array<HashedAuditEntry & { hash: string }> = [];
    for (const draft of drafts) {
      if (seen.has(draft.eventId)) continue;
      seen.add(draft.eventId);
      seq += 1;
      const entry: HashedAuditEntry = { ...draft, id: newId(), seq, recordedAt, prevHash };
      prevHash = entryHash(entry);
      entries.push({ ...entry, hash: prevHash });
    }
    for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
      const chunk = entries.slice(start, start + INSERT_CHUNK);
      const params: unknown[] = [];
      const tuples = chunk.map((entry) => {
        const row = [
          entry.id, entry.orgId, entry.seq, entry.eventId, entry.action, entry.actor.type, entry.actor.id, entry.actor.role,
          entry.target.model, entry.target.id, entry.occurredAt, entry.recordedAt, entry.source, entry.requestId, entry.ip,
          entry.userAgent, entry.changes === null ? null : JSON.stringify(entry.changes),
          entry.details === null ? null : JSON.stringify(entry.details), entry.prevHash, entry.hash,
        ];
        const first = params.length;
        params.push(...row);
        return `(${row.map((_, k) => `$${first + k + 1}${k === 16 || k === 17 ? '::jsonb' : ''}`).join(', ')})`;
      });
      await manager.query(
        `INSERT INTO audit_entry (id, org_id, seq, event_id, action, actor_type, actor_id, actor_role, target_model, target_id,
           occurred_at, recorded_at, source, request_id, ip, user_agent, changes, details, prev_hash, hash)
         VALUES ${tuples.join(', ')}`,
        params,
      );
    }
    return entries.map(({ hash: _hash, ...entry }) => entry);
  }
}
