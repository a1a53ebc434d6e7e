import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
  type TransactionParticipant,
  type TransactionParticipantRole,
} from '@keyhouse/contracts';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { DealsErrorCode } from '../../deals-commission.exception';
import { actorOf, scopeFor } from '../scope.util';
import { findVisibleTransaction, recordActivity } from '../transactions/transaction.queries';
import { contractDeadlines, todayIn } from './contract-deadlines';
import { DealSettingsService } from './deal-settings.service';
import { scheduleReminders } from './key-date-reminders';

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

interface KeyDateRow {
  key: TransactionKeyDate;
  due_on: string;
  origin: 'computed' | 'manual';
  done_at: Date | null;
  missed_at: Date | null;
}

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
    const existing = new Map(
      (
        (await manager.query(`SELECT key, due_on::text AS due_on FROM key_date WHERE transaction_id = $1`, [transactionId])) as KeyDateRow[]
      ).map((row) => [row.key, row]),
    );
    let settings: DealSettingsView | null = null;
    for (const [key, date] of Object.entries(keyDates) as Array<[TransactionKeyDate, string | null | undefined]>) {
      const before = existing.get(key);
      if (!date) {
        if (before) {
          await manager.query(`DELETE FROM key_date_reminder WHERE transaction_id = $1 AND key = $2 AND sent_at IS NULL`, [
            transactionId,
            key,
          ]);
          await manager.query(`DELETE FROM key_date WHERE transaction_id = $1 AND key = $2`, [transactionId, key]);
        }
        continue;
      }
      const origin = computed.has(key) ? 'computed' : 'manual';
      if (before?.due_on === date) {
        if (computed.has(key))
          await manager.query(`UPDATE key_date SET origin = 'computed' WHERE transaction_id = $1 AND key = $2`, [transactionId, key]);
        continue;
      }
      await manager.query(
        `INSERT INTO key_date (org_id, transaction_id, key, due_on, origin) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (transaction_id, key) DO UPDATE SET due_on = EXCLUDED.due_on, origin = EXCLUDED.origin, done_at = NULL, missed_at = NULL, updated_at = now()`,
        [orgId, transactionId, key, date, origin],
      );
      await manager.query(`DELETE FROM key_date_reminder WHERE transaction_id = $1 AND key = $2 AND sent_at IS NULL`, [transactionId, key]);
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
    const [deal] = (await manager.query(
      `SELECT id, org_id, agent_id, key_dates, participants FROM deal_transaction WHERE id = $1 FOR UPDATE`,
      [transactionId],
    )) as Array<{
      id: string;
      org_id: string;
      agent_id: string;
      key_dates: TransactionKeyDates;
      participants: TransactionParticipant[];
    }>;
    const settings = await this.settings.load(manager, deal.org_id);
    const acceptedOn = todayIn(settings.timeZone, new Date(offer.acceptedAt));
    const computed = contractDeadlines(acceptedOn, offer.contingencies, settings);
    const merged = { ...deal.key_dates, ...computed };
    await manager.query(`UPDATE deal_transaction SET key_dates = $2, updated_at = now() WHERE id = $1`, [deal.id, JSON.stringify(merged)]);
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
      const [rows] = (await manager.query(
        `UPDATE key_date SET done_at = CASE WHEN $3 THEN coalesce(done_at, now()) ELSE NULL END, updated_at = now()
         WHERE transaction_id = $1 AND key = $2 RETURNING key, due_on::text AS due_on, done_at`,
        [deal.id, data.key, data.done],
      )) as [Array<{ key: string; due_on: string; done_at: Date | null }>, number];
      if (!rows.length) throw DomainException.notFound(DealsErrorCode.KeyDateNotFound, 'Key date');
      await recordActivity(
        manager,
        actor.orgId,
        deal.id,
        data.done ? 'key_date_done' : 'key_date_reopened',
        actor.userId,
        { key: data.key, date: rows[0].due_on },
        newId(),
      );
      if (data.done) {
        await unit.emit(DealsEvent.keyDateCompleted, deal.id, actor.orgId, { transactionId: deal.id, key: data.key, date: rows[0].due_on });
      }
      return (await this.views(manager, deal.id)).find((item) => item.key === data.key)!;
    });
  }

  private async views(manager: EntityManager, transactionId: string): Promise<TransactionKeyDateView[]> {
    const rows = (await manager.query(
      `SELECT k.key, k.due_on::text AS due_on, k.origin, k.done_at, k.missed_at,
         coalesce((SELECT json_agg(json_build_object('offsetMinutes', r.offset_minutes,
             'remindAt', to_char(r.remind_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'sentAt', to_char(r.sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY r.offset_minutes DESC)
           FROM key_date_reminder r WHERE r.transaction_id = k.transaction_id AND r.key = k.key AND r.due_on = k.due_on), '[]') AS reminders
       FROM key_date k WHERE k.transaction_id = $1 ORDER BY k.due_on, k.key`,
      [transactionId],
    )) as Array<KeyDateRow & { reminders: TransactionKeyDateView['reminders'] }>;
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
