import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InjectQueue, type Queue } from '@keyhouse/platform/queue';
import type { TaskRow } from './task.row';

export const TASK_REMINDERS_QUEUE = 'crm.task-reminders';

/** Data of a `remind` job: one reminder row, identified by its primary key. No personal data. */
export interface TaskReminderJobData {
  orgId: string;
  taskId: string;
  offsetMinutes: number;
  /** ISO 8601. */
  remindAt: string;
}

/** Delayed jobs to add and to remove once the transaction that planned them commits. */
export interface ReminderPlan {
  add: TaskReminderJobData[];
  remove: string[];
}

/** Bull job id of a reminder: the same reminder is never queued twice. */
export function reminderJobId(data: Pick<TaskReminderJobData, 'taskId' | 'offsetMinutes' | 'remindAt'>): string {
  return `remind-${data.taskId}-${data.offsetMinutes}-${new Date(data.remindAt).getTime()}`;
}

/**
 * Reminder bookkeeping. The `task_reminder` rows are the truth: one per (task, offset, remind
 * time), `sent_at` set in the same transaction as the `crm.task.reminder_due` event, so a reminder
 * is emitted once whoever runs it. A delayed Bull job per row gives the timing; the sweep job
 * (`TaskReminderJob.sweep`) sends any row whose job was lost (Redis down at commit, a crash between
 * commit and enqueue), so no reminder depends on Redis alone.
 */
@Injectable()
export class TaskReminders {
  private readonly logger = new Logger(TaskReminders.name);

  constructor(@InjectQueue(TASK_REMINDERS_QUEUE) private readonly queue: Queue) {}

  /**
   * Replaces the unsent reminders of `task` by those its current state calls for (none unless it
   * is open; only times still in the future). Call inside the transaction that changed the task,
   * then `apply` the plan after commit.
   */
  async replan(manager: EntityManager, task: Pick<TaskRow, 'id' | 'org_id' | 'status' | 'due_at' | 'reminders'>): Promise<ReminderPlan> {
    const removed = (await manager.query(
      `DELETE FROM task_reminder WHERE task_id = $1 AND sent_at IS NULL RETURNING offset_minutes, remind_at`,
      [task.id],
    )) as [Array<{ offset_minutes: number; remind_at: Date }>, number];
    const plan: ReminderPlan = {
      add: [],
      remove: removed[0].map((row) =>
        reminderJobId({ taskId: task.id, offsetMinutes: row.offset_minutes, remindAt: row.remind_at.toISOString() }),
      ),
    };
    if (task.status !== 'open') return plan;
    const now = Date.now();
    for (const offset of task.reminders) {
      const remindAt = new Date(task.due_at.getTime() - offset * 60_000);
      if (remindAt.getTime() <= now) continue;
      const inserted = (await manager.query(
        `INSERT INTO task_reminder (task_id, offset_minutes, remind_at, org_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING task_id`,
        [task.id, offset, remindAt, task.org_id],
      )) as unknown[];
      if (inserted.length > 0)
        plan.add.push({ orgId: task.org_id, taskId: task.id, offsetMinutes: offset, remindAt: remindAt.toISOString() });
    }
    plan.remove = plan.remove.filter((id) => !plan.add.some((data) => reminderJobId(data) === id));
    return plan;
  }

  /**
   * Queues and unqueues the delayed jobs of committed plans. Failures are logged, not thrown: the
   * change is committed, a lost job is caught by the sweep, and a stale job finds no row to send.
   */
  async apply(...plans: ReminderPlan[]): Promise<void> {
    for (const plan of plans) {
      for (const id of plan.remove) {
        try {
          await (await this.queue.getJob(id))?.remove();
        } catch (error) {
          this.logger.warn({ jobId: id, err: error }, 'Could not remove a reminder job (it will find nothing to send)');
        }
      }
      for (const data of plan.add) {
        try {
          const delay = Math.max(0, new Date(data.remindAt).getTime() - Date.now());
          await this.queue.add('remind', data, { jobId: reminderJobId(data), delay });
        } catch (error) {
          this.logger.warn({ taskId: data.taskId, err: error }, 'Could not queue a reminder job (the sweep will send it)');
        }
      }
    }
  }
}
