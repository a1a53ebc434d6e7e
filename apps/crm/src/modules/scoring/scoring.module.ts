import { Module } from '@nestjs/common';
import { QueueModule } from '@keyhouse/platform/queue';
import { ContactsCoreModule } from '../contacts-core/contacts-core.module';
import { SCORING_QUEUE, ScoreRefreshJob } from './score-refresh.job';

/**
 * Lead scoring over time: the hourly re-score of leads whose recency aged (queue `crm.scoring`).
 * The score itself is derived by the contacts core on every write (`computeLeadScore`). Exports nothing.
 */
@Module({
  imports: [ContactsCoreModule, QueueModule.registerQueues(SCORING_QUEUE)],
  providers: [ScoreRefreshJob],
})
export class ScoringModule {}
