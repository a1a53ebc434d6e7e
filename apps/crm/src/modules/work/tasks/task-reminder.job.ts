import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { CrmTaskEvent, type CrmTaskOverdueData, type CrmTaskReminderDueData } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Job, type Queue } from '@keyhouse/platform/queue';
import type { CrmDb } from '../../../database/crm.db';
import { systemActor } from '../work-access.util';
import { TASK_REMINDERS_QUEUE, type TaskReminderJobData } from './task-reminders.service';
import { taskSnapshot } from './task.row';

/** How often the sweep runs (overdue detection and lost reminders), in milliseconds. */
export const TASK_SWEEP_EVERY_MS = 60_000;
/** Rows handled per sweep transaction. */
const SWEEP_BATCH = 200;

/**
 * Jobs of queue `crm.task-reminders`:
 * - `remind` (delayed, one per reminder row): emits `crm.task.reminder_due` once — the row's
 *   `sent_at` is set in the event's transaction, only if unsent and the task still open, so a job
 *   that runs twice, or races the sweep, emits once; a job whose reminder was rescheduled or whose
 *   task was completed or deleted finds no row and does nothing.
 * - `sweep` (repeatable, every minute): sends reminders whose time has come but whose job was lost,
 *   and emits `crm.task.overdue` once per open task whose due time has passed
 *   (`overdue_notified_at`, cleared when `dueAt` moves, so a new due time can be overdue again).
 */
@Processor(TASK_REMINDERS_QUEUE)
export class TaskReminderJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(TaskReminderJob.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(TASK_REMINDERS_QUEUE) private readonly queue: Queue,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Same repeat options from every replica: Bull keeps one schedule.
    await this.queue.add('sweep', {}, { repeat: { every: TASK_SWEEP_EVERY_MS }, jobId: 'crm-task-sweep' });
  }

  /** Sends the job's reminder if it is still due to be sent; true when this run emitted it. */
  @Process('remind')
  async remind(job: Pick<Job<TaskReminderJobData>, 'data'>): Promise<boolean> {
    return this.send(job.data);
  }

  /**
   * One sweep: lost reminders, then overdue tasks, read 200 at a time and each sent in its own
   * transaction (`send`, `markOverdue`); answers how many of each this sweep emitted.
   */
  @Process('sweep')
  async sweep(): Promise<{ reminders: number; overdue: number }> {
    const db = kyselyFor<CrmDb>(this.dataSource);
    let reminders = 0;
    for (;;) {
      const due = await db
        .selectFrom('task_reminder')
        .select(['org_id', 'task_id', 'offset_minutes', 'remind_at'])
        .where('sent_at', 'is', null)
        .where('remind_at', '<=', sql<Date>`now()`)
        .orderBy('remind_at')
        .limit(SWEEP_BATCH)
        .execute();
      let progressed = 0;
      for (const row of due) {
        const data = { orgId: row.org_id, taskId: row.task_id, offsetMinutes: row.offset_minutes, remindAt: row.remind_at.toISOString() };
        if (await this.send(data)) reminders += 1;
        progressed += 1;
      }
      // Rows of closed tasks stay unsent; drop them so they are not scanned again.
      await db
        .deleteFrom('task_reminder as r')
        .using('task as t')
        .whereRef('t.id', '=', 'r.task_id')
        .where('r.sent_at', 'is', null)
        .where('r.remind_at', '<=', sql<Date>`now()`)
        .where('t.status', '<>', 'open')
        .execute();
      if (progressed < SWEEP_BATCH) break;
    }
    let overdue = 0;
    for (;;) {
      const due = await db
        .selectFrom('task')
        .select(['id', 'org_id'])
        .where('status', '=', 'open')
        .where('overdue_notified_at', 'is', null)
        .where('due_at', '<', sql<Date>`now()`)
        .orderBy('due_at')
        .limit(SWEEP_BATCH)
        .execute();
      for (const row of due) if (await this.markOverdue(row.id, row.org_id)) overdue += 1;
      if (due.length < SWEEP_BATCH) break;
    }
    if (reminders + overdue > 0) this.logger.log({ reminders, overdue }, 'Task sweep');
    return { reminders, overdue };
  }

  /**
   * Emits `crm.task.overdue` for one task if it is still open, past due and not yet notified; true
   * when this call emitted it. One unit per task, as for reminders: each event carries its own
   * system context (request id `task-overdue:<taskId>`), and the conditional update makes a task
   * that two sweeps race for emit once.
   */
  private async markOverdue(taskId: string, orgId: string): Promise<boolean> {
    return this.unitOfWork.run({ actor: systemActor(orgId), requestId: `task-overdue:${taskId}` }, async (unit) => {
      const row = await kyselyFor<CrmDb>(unit.manager)
        .updateTable('task')
        .set({ overdue_notified_at: sql<Date>`now()` })
        .where('id', '=', taskId)
        .where('status', '=', 'open')
        .where('overdue_notified_at', 'is', null)
        .where('due_at', '<', sql<Date>`now()`)
        .returningAll()
        .executeTakeFirst();
      if (!row) return false;
      const data: CrmTaskOverdueData = taskSnapshot(row);
      await unit.emit(CrmTaskEvent.taskOverdue, row.id, row.org_id, data);
      return true;
    });
  }

  /** Sends one reminder if it is still due to be sent; true when this call emitted it. */
  private async send(data: TaskReminderJobData): Promise<boolean> {
    const context = { actor: systemActor(data.orgId), requestId: `task-reminder:${data.taskId}:${data.offsetMinutes}` };
    return this.unitOfWork.run(context, async (unit) => {
      const row = await kyselyFor<CrmDb>(unit.manager)
        .updateTable('task_reminder as r')
        .from('task as t')
        .set({ sent_at: sql<Date>`now()` })
        .where('r.task_id', '=', data.taskId)
        .where('r.offset_minutes', '=', data.offsetMinutes)
        .where('r.remind_at', '=', new Date(data.remindAt))
        .where('r.sent_at', 'is', null)
        .whereRef('t.id', '=', 'r.task_id')
        .where('t.status', '=', 'open')
        .returningAll('t')
        .returning(['r.offset_minutes', 'r.remind_at'])
        .executeTakeFirst();
      if (!row) return false;
      const payload: CrmTaskReminderDueData = {
        ...taskSnapshot(row),
        offsetMinutes: row.offset_minutes,
        remindAt: row.remind_at.toISOString(),
      };
      await unit.emit(CrmTaskEvent.taskReminderDue, row.id, row.org_id, payload);
      return true;
    });
  }
}
