import { Module } from '@nestjs/common';
import { QueueModule } from '@keyhouse/platform/queue';
import { CompaniesRpcController } from './companies/companies.rpc.controller';
import { CompaniesService } from './companies/companies.service';
import { SavedRepliesAndTagsRpcController } from './crm-work.rpc.controller';
import { SavedRepliesService } from './saved-replies/saved-replies.service';
import { TagsService } from './tags/tags.service';
import { TaskReminderJob } from './tasks/task-reminder.job';
import { TASK_REMINDERS_QUEUE, TaskReminders } from './tasks/task-reminders.service';
import { TasksRpcController } from './tasks/tasks.rpc.controller';
import { TasksService } from './tasks/tasks.service';
import { WorkEvents } from './work-events.service';

/**
 * The agent's working tools in the crm service: tasks (with reminders and overdue detection on
 * queue `crm.task-reminders`), companies, saved replies and tag definitions (docs/adr/0010).
 * Exports `TasksService` (`moveToContact` for contact merges) and `TagsService` (`coloursFor`).
 */
@Module({
  imports: [QueueModule.registerQueues(TASK_REMINDERS_QUEUE)],
  controllers: [TasksRpcController, CompaniesRpcController, SavedRepliesAndTagsRpcController],
  providers: [WorkEvents, TaskReminders, TaskReminderJob, TasksService, CompaniesService, SavedRepliesService, TagsService],
  exports: [TasksService, TagsService],
})
export class CrmWorkModule {}
