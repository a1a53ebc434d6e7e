import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { AUDIT_CONFIG, type AuditConfig } from '../../config/audit.config';
import type { AuditDb } from '../../database/audit.db';
import { isoMillis } from '../ledger/audit-hash.util';
import { AuditCheckpointStore } from './audit-checkpoint-store.service';

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
    this.logger.log(
      `Checkpoints signed with Ed25519 key ${this.store.signer.keyId}; public keys ${JSON.stringify(this.store.signer.publicKeysBase64)}`,
    );
    await this.queue.add('checkpoint', {}, { repeat: { every: this.config.AUDIT_CHECKPOINT_EVERY_MS }, jobId: 'audit-checkpoint' });
  }

  /** Checkpoints every organization's head; returns how many checkpoints were written. */
  @Process('checkpoint')
  async checkpoint(): Promise<number> {
    const db = kyselyFor<AuditDb>(this.dataSource);
    const heads = await db
      .selectFrom((eb) =>
        eb
          .selectFrom('audit_entry')
          .select((agg) => ['org_id', agg.fn.max('seq').as('seq')])
          .groupBy('org_id')
          .as('h'),
      )
      .innerJoin('audit_entry as e', (join) => join.onRef('e.org_id', '=', 'h.org_id').onRef('e.seq', '=', 'h.seq'))
      .select(['h.org_id', 'h.seq', 'e.hash'])
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('audit_checkpoint as c')
              .select(eb.lit(1).as('one'))
              .whereRef('c.org_id', '=', 'h.org_id')
              .whereRef('c.seq', '>=', 'h.seq'),
          ),
        ),
      )
      .execute();
    let written = 0;
    for (const head of heads) {
      const signed = this.store.signer.sign({
        orgId: head.org_id,
        seq: Number(head.seq),
        hash: head.hash,
        createdAt: isoMillis(new Date()),
      });
      await this.store.append(signed);
      const inserted = await db
        .insertInto('audit_checkpoint')
        .values({
          id: newId(),
          org_id: signed.orgId,
          seq: signed.seq,
          hash: signed.hash,
          created_at: signed.createdAt,
          key_id: signed.keyId,
          signature: signed.signature,
        })
        .onConflict((conflict) => conflict.columns(['org_id', 'seq']).doNothing())
        .returning('id')
        .execute();
      written += inserted.length;
    }
    if (written > 0) this.logger.log({ written }, 'Audit chain heads checkpointed');
    return written;
  }
}
