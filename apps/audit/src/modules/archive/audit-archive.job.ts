import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditEvent } from '@keyhouse/contracts';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { AUDIT_CONFIG, type AuditConfig } from '../../config/audit.config';
import { AUDIT_HASH_VERSION, GENESIS_HASH, isoMillis } from '../ledger/audit-hash.util';
import { AuditLedger } from '../ledger/audit-ledger.service';
import { AUDIT_ENTRY_COLUMNS, hashedOf, type AuditEntryRow } from '../logs/audit-entry.row';

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
    const due = (await this.dataSource.query(
      `SELECT s.org_id,
              coalesce((SELECT max(a.to_seq) FROM audit_archive a WHERE a.org_id = s.org_id), 0) AS archived_to,
              (SELECT max(e.seq) FROM audit_entry e
                WHERE e.org_id = s.org_id AND e.recorded_at < $1::timestamptz - make_interval(days => s.retention_days)) AS expired_to
         FROM audit_org_setting s
        WHERE s.retention_days IS NOT NULL`,
      [now],
    )) as Array<{ org_id: string; archived_to: string; expired_to: string | null }>;
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
    const [previous] = (await this.dataSource.query(`SELECT hash FROM audit_entry WHERE org_id = $1 AND seq = $2`, [
      orgId,
      fromSeq - 1,
    ])) as Array<{ hash: string }>;
    const prevHash = fromSeq === 1 ? GENESIS_HASH : (previous?.hash ?? GENESIS_HASH);
    const [head] = (await this.dataSource.query(`SELECT hash FROM audit_entry WHERE org_id = $1 AND seq = $2`, [orgId, toSeq])) as Array<{
      hash: string;
    }>;
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
      const rows = (await this.dataSource.query(
        `SELECT ${AUDIT_ENTRY_COLUMNS} FROM audit_entry e WHERE e.org_id = $1 AND e.seq >= $2 AND e.seq <= $3 ORDER BY e.seq`,
        [orgId, low, Math.min(toSeq, low + ARCHIVE_BATCH - 1)],
      )) as AuditEntryRow[];
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
      await manager.query(
        `INSERT INTO audit_archive (id, org_id, from_seq, to_seq, entry_count, prev_hash, head_hash, location, file_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [archiveId, orgId, fromSeq, toSeq, count, prevHash, head?.hash ?? '', location, fileSha256],
      );
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
