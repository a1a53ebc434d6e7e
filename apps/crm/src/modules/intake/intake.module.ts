import { Module } from '@nestjs/common';
import { AssignmentModule } from '../assignment/assignment.module';
import { ContactsCoreModule } from '../contacts-core/contacts-core.module';
import { IntakeService } from './intake.service';

/** Lead intake: lead events and public form submissions (their contracts). Depends on the contacts core and assignment; exports nothing. */
@Module({
  imports: [ContactsCoreModule, AssignmentModule],
  providers: [IntakeService],
})
export class IntakeModule {}
