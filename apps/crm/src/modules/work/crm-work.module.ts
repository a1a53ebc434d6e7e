import { Module } from '@nestjs/common';
import { QueueModule } from '@keyhouse/platform/queue';
import { TaskReminderJob } from './tasks/task-reminder.job';
import { TASK_REMINDERS_QUEUE, TaskReminders } from './tasks/task-reminders.service';
import { TasksRpcController } from './tasks/tasks.rpc.controller';
import { TasksService } from './tasks/tasks.service';
import { WorkEvents } from './work-events.service';

/**
 * The agent's working tools in the crm service: tasks (with reminders and overdue detection on
 * queue `crm.task-reminders`), companies, saved replies and tag definitions (docs/adr/0010).
 * Exports `TasksService` (`moveToContact` for contact merges).
 */
@Module({
  imports: [QueueModule.registerQueues(TASK_REMINDERS_QUEUE)],
  controllers: [TasksRpcController],
  providers: [WorkEvents, TaskReminders, TaskReminderJob, TasksService],
  exports: [TasksService],
})
export class CrmWorkModule {}
