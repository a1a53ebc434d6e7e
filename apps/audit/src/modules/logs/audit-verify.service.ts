import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  AuditSubjects,
  type AuditChainBreak,
  type AuditVerifyRequest,
  type AuditVerifyResponse,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import type { AuditDb } from '../../database/audit.db';
import { AuditCheckpointStore } from '../checkpoint/audit-checkpoint-store.service';
import { entryHash, GENESIS_HASH, isoMillis } from '../ledger/audit-hash.util';
import { hashedOf, type AuditEntryRow } from './audit-entry.row';

/** Rows read per query while verifying. */
const VERIFY_BATCH = 5000;

/**
 * Recomputes an organization's hash chain (docs/adr/0015, "Verification"): seq must run 1, 2, 3…
 * without gaps; each entry's hash must equal SHA-256 of its canonical form; each `prev_hash` must
 * equal the previous entry's hash; each checkpoint in range — database rows and the signed external
 * copy (docs/adr/0020) — must match the entry at its seq; every signature must verify with the
 * public keys and every signed database checkpoint must also be in the external copy; and on a
 * verification up to the head, no checkpoint may lie beyond the head (tail truncation).
 * Returns the first break in seq order (an unreadable external line: seq 0).
 */
@Injectable()
export class AuditVerifyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() private readonly store?: AuditCheckpointStore,
  ) {}

  /**
   * Verifies the actor's organization's chain, optionally only the entries recorded in [from, to)
   * (`AuditSubjects.verify`).
   *
   * @throws DomainException `FORBIDDEN` below org scope of `audit:read`; `VALIDATION_FAILED` for a bad date.
   */
  @RpcHandler(AuditSubjects.verify)
  async verify(envelope: RequestEnvelope<AuditVerifyRequest>): Promise<AuditVerifyResponse> {
    requireScope(envelope.actor, 'audit:read', 'org');
    const { from, to } = envelope.data;
    return this.verifyChain(envelope.actor!.orgId, {
      from: from ? validDate(from, 'from') : undefined,
      to: to ? validDate(to, 'to') : undefined,
    });
  }

  /** Verifies `orgId`'s chain, optionally only the entries recorded in [from, to). */
  async verifyChain(orgId: string, range: { from?: Date; to?: Date } = {}): Promise<AuditVerifyResponse> {
    const db = kyselyFor<AuditDb>(this.dataSource);
    const entries = db.selectFrom('audit_entry').where('org_id', '=', orgId);
    const fromRange = range.from ? entries.where('recorded_at', '>=', range.from) : entries;
    const toRange = range.to ? entries.where('recorded_at', '<', range.to) : entries;
    const bounds = await db
      .selectNoFrom([
        fromRange.select((eb) => eb.fn.min('seq').as('seq')).as('first'),
        toRange.select((eb) => eb.fn.max('seq').as('seq')).as('last'),
        entries.select((eb) => eb.fn.max('seq').as('seq')).as('head'),
      ])
      .executeTakeFirstOrThrow();
    const { checkpoints, problems, external } = await this.checkpointsOf(orgId);
    const toHead = !range.to;

    const result: AuditVerifyResponse = {
      ok: true,
      count: 0,
      headSeq: null,
      headHash: null,
      checkpointsChecked: 0,
      externalCheckpoints: external,
    };
    const fail = (seq: number, id: string | null, reason: AuditChainBreak): AuditVerifyResponse => ({
      ...result,
      ok: false,
      brokenAt: { seq, id, reason },
    });
    const unreadable = problems.get(0);
    if (unreadable) return fail(0, null, unreadable);

    // With `from`, the range may start anywhere: entries below it are not read, except that the
    // first entry's prev_hash is taken from the first (possibly lower) seq actually requested.
    let expectedSeq = bounds.first === null ? 1 : Number(bounds.first);
    const lastSeq = bounds.last === null ? 0 : Number(bounds.last);
    let prevHash: string | null = expectedSeq === 1 ? GENESIS_HASH : null;
    if (prevHash === null) {
      const previous = await db
        .selectFrom('audit_entry')
        .select('hash')
        .where('org_id', '=', orgId)
        .where('seq', '=', String(expectedSeq - 1))
        .executeTakeFirst();
      if (!previous) return fail(expectedSeq - 1, null, 'seq_gap');
      prevHash = previous.hash;
    }

    // Batches are ranges of seq, so the next one is fetched while this one is hashed (a gap only
    // makes a batch shorter; the seq check below still finds it).
    const fetchRange = (low: number) =>
      low > lastSeq
        ? Promise.resolve([] as AuditEntryRow[])
        : db
            .selectFrom('audit_entry as e')
            .selectAll('e')
            .where('e.org_id', '=', orgId)
            .where('e.seq', '>=', String(low))
            .where('e.seq', '<=', String(Math.min(lastSeq, low + VERIFY_BATCH - 1)))
            .orderBy('e.seq')
            .execute();
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
        const problem = problems.get(seq);
        if (problem) return fail(seq, row.id, problem);
        for (const checkpoint of checkpoints.get(seq) ?? []) {
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
      const beyond = [...checkpoints.keys(), ...problems.keys()].filter((seq) => seq > head).sort((a, b) => a - b)[0];
      if (beyond !== undefined) return fail(beyond, null, problems.get(beyond) ?? 'checkpoint_beyond_head');
    }
    return result;
  }

  /**
   * The checkpoints to hold the chain against, by seq: the database's and the valid external ones
   * (a seq may have both). `problems`: seqs whose checkpoint has a bad signature (database or
   * external; 0 = an unreadable external line) or whose signed database checkpoint is missing from
   * the external copy.
   */
  private async checkpointsOf(
    orgId: string,
  ): Promise<{ checkpoints: Map<number, string[]>; problems: Map<number, AuditChainBreak>; external: number }> {
    const rows = await kyselyFor<AuditDb>(this.dataSource)
      .selectFrom('audit_checkpoint')
      .select(['seq', 'hash', 'created_at', 'key_id', 'signature'])
      .where('org_id', '=', orgId)
      .orderBy('seq')
      .execute();
    const checkpoints = new Map<number, string[]>();
    const problems = new Map<number, AuditChainBreak>();
    const add = (seq: number, hash: string) => checkpoints.set(seq, [...(checkpoints.get(seq) ?? []), hash]);
    const external = this.store ? await this.store.read(orgId) : [];
    const externallyHeld = new Set<string>();
    let valid = 0;
    for (const { checkpoint, valid: ok } of external) {
      if (!ok) {
        if (!problems.has(checkpoint.seq)) problems.set(checkpoint.seq, 'checkpoint_signature_invalid');
        continue;
      }
      valid += 1;
      add(checkpoint.seq, checkpoint.hash);
      externallyHeld.add(`${checkpoint.seq}:${checkpoint.hash}`);
    }
    for (const row of rows) {
      const seq = Number(row.seq);
      add(seq, row.hash);
      if (!row.signature || !this.store || problems.has(seq)) continue; // rows from before signing are checked by hash only
      const signed = {
        orgId,
        seq,
        hash: row.hash,
        createdAt: isoMillis(row.created_at),
        keyId: row.key_id ?? '',
        signature: row.signature,
      };
      if (!this.store.signer.verify(signed)) problems.set(seq, 'checkpoint_signature_invalid');
      else if (!externallyHeld.has(`${seq}:${row.hash}`)) problems.set(seq, 'checkpoint_missing_externally');
    }
    return { checkpoints, problems, external: valid };
  }
}

function validDate(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw DomainException.validation([{ field, message: 'must be an ISO 8601 date-time' }]);
  return date;
}
