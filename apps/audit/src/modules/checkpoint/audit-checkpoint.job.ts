import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { AUDIT_CONFIG, type AuditConfig } from '../../config/audit.config';
import { isoMillis } from '../ledger/audit-hash.util';
import { AuditCheckpointStore } from './audit-checkpoint.store';

export const AUDIT_CHECKPOINT_QUEUE = 'audit.checkpoint';

/**
 * Repeatable Bull job (every `AUDIT_CHECKPOINT_EVERY_MS`, default 5 min: SEC-AL-06) that takes each
 * organization's chain head `(seq, hash)` when it moved since the last checkpoint, signs it with
 * Ed25519 (`AuditCheckpointStore.signer`, docs/adr/0020), appends it **first** to the external file
 * (`<AUDIT_ARCHIVE_DIR>/<org>/checkpoints.jsonl`, fsync'd) and then to the append-only
 * `audit_checkpoint` table. Verification compares the chain with both, so a truncated tail (a
 * checkpoint beyond the head), a rewritten prefix (a checkpoint whose hash no longer matches) and a
 * whole chain rewritten with its database checkpoints (the external copy still holds the old
 * hashes) are detected. Idempotent: `UNIQUE (org_id, seq)`; a repeated file line is harmless.
 */
@Processor(AUDIT_CHECKPOINT_QUEUE)
export class AuditCheckpointJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditCheckpointJob.name);

  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(AUDIT_CHECKPOINT_QUEUE) private readonly queue: Queue,
    private readonly store: AuditCheckpointStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.logger.log(`Checkpoints signed with Ed25519 key ${this.store.signer.keyId}; public keys ${JSON.stringify(this.store.signer.publicKeysBase64)}`);
    await this.queue.add('checkpoint', {}, { repeat: { every: this.config.AUDIT_CHECKPOINT_EVERY_MS }, jobId: 'audit-checkpoint' });
  }

  /** Checkpoints every organization's head; returns how many checkpoints were written. */
  @Process('checkpoint')
  async checkpoint(): Promise<number> {
    const heads = (await this.dataSource.query(
      `SELECT h.org_id, h.seq, e.hash
         FROM (SELECT org_id, max(seq) AS seq FROM audit_entry GROUP BY org_id) h
         JOIN audit_entry e ON e.org_id = h.org_id AND e.seq = h.seq
        WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoint c WHERE c.org_id = h.org_id AND c.seq >= h.seq)`,
    )) as Array<{ org_id: string; seq: string; hash: string }>;
    let written = 0;
    for (const head of heads) {
      const signed = this.store.signer.sign({ orgId: head.org_id, seq: Number(head.seq), hash: head.hash, createdAt: isoMillis(new Date()) });
      await this.store.append(signed);
      const inserted = (await this.dataSource.query(
        `INSERT INTO audit_checkpoint (id, org_id, seq, hash, created_at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (org_id, seq) DO NOTHING RETURNING id`,
        [newId(), signed.orgId, signed.seq, signed.hash, signed.createdAt, signed.keyId, signed.signature],
      )) as unknown[];
      written += inserted.length;
    }
    if (written > 0) this.logger.log({ written }, 'Audit chain heads checkpointed');
    return written;
  }
}
