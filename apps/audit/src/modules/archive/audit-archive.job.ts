import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { AuditEvent } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { AUDIT_CONFIG, type AuditConfig } from '../../config/audit.config';
import type { AuditDb } from '../../database/audit.db';
import { AUDIT_HASH_VERSION, GENESIS_HASH, isoMillis } from '../ledger/audit-hash.util';
import { AuditLedger } from '../ledger/audit-ledger.service';
import { hashedOf } from '../logs/audit-entry.row';

export const AUDIT_ARCHIVE_QUEUE = 'audit.archive';
const ARCHIVE_BATCH = 5000;

/** What one archive run wrote for one organization. */
export interface AuditArchiveResult {
  archiveId: string;
  orgId: string;
  fromSeq: number;
  toSeq: number;
  count: number;
  prevHash: string;
  headHash: string;
  location: string;
  fileSha256: string;
}

/**
 * Retention (issue 6): for each organization with `retention_days`, the entries recorded before
 * `now - retention_days` that no archive holds yet are written, in seq order, to a JSON Lines file
 * `<AUDIT_ARCHIVE_DIR>/<org>/<fromSeq>-<toSeq>.jsonl`: a header line (org, seq range, the hash
 * before the range and the range's head hash — the chain checkpoint that lets the file be verified
 * alone and joined to the live chain — and the hash specification version), then one line per entry
 * with every hashed field and its hash. The file's SHA-256 and range go to the append-only
 * `audit_archive` table and the run is itself recorded (`audit.log.archived`).
 *
 * Rows are **not** deleted: the service's role can only INSERT and SELECT (docs/adr/0015), so
 * nothing is ever silently removed; purging archived rows is an operator step with another role.
 */
@Processor(AUDIT_ARCHIVE_QUEUE)
export class AuditArchiveJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditArchiveJob.name);

  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(AUDIT_ARCHIVE_QUEUE) private readonly queue: Queue,
    private readonly ledger: AuditLedger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.add('archive', {}, { repeat: { every: this.config.AUDIT_ARCHIVE_EVERY_MS }, jobId: 'audit-archive' });
  }

  @Process('archive')
  async run(): Promise<number> {
    return (await this.archive()).length;
  }

  /** Archives every organization's expired, not yet archived entries as of `now`. */
  async archive(now: Date = new Date()): Promise<AuditArchiveResult[]> {
    const due = await kyselyFor<AuditDb>(this.dataSource)
      .selectFrom('audit_org_setting as s')
      .select((eb) => [
        's.org_id',
        eb.fn
          .coalesce(
            eb
              .selectFrom('audit_archive as a')
              .select((agg) => agg.fn.max('a.to_seq').as('to_seq'))
              .whereRef('a.org_id', '=', 's.org_id'),
            sql<string>`0`,
          )
          .as('archived_to'),
        eb
          .selectFrom('audit_entry as e')
          .select((agg) => agg.fn.max('e.seq').as('seq'))
          .whereRef('e.org_id', '=', 's.org_id')
          .where('e.recorded_at', '<', sql<Date>`${now}::timestamptz - make_interval(days => s.retention_days)`)
          .as('expired_to'),
      ])
      .where('s.retention_days', 'is not', null)
      .execute();
    const results: AuditArchiveResult[] = [];
    for (const org of due) {
      const fromSeq = Number(org.archived_to) + 1;
      const toSeq = org.expired_to === null ? 0 : Number(org.expired_to);
      if (toSeq < fromSeq) continue;
      results.push(await this.archiveRange(org.org_id, fromSeq, toSeq));
    }
    return results;
  }

  private async archiveRange(orgId: string, fromSeq: number, toSeq: number): Promise<AuditArchiveResult> {
    const db = kyselyFor<AuditDb>(this.dataSource);
    const hashAt = (seq: number) =>
      db.selectFrom('audit_entry').select('hash').where('org_id', '=', orgId).where('seq', '=', String(seq)).executeTakeFirst();
    const previous = await hashAt(fromSeq - 1);
    const prevHash = fromSeq === 1 ? GENESIS_HASH : (previous?.hash ?? GENESIS_HASH);
    const head = await hashAt(toSeq);
    const directory = path.resolve(this.config.AUDIT_ARCHIVE_DIR, orgId);
    await mkdir(directory, { recursive: true });
    const location = path.join(directory, `${fromSeq}-${toSeq}.jsonl`);
    const partial = `${location}.partial`;
    const digest = createHash('sha256');
    const out = createWriteStream(partial, { encoding: 'utf8' });
    const write = async (value: unknown) => {
      const line = `${JSON.stringify(value)}\n`;
      digest.update(line, 'utf8');
      if (!out.write(line)) await once(out, 'drain');
    };
    await write({
      kind: 'keyhouse.audit.archive',
      hashVersion: AUDIT_HASH_VERSION,
      hashSpec: 'docs/adr/0015: hash = SHA-256(RFC 8785(entry without hash))',
      orgId,
      fromSeq,
      toSeq,
      count: toSeq - fromSeq + 1,
      prevHash,
      checkpoint: { seq: toSeq, hash: head?.hash ?? null },
      createdAt: isoMillis(new Date()),
    });
    let count = 0;
    for (let low = fromSeq; low <= toSeq; low += ARCHIVE_BATCH) {
      const rows = await db
        .selectFrom('audit_entry as e')
        .selectAll('e')
        .where('e.org_id', '=', orgId)
        .where('e.seq', '>=', String(low))
        .where('e.seq', '<=', String(Math.min(toSeq, low + ARCHIVE_BATCH - 1)))
        .orderBy('e.seq')
        .execute();
      for (const row of rows) {
        await write({ ...hashedOf(row), hash: row.hash });
        count += 1;
      }
    }
    out.end();
    await once(out, 'finish');
    await rename(partial, location);
    const fileSha256 = digest.digest('hex');
    const archiveId = newId();
    await this.dataSource.transaction(async (manager) => {
      await kyselyFor<AuditDb>(manager)
        .insertInto('audit_archive')
        .values({
          id: archiveId,
          org_id: orgId,
          from_seq: fromSeq,
          to_seq: toSeq,
          entry_count: count,
          prev_hash: prevHash,
          head_hash: head?.hash ?? '',
          location,
          file_sha256: fileSha256,
        })
        .execute();
      await this.ledger.append(manager, {
        orgId,
        eventId: newId(),
        action: AuditEvent.logArchived.type,
        actor: { type: 'system', id: null, role: null },
        target: { model: 'archive', id: archiveId },
        occurredAt: isoMillis(new Date()),
        source: 'keyhouse/audit',
        requestId: null,
        ip: null,
        userAgent: null,
        changes: null,
        details: { fromSeq, toSeq, count, fileSha256, file: path.basename(location) },
      });
    });
    this.logger.log({ orgId, fromSeq, toSeq, count }, 'Audit entries archived');
    return { archiveId, orgId, fromSeq, toSeq, count, prevHash, headHash: head?.hash ?? '', location, fileSha256 };
  }
}
