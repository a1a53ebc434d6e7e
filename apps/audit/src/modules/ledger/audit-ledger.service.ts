import { Injectable } from '@nestjs/common';
import { sql, type Insertable } from 'kysely';
import type { EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { newId } from '@keyhouse/util';
import type { AuditDb } from '../../database/audit.db';
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
    const db = kyselyFor<AuditDb>(manager);
    await sql`SELECT pg_advisory_xact_lock(hashtextextended('audit.chain:' || ${orgId}, 0))`.execute(db);
    const ids = [...new Set(drafts.map((draft) => draft.eventId))];
    const existing = await db
      .selectFrom('audit_entry')
      .select('event_id')
      .where('event_id', '=', (eb) => eb.fn.any(sql<string[]>`${ids}::text[]`))
      .execute();
    const seen = new Set(existing.map((row) => row.event_id));
    const head = await db
      .selectFrom('audit_entry')
      .select(['seq', 'hash'])
      .where('org_id', '=', orgId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
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
      const rows = entries.slice(start, start + INSERT_CHUNK).map((entry): Insertable<AuditDb['audit_entry']> => ({
        id: entry.id,
        org_id: entry.orgId,
        seq: entry.seq,
        event_id: entry.eventId,
        action: entry.action,
        actor_type: entry.actor.type,
        actor_id: entry.actor.id,
        actor_role: entry.actor.role,
        target_model: entry.target.model,
        target_id: entry.target.id,
        occurred_at: entry.occurredAt,
        recorded_at: entry.recordedAt,
        source: entry.source,
        request_id: entry.requestId,
        ip: entry.ip,
        user_agent: entry.userAgent,
        changes: entry.changes === null ? null : JSON.stringify(entry.changes),
        details: entry.details === null ? null : JSON.stringify(entry.details),
        prev_hash: entry.prevHash,
        hash: entry.hash,
      }));
      await db.insertInto('audit_entry').values(rows).execute();
    }
    return entries.map(({ hash: _hash, ...entry }) => entry);
  }
}
