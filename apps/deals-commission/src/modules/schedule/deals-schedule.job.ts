import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DealsEvent, type DealsDateReminderDueData, type DealsDeadlineMissedData, type RequestEnvelope } from '@keyhouse/contracts';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { DEALS_COMMISSION_CONFIG, type DealsCommissionConfig } from '../../config/deals-commission.config';
import { FilesService } from '../files/files.service';
import { InvoicesService } from '../invoices/invoices.service';

export const DEALS_SCHEDULE_QUEUE = 'deals-commission.schedule';
/** Rows handled per run and kind; the next run takes the rest. */
const BATCH = 500;

function systemEnvelope(job: string): RequestEnvelope {
  return { actor: null, requestId: `deals-schedule:${job}:${Date.now()}`, data: {} };
}

/**
 * Repeatable Bull jobs of the deals service (same repeat options from every replica: Bull keeps one
 * schedule; rows are claimed with `FOR UPDATE SKIP LOCKED`, and each is marked in the same database
 * transaction as its event, so a retry or a second replica sends nothing twice):
 * - `reminders` (every `DEALS_COMMISSION_SCHEDULE_EVERY_MS`): `deals.date.reminder_due` for each
 *   reminder whose time has come, on open deals, for dates not done; `sent_at` marks it.
 * - `deadlines` (same interval): `deals.deadline.missed` once for each key date of an open deal that
 *   passed (before today in the organization's time zone) without being marked done; `missed_at` marks it.
 *   The same run drops file uploads left unfinished for an hour.
 * - `overdue-invoices` (every `DEALS_COMMISSION_OVERDUE_EVERY_MS`, daily): sent invoices past due → overdue.
 */
@Processor(DEALS_SCHEDULE_QUEUE)
export class DealsScheduleJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(DealsScheduleJob.name);

  constructor(
    private readonly unitOfWork: UnitOfWork,
    @InjectQueue(DEALS_SCHEDULE_QUEUE) private readonly queue: Queue,
    @Inject(DEALS_COMMISSION_CONFIG) private readonly config: DealsCommissionConfig,
    private readonly invoices: InvoicesService,
    private readonly files: FilesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const every = this.config.DEALS_COMMISSION_SCHEDULE_EVERY_MS;
    await this.queue.add('reminders', {}, { repeat: { every }, jobId: 'deals-reminders', removeOnComplete: true });
    await this.queue.add('deadlines', {}, { repeat: { every }, jobId: 'deals-deadlines', removeOnComplete: true });
    await this.queue.add(
      'overdue-invoices',
      {},
      { repeat: { every: this.config.DEALS_COMMISSION_OVERDUE_EVERY_MS }, jobId: 'deals-overdue-invoices', removeOnComplete: true },
    );
  }

  @Process('reminders')
  async reminders(): Promise<number> {
    const envelope = systemEnvelope('reminders');
    const sent = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const rows = (await manager.query(
        `SELECT r.id, r.org_id, r.transaction_id, r.key, r.due_on::text AS due_on, r.offset_minutes, r.remind_at, t.agent_id, t.agent_ids
         FROM key_date_reminder r
         JOIN deal_transaction t ON t.id = r.transaction_id
         JOIN key_date k ON k.transaction_id = r.transaction_id AND k.key = r.key AND k.due_on = r.due_on
         WHERE r.sent_at IS NULL AND r.remind_at <= now() AND k.done_at IS NULL AND t.status = 'open' AND t.deleted_at IS NULL
         ORDER BY r.remind_at LIMIT ${BATCH} FOR UPDATE OF r SKIP LOCKED`,
      )) as Array<{
        id: string;
        org_id: string;
        transaction_id: string;
        key: string;
        due_on: string;
        offset_minutes: number;
        remind_at: Date;
        agent_id: string;
        agent_ids: string[];
      }>;
      for (const row of rows) {
        await manager.query(`UPDATE key_date_reminder SET sent_at = now() WHERE id = $1`, [row.id]);
        const data: DealsDateReminderDueData = {
          transactionId: row.transaction_id,
          key: row.key,
          date: row.due_on,
          offsetMinutes: row.offset_minutes,
          remindAt: row.remind_at.toISOString(),
          agentId: row.agent_id,
          agentIds: row.agent_ids,
        };
        await unit.emit(DealsEvent.dateReminderDue, row.transaction_id, row.org_id, data);
      }
      return rows.length;
    });
    if (sent) this.logger.log({ sent }, 'Key-date reminders due');
    return sent;
  }

  @Process('deadlines')
  async deadlines(): Promise<number> {
    const envelope = systemEnvelope('deadlines');
    const missed = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const rows = (await manager.query(
        `SELECT k.org_id, k.transaction_id, k.key, k.due_on::text AS due_on, t.agent_id
         FROM key_date k
         JOIN deal_transaction t ON t.id = k.transaction_id
         LEFT JOIN deal_settings s ON s.org_id = k.org_id
         WHERE k.done_at IS NULL AND k.missed_at IS NULL AND t.status = 'open' AND t.deleted_at IS NULL
           AND k.due_on < (now() AT TIME ZONE coalesce(s.time_zone, 'UTC'))::date
         ORDER BY k.due_on LIMIT ${BATCH} FOR UPDATE OF k SKIP LOCKED`,
      )) as Array<{ org_id: string; transaction_id: string; key: string; due_on: string; agent_id: string }>;
      for (const row of rows) {
        await manager.query(`UPDATE key_date SET missed_at = now() WHERE transaction_id = $1 AND key = $2`, [row.transaction_id, row.key]);
        const data: DealsDeadlineMissedData = {
          transactionId: row.transaction_id,
          key: row.key,
          dueDate: row.due_on,
          agentId: row.agent_id,
        };
        await unit.emit(DealsEvent.deadlineMissed, row.transaction_id, row.org_id, data);
      }
      return rows.length;
    });
    if (missed) this.logger.log({ missed }, 'Missed contract deadlines');
    await this.files.purgeStaleUploads();
    return missed;
  }

  @Process('overdue-invoices')
  async overdueInvoices(): Promise<number> {
    return this.invoices.markOverdue(systemEnvelope('overdue-invoices'));
  }
}
