import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import type { CrmDb } from '../../database/crm.db';
import type { CrmScoreReason } from '../../database/crm-json.type';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { derive, stateOf } from '../contacts-core/contact-state.util';
import { ContactWriter } from '../contacts-core/contact-writer.service';
import { systemContext } from '../shared/system-context.util';

export const SCORING_QUEUE = 'crm.scoring';
/** How often stale recency is re-scored, in milliseconds. */
export const SCORE_REFRESH_EVERY_MS = 60 * 60_000;
/** Contacts re-scored per run at most (the next run continues). */
export const SCORE_REFRESH_BATCH = 2_000;

/**
 * Recency decays without any write to the contact: a lead whose score still counts "activity
 * within 3 days" (30 points) or "within 14 days" (15 points) after that window has passed is
 * re-scored by this repeatable job (hourly), each contact in its own short transaction, emitting
 * `crm.contact.score_changed` when the band moves. Idempotent: a re-run finds nothing stale.
 */
@Processor(SCORING_QUEUE)
export class ScoreRefreshJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(ScoreRefreshJob.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(SCORING_QUEUE) private readonly queue: Queue,
    private readonly lookup: ContactLookup,
    private readonly writer: ContactWriter,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.add('refresh', {}, { repeat: { every: SCORE_REFRESH_EVERY_MS }, jobId: 'crm-score-refresh', removeOnComplete: true });
  }

  @Process('refresh')
  async refresh(): Promise<{ rescored: number; changed: number }> {
    const stale = await kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('contact')
      .select(['id', 'org_id'])
      .where('deleted_at', 'is', null)
      .where('last_activity_at', 'is not', null)
      .where('last_activity_at', '<', sql<Date>`now() - interval '3 days'`)
      .where((eb) =>
        eb.or([
          eb('score_reasons', '@>', sql<CrmScoreReason[]>`'[{"signal": "recent_activity", "points": 30}]'`),
          eb.and([
            eb('score_reasons', '@>', sql<CrmScoreReason[]>`'[{"signal": "recent_activity", "points": 15}]'`),
            eb('last_activity_at', '<', sql<Date>`now() - interval '14 days'`),
          ]),
        ]),
      )
      .limit(SCORE_REFRESH_BATCH)
      .execute();
    let changed = 0;
    for (const { id, org_id: orgId } of stale) {
      const moved = await this.unitOfWork.run(systemContext(orgId, `score-refresh:${id}`), async (unit) => {
        const row = await this.lookup.byId(unit.manager, orgId, id, true);
        if (!row) return false;
        const next = stateOf(row);
        derive(next);
        const saved = await this.writer.save(unit, row, next, 'contact.rescored');
        return saved !== row && saved.score !== row.score;
      });
      if (moved) changed += 1;
    }
    if (stale.length > 0) {
      this.logger.log({ rescored: stale.length, changed }, 'Re-scored leads whose activity aged');
    }
    return { rescored: stale.length, changed };
  }
}
