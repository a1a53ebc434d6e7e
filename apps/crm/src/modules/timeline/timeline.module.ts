import { Module } from '@nestjs/common';
import { ContactsCoreModule } from '../contacts-core/contacts-core.module';
import { ActivityConsumer } from './activity.consumer';
import { TimelineService } from './timeline.service';

/**
 * The contact timeline: reading it (`crm.contacts.timeline`) and the activity of other services
 * (and crm's task events) written onto it by `ActivityConsumer`. Depends on the contacts core
 * (entries are written by its `TimelineRecorder`); exports nothing.
 */
@Module({
  imports: [ContactsCoreModule],
  providers: [TimelineService, ActivityConsumer],
})
export class TimelineModule {}
