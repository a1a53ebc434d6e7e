import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuditChainBreak, AuditVerifyRequest, AuditVerifyResponse, RequestEnvelope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import { entryHash, GENESIS_HASH } from '../ledger/audit-hash.util';
import { AUDIT_ENTRY_COLUMNS, hashedOf, type AuditEntryRow } from './audit-entry.row';

/** Rows read per query while verifying. */
const VERIFY_BATCH = 5000;

/**
 * Recomputes an organization's hash chain (docs/adr/0015, "Verification"): seq must run 1, 2, 3…
 * without gaps; each entry's hash must equal SHA-256 of its canonical form; each `prev_hash` must
 * equal the previous entry's hash; each checkpoint in range must match the entry at its seq; and on
 * a verification up to the head, no checkpoint may lie beyond the head (tail truncation).
 * Returns the first break in seq order.
 */
@Injectable()
export class AuditVerifyService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async verify(envelope: RequestEnvelope<AuditVerifyRequest>): Promise<AuditVerifyResponse> {
    requireScope(envelope.actor, 'audit:read', 'org');
    const { from, to } = envelope.data;
    return this.verifyChain(envelope.actor!.orgId, { from: from ? validDate(from, 'from') : undefined, to: to ? validDate(to, 'to') : undefined });
  }

  /** Verifies `orgId`'s chain, optionally only the entries recorded in [from, to). */
  async verifyChain(orgId: string, range: { from?: Date; to?: Date } = {}): Promise<AuditVerifyResponse> {
    const [bounds] = (await this.dataSource.query(
      `SELECT (SELECT min(seq) FROM audit_entry WHERE org_id = $1 AND ($2::timestamptz IS NULL OR recorded_at >= $2)) AS first,
              (SELECT max(seq) FROM audit_entry WHERE org_id = $1 AND ($3::timestamptz IS NULL OR recorded_at < $3)) AS last,
              (SELECT max(seq) FROM audit_entry WHERE org_id = $1) AS head`,
      [orgId, range.from ?? null, range.to ?? null],
    )) as Array<{ first: string | null; last: string | null; head: string | null }>;
    const checkpoints = new Map<number, string>();
    const checkpointRows = (await this.dataSource.query(`SELECT seq, hash FROM audit_checkpoint WHERE org_id = $1 ORDER BY seq`, [
      orgId,
    ])) as Array<{ seq: string; hash: string }>;
    for (const row of checkpointRows) checkpoints.set(Number(row.seq), row.hash);
    const toHead = !range.to;

    const result: AuditVerifyResponse = { ok: true, count: 0, headSeq: null, headHash: null, checkpointsChecked: 0 };
    const fail = (seq: number, id: string | null, reason: AuditChainBreak): AuditVerifyResponse => ({
      ...result,
      ok: false,
      brokenAt: { seq, id, reason },
    });

    // With `from`, the range may start anywhere: entries below it are not read, except that the
    // first entry's prev_hash is taken from the first (possibly lower) seq actually requested.
    let expectedSeq = bounds.first === null ? 1 : Number(bounds.first);
    const lastSeq = bounds.last === null ? 0 : Number(bounds.last);
    let prevHash: string | null = expectedSeq === 1 ? GENESIS_HASH : null;
    if (prevHash === null) {
      const [previous] = (await this.dataSource.query(`SELECT hash FROM audit_entry WHERE org_id = $1 AND seq = $2`, [
        orgId,
        expectedSeq - 1,
      ])) as Array<{ hash: string }>;
      if (!previous) return fail(expectedSeq - 1, null, 'seq_gap');
      prevHash = previous.hash;
    }

    // Batches are ranges of seq, so the next one is fetched while this one is hashed (a gap only
    // makes a batch shorter; the seq check below still finds it).
    const fetchRange = (low: number) =>
      low > lastSeq
        ? Promise.resolve([] as AuditEntryRow[])
        : (this.dataSource.query(
            `SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entry e WHERE e.org_id = $1 AND e.seq >= $2 AND e.seq <= $3 ORDER BY e.seq`,
            [orgId, low, Math.min(lastSeq, low + VERIFY_BATCH - 1)],
          ) as Promise<AuditEntryRow[]>);
    let low = expectedSeq;
    let next = fetchRange(low);
    next.catch(() => undefined); // awaited below; this only keeps an early return from leaving it unhandled
    while (low <= lastSeq) {
      const rows = await next;
      low += VERIFY_BATCH;
      next = fetchRange(low);
      next.catch(() => undefined);
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq !== expectedSeq) return fail(expectedSeq, null, 'seq_gap');
        if (entryHash(hashedOf(row)) !== row.hash) return fail(seq, row.id, 'hash_mismatch');
        if (row.prev_hash !== prevHash) return fail(seq, row.id, 'prev_hash_mismatch');
        const checkpoint = checkpoints.get(seq);
        if (checkpoint !== undefined) {
          if (checkpoint !== row.hash) return fail(seq, row.id, 'checkpoint_mismatch');
          result.checkpointsChecked += 1;
        }
        prevHash = row.hash;
        expectedSeq = seq + 1;
        result.count += 1;
        result.headSeq = seq;
        result.headHash = row.hash;
      }
    }
    await next;
    if (expectedSeq <= lastSeq) return fail(expectedSeq, null, 'seq_gap');
    if (toHead) {
      const head = bounds.head === null ? 0 : Number(bounds.head);
      const beyond = checkpointRows.find((row) => Number(row.seq) > head);
      if (beyond) return fail(Number(beyond.seq), null, 'checkpoint_beyond_head');
    }
    return result;
  }
}

function validDate(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw DomainException.validation([{ field, message: 'must be an ISO 8601 date-time' }]);
  return date;
}
