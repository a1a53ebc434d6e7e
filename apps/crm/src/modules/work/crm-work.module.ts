import { Module } from '@nestjs/common';
import { QueueModule } from '@keyhouse/platform/queue';
import { IdentityReadModelModule } from '../agents/identity-read-model.module';
import { CompaniesService } from './companies/companies.service';
import { SavedRepliesService } from './saved-replies/saved-replies.service';
import { TagsService } from './tags/tags.service';
import { DeadlineTasksConsumer } from './tasks/deadline-tasks.consumer';
import { TaskReminderJob } from './tasks/task-reminder.job';
import { TASK_REMINDERS_QUEUE, TaskReminders } from './tasks/task-reminders.service';
import { TasksService } from './tasks/tasks.service';

/**
 * The agent's working tools in the crm service: tasks (with reminders and overdue detection on
 * queue `crm.task-reminders`), companies, saved replies and tag definitions (docs/adr/0010). The
 * services' own methods answer the NATS contracts (`@RpcHandler`); writes go through `UnitOfWork`.
 * Imports the identity read model (`AgentDirectory`, for assignees). Exports `TasksService` (`moveToContact` for contact merges).
 * `DeadlineTasksConsumer` turns deals' contract deadlines (`deals.deadline.task_requested`) into tasks.
 */
@Module({
  imports: [IdentityReadModelModule, QueueModule.registerQueues(TASK_REMINDERS_QUEUE)],
  providers: [TaskReminders, TaskReminderJob, TasksService, CompaniesService, SavedRepliesService, TagsService, DeadlineTasksConsumer],
  exports: [TasksService],
})
export class CrmWorkModule {}
