import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { InjectQueue, type Queue } from '@keyhouse/platform/queue';
import type { CrmDb } from '../../../database/crm.db';
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
    const db = kyselyFor<CrmDb>(manager);
    const removed = await db
      .deleteFrom('task_reminder')
      .where('task_id', '=', task.id)
      .where('sent_at', 'is', null)
      .returning(['offset_minutes', 'remind_at'])
      .execute();
    const plan: ReminderPlan = {
      add: [],
      remove: removed.map((row) =>
        reminderJobId({ taskId: task.id, offsetMinutes: row.offset_minutes, remindAt: row.remind_at.toISOString() }),
      ),
    };
    if (task.status !== 'open') return plan;
    const now = Date.now();
    for (const offset of task.reminders) {
      const remindAt = new Date(task.due_at.getTime() - offset * 60_000);
      if (remindAt.getTime() <= now) continue;
      const inserted = await db
        .insertInto('task_reminder')
        .values({ task_id: task.id, offset_minutes: offset, remind_at: remindAt, org_id: task.org_id })
        .onConflict((conflict) => conflict.doNothing())
        .returning('task_id')
        .executeTakeFirst();
      if (inserted) plan.add.push({ orgId: task.org_id, taskId: task.id, offsetMinutes: offset, remindAt: remindAt.toISOString() });
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
