import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { ContactLookup } from '../contacts-core/contact-lookup.service';
import { derive, stateOf } from '../contacts-core/contact-state';
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
    const stale = (await this.dataSource.query(
      `SELECT id, org_id FROM contact
        WHERE deleted_at IS NULL AND last_activity_at IS NOT NULL AND last_activity_at < now() - interval '3 days'
          AND (   (score_reasons @> '[{"signal": "recent_activity", "points": 30}]')
               OR (score_reasons @> '[{"signal": "recent_activity", "points": 15}]' AND last_activity_at < now() - interval '14 days'))
        LIMIT $1`,
      [SCORE_REFRESH_BATCH],
    )) as Array<{ id: string; org_id: string }>;
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
