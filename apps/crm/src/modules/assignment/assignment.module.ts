import { Module } from '@nestjs/common';
import { QueueModule } from '@keyhouse/platform/queue';
import { IdentityReadModelModule } from '../agents/identity-read-model.module';
import { ContactsCoreModule } from '../contacts-core/contacts-core.module';
import { AssignmentEngine, SPEED_TO_LEAD_QUEUE } from './assignment-engine.service';
import { AssignmentRulesService } from './assignment-rules.service';
import { SpeedToLeadJob } from './speed-to-lead.job';

/**
 * Lead assignment (docs/adr/0009): the routing engine, the assignment rules and ponds (their
 * contracts), and the speed-to-lead re-routing job on queue `crm.speed-to-lead`. Depends on the
 * contacts core and the identity read model (`AgentDirectory`). Exports `AssignmentEngine` (route, assign) for contacts and intake.
 */
@Module({
  imports: [ContactsCoreModule, IdentityReadModelModule, QueueModule.registerQueues(SPEED_TO_LEAD_QUEUE)],
  providers: [AssignmentEngine, AssignmentRulesService, SpeedToLeadJob],
  exports: [AssignmentEngine],
})
export class AssignmentModule {}
