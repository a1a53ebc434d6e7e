import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { sql } from 'kysely';
import { DealsEvent, type DealsDateReminderDueData, type DealsDeadlineMissedData, type RequestEnvelope } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { DEALS_COMMISSION_CONFIG, type DealsCommissionConfig } from '../../config/deals-commission.config';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
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
      const db = kyselyFor<DealsCommissionDb>(unit.manager);
      const rows = await db
        .selectFrom('key_date_reminder as r')
        .innerJoin('deal_transaction as t', 't.id', 'r.transaction_id')
        .innerJoin('key_date as k', (join) =>
          join.onRef('k.transaction_id', '=', 'r.transaction_id').onRef('k.key', '=', 'r.key').onRef('k.due_on', '=', 'r.due_on'),
        )
        .select((eb) => [
          'r.id',
          'r.org_id',
          'r.transaction_id',
          'r.key',
          eb.cast<string>('r.due_on', 'text').as('due_on'),
          'r.offset_minutes',
          'r.remind_at',
          't.agent_id',
          't.agent_ids',
        ])
        .where('r.sent_at', 'is', null)
        .where('r.remind_at', '<=', sql<Date>`now()`)
        .where('k.done_at', 'is', null)
        .where('t.status', '=', 'open')
        .where('t.deleted_at', 'is', null)
        .orderBy('r.remind_at')
        .limit(BATCH)
        .forUpdate('r')
        .skipLocked()
        .execute();
      for (const row of rows) {
        await db
          .updateTable('key_date_reminder')
          .set({ sent_at: sql<Date>`now()` })
          .where('id', '=', row.id)
          .execute();
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
      const db = kyselyFor<DealsCommissionDb>(unit.manager);
      const rows = await db
        .selectFrom('key_date as k')
        .innerJoin('deal_transaction as t', 't.id', 'k.transaction_id')
        .leftJoin('deal_settings as s', 's.org_id', 'k.org_id')
        .select((eb) => ['k.org_id', 'k.transaction_id', 'k.key', eb.cast<string>('k.due_on', 'text').as('due_on'), 't.agent_id'])
        .where('k.done_at', 'is', null)
        .where('k.missed_at', 'is', null)
        .where('t.status', '=', 'open')
        .where('t.deleted_at', 'is', null)
        .where((eb) => eb('k.due_on', '<', sql<Date>`(now() AT TIME ZONE coalesce(${eb.ref('s.time_zone')}, 'UTC'))::date`))
        .orderBy('k.due_on')
        .limit(BATCH)
        .forUpdate('k')
        .skipLocked()
        .execute();
      for (const row of rows) {
        await db
          .updateTable('key_date')
          .set({ missed_at: sql<Date>`now()` })
          .where('transaction_id', '=', row.transaction_id)
          .where('key', '=', row.key)
          .execute();
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
