import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { AUDIT_CONFIG, type AuditConfig } from '../../config/audit.config';

export const AUDIT_CHECKPOINT_QUEUE = 'audit.checkpoint';

/**
 * Repeatable Bull job that records each organization's chain head `(seq, hash)` in the append-only
 * `audit_checkpoint` table when it moved since the last checkpoint. Verification compares the chain
 * with every checkpoint, so a truncated tail (a checkpoint beyond the head) or a rewritten prefix
 * (a checkpoint whose hash no longer matches) is detected. Idempotent: `UNIQUE (org_id, seq)`.
 */
@Processor(AUDIT_CHECKPOINT_QUEUE)
export class AuditCheckpointJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditCheckpointJob.name);

  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(AUDIT_CHECKPOINT_QUEUE) private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
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
      const inserted = (await this.dataSource.query(
        `INSERT INTO audit_checkpoint (id, org_id, seq, hash) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, seq) DO NOTHING RETURNING id`,
        [newId(), head.org_id, head.seq, head.hash],
      )) as unknown[];
      written += inserted.length;
    }
    if (written > 0) this.logger.log({ written }, 'Audit chain heads checkpointed');
    return written;
  }
}
