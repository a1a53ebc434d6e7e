import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsEvent,
  DealsScheduleSubjects,
  type DealsDeadlineTaskRequestedData,
  type DealSettingsView,
  type RequestEnvelope,
  type TransactionKeyDate,
  type TransactionKeyDates,
  type TransactionKeyDateUpdateRequest,
  type TransactionKeyDateView,
  type TransactionParticipantRole,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { DealsErrorCode } from '../../deals-commission.exception';
import { actorOf, scopeFor } from '../scope.util';
import { findVisibleTransaction, recordActivity } from '../transactions/transaction.queries';
import { contractDeadlines, todayIn } from './contract-deadlines.util';
import { DealSettingsService } from './deal-settings.service';
import { scheduleReminders } from './key-date-reminders.util';

/** Participants a contract deadline's task concerns, by role. */
export const DEADLINE_ROLES: Record<TransactionKeyDate, TransactionParticipantRole[]> = {
  depositDue: ['escrow_title'],
  inspection: ['inspector'],
  appraisal: ['appraiser', 'lender'],
  financingContingency: ['lender'],
  finalWalkThrough: ['buyers_agent'],
  closing: ['escrow_title', 'attorney'],
};

const TITLES: Record<TransactionKeyDate, string> = {
  depositDue: 'Earnest money deposit due',
  inspection: 'Inspection contingency deadline',
  appraisal: 'Appraisal contingency deadline',
  financingContingency: 'Financing contingency deadline',
  finalWalkThrough: 'Final walk-through',
  closing: 'Closing',
};

/**
 * Key dates of transactions as rows with their follow-up state (`key_date`: done, missed) and
 * reminders (`key_date_reminder`, one per date and offset). The transaction's `keyDates` JSON stays
 * the source of the dates; `sync` is called in the same database transaction as every change of it.
 */
@Injectable()
export class KeyDatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: DealSettingsService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * Brings `key_date` and the unsent reminders in line with `keyDates`: a new or moved date gets
   * fresh reminders (the old unsent ones are dropped; sent ones stay as the record that they went
   * out) and loses its done/missed marks; a cleared date is removed. `computed` names dates set from
   * an accepted offer.
   */
  async sync(
    manager: EntityManager,
    orgId: string,
    transactionId: string,
    keyDates: TransactionKeyDates,
    computed: ReadonlySet<string> = new Set(),
  ): Promise<void> {
    const db = kyselyFor<DealsCommissionDb>(manager);
    const existing = new Map(
      (
        await db
          .selectFrom('key_date')
          .select((eb) => ['key', eb.cast<string>('due_on', 'text').as('due_on')])
          .where('transaction_id', '=', transactionId)
          .execute()
      ).map((row) => [row.key, row]),
    );
    const deleteUnsentReminders = (key: TransactionKeyDate) =>
      db
        .deleteFrom('key_date_reminder')
        .where('transaction_id', '=', transactionId)
        .where('key', '=', key)
        .where('sent_at', 'is', null)
        .execute();
    let settings: DealSettingsView | null = null;
    for (const [key, date] of Object.entries(keyDates) as Array<[TransactionKeyDate, string | null | undefined]>) {
      const before = existing.get(key);
      if (!date) {
        if (before) {
          await deleteUnsentReminders(key);
          await db.deleteFrom('key_date').where('transaction_id', '=', transactionId).where('key', '=', key).execute();
        }
        continue;
      }
      const origin = computed.has(key) ? 'computed' : 'manual';
      if (before?.due_on === date) {
        if (computed.has(key)) {
          await db
            .updateTable('key_date')
            .set({ origin: 'computed' })
            .where('transaction_id', '=', transactionId)
            .where('key', '=', key)
            .execute();
        }
        continue;
      }
      await db
        .insertInto('key_date')
        .values({ org_id: orgId, transaction_id: transactionId, key, due_on: date, origin })
        .onConflict((conflict) =>
          conflict.columns(['transaction_id', 'key']).doUpdateSet((eb) => ({
            due_on: eb.ref('excluded.due_on'),
            origin: eb.ref('excluded.origin'),
            done_at: null,
            missed_at: null,
            updated_at: sql<Date>`now()`,
          })),
        )
        .execute();
      await deleteUnsentReminders(key);
      settings ??= await this.settings.load(manager, orgId);
      await scheduleReminders(manager, orgId, transactionId, key, date, settings);
    }
  }

  /**
   * An offer was accepted: the contract deadlines are computed from the acceptance date (in the
   * organization's time zone) by its rules, written into the transaction's key dates (replacing those
   * keys), and each emits `deals.deadline.task_requested` for the agent with the participants concerned;
   * in the caller's unit of work, `actorId` acting.
   */
  async applyAcceptedOffer(
    unit: UnitOfWorkContext,
    actorId: string,
    transactionId: string,
    offer: { id: string; contingencies: string[]; acceptedAt: string },
  ): Promise<void> {
    const manager = unit.manager;
    const db = kyselyFor<DealsCommissionDb>(manager);
    const deal = await db
      .selectFrom('deal_transaction')
      .select(['id', 'org_id', 'agent_id', 'key_dates', 'participants'])
      .where('id', '=', transactionId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const settings = await this.settings.load(manager, deal.org_id);
    const acceptedOn = todayIn(settings.timeZone, new Date(offer.acceptedAt));
    const computed = contractDeadlines(acceptedOn, offer.contingencies, settings);
    const merged = { ...deal.key_dates, ...computed };
    await db
      .updateTable('deal_transaction')
      .set({ key_dates: JSON.stringify(merged), updated_at: sql<Date>`now()` })
      .where('id', '=', deal.id)
      .execute();
    await this.sync(manager, deal.org_id, deal.id, merged, new Set(Object.keys(computed)));
    await recordActivity(
      manager,
      deal.org_id,
      deal.id,
      'key_dates_computed',
      actorId,
      { offerId: offer.id, acceptedOn, keyDates: computed },
      newId(),
    );
    await unit.emit(DealsEvent.transactionUpdated, deal.id, deal.org_id, {
      transactionId: deal.id,
      changes: { keyDates: { from: deal.key_dates, to: merged } },
    });
    for (const [key, dueDate] of Object.entries(computed) as Array<[TransactionKeyDate, string]>) {
      const data: DealsDeadlineTaskRequestedData = {
        transactionId: deal.id,
        key,
        dueDate,
        title: TITLES[key],
        assigneeId: deal.agent_id,
        participants: deal.participants
          .filter((participant) => DEADLINE_ROLES[key].includes(participant.role))
          .map((participant) => ({
            role: participant.role,
            side: participant.side,
            contactId: participant.contactId ?? null,
            userId: participant.userId ?? null,
            name: participant.name ?? null,
            email: participant.email ?? null,
          })),
        offerId: offer.id,
      };
      await unit.emit(DealsEvent.deadlineTaskRequested, deal.id, deal.org_id, data);
    }
  }

  /** `GET /v1/transactions/:id/key-dates`: the dates with done/missed marks and the reminders of the current dates. */
  @RpcHandler(DealsScheduleSubjects.keyDateList)
  async list(envelope: RequestEnvelope<{ transactionId: string }>): Promise<{ items: TransactionKeyDateView[] }> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const deal = await findVisibleTransaction(this.dataSource.manager, actor, scope, envelope.data.transactionId);
    return { items: await this.views(this.dataSource.manager, deal.id) };
  }

  /** `PATCH /v1/transactions/:id/key-dates/:key` `{ done }`: 404 `KEY_DATE_NOT_FOUND` for a date the deal does not have. */
  @RpcHandler(DealsScheduleSubjects.keyDateUpdate)
  async update(envelope: RequestEnvelope<TransactionKeyDateUpdateRequest>): Promise<TransactionKeyDateView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const deal = await findVisibleTransaction(manager, actor, scope, data.transactionId, true);
      const row = await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('key_date')
        .set({ done_at: data.done ? sql<Date>`coalesce(done_at, now())` : null, updated_at: sql<Date>`now()` })
        .where('transaction_id', '=', deal.id)
        .where('key', '=', data.key)
        .returning((eb) => ['key', eb.cast<string>('due_on', 'text').as('due_on'), 'done_at'])
        .executeTakeFirst();
      if (!row) throw DomainException.notFound(DealsErrorCode.KeyDateNotFound, 'Key date');
      await recordActivity(
        manager,
        actor.orgId,
        deal.id,
        data.done ? 'key_date_done' : 'key_date_reopened',
        actor.userId,
        { key: data.key, date: row.due_on },
        newId(),
      );
      if (data.done) {
        await unit.emit(DealsEvent.keyDateCompleted, deal.id, actor.orgId, { transactionId: deal.id, key: data.key, date: row.due_on });
      }
      return (await this.views(manager, deal.id)).find((item) => item.key === data.key)!;
    });
  }

  private async views(manager: EntityManager, transactionId: string): Promise<TransactionKeyDateView[]> {
    const rows = await kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('key_date as k')
      .select((eb) => [
        'k.key',
        eb.cast<string>('k.due_on', 'text').as('due_on'),
        'k.origin',
        'k.done_at',
        'k.missed_at',
        eb.fn
          .coalesce(
            eb
              .selectFrom('key_date_reminder as r')
              .select(
                sql<TransactionKeyDateView['reminders']>`json_agg(json_build_object('offsetMinutes', r.offset_minutes,
                  'remindAt', to_char(r.remind_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                  'sentAt', to_char(r.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY r.offset_minutes DESC)`.as(
                  'reminders',
                ),
              )
              .whereRef('r.transaction_id', '=', 'k.transaction_id')
              .whereRef('r.key', '=', 'k.key')
              .whereRef('r.due_on', '=', 'k.due_on'),
            sql<TransactionKeyDateView['reminders']>`'[]'`,
          )
          .as('reminders'),
      ])
      .where('k.transaction_id', '=', transactionId)
      .orderBy('k.due_on')
      .orderBy('k.key')
      .execute();
    return rows.map((row) => ({
      key: row.key,
      date: row.due_on,
      origin: row.origin,
      doneAt: row.done_at?.toISOString() ?? null,
      missedAt: row.missed_at?.toISOString() ?? null,
      reminders: row.reminders,
    }));
  }
}
