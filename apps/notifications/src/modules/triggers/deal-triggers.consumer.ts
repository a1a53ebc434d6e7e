import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import {
  DealsEvent,
  type CloudEvent,
  type DealsDateReminderDueData,
  type DealsDeadlineMissedData,
  type DealsInvoiceEventData,
  type DealsOfferEventData,
  type DealsTransactionCreatedData,
  type DealsTransactionDeletedData,
  type DealsTransactionUpdatedData,
  type TransactionStageChangedData,
  type TransactionTeamShare,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { PERSON_FACING_FETCH_WAIT_MS, TRIGGER_EVENT_MAX_AGE_MS } from './notification-triggers.constant';
import { NOTIFICATIONS_TRIGGERS_GROUP } from './notification-triggers.consumer';
import { TriggerNotifier } from './trigger-notifier.service';

/** Key dates as the notifications word them (`inspection_deadline` → `inspection deadline`). */
export function keyDateWords(key: string): string {
  return key.replace(/_/g, ' ');
}

/** Cents as US dollars (`12345600` → `$123,456.00`); deals keeps every amount in cents. */
export function dollars(cents: number): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(cents / 100);
}

function teamAgentIds(team: TransactionTeamShare[] | null | undefined): string[] {
  return [...new Set((team ?? []).map((share) => share.agentId))];
}

/**
 * The built-in triggers on deals' events, consumer group `notifications.triggers` over
 * `deals.events` (each event once with its inbox row; the organization's switch checked first):
 * - the transactions read model `trigger_transaction` (agent and team shares) from
 *   `deals.transaction.created` / `.updated` (`agentId`, `team` changes) / `.stage_changed` /
 *   `.deleted`, because offers and missed deadlines do not name every agent; these events are keyed
 *   by the transaction id like the offers, so the read model is up to date when an offer arrives;
 * - `deals.date.reminder_due` → `deal_date_reminder` to `agentIds` (and `agentId`);
 * - `deals.deadline.missed` → `deal_deadline_missed` to its `agentId` and the transaction's agents;
 * - `deals.offer.accepted` → `offer_accepted` to the transaction's agents, not the accepting user;
 * - `deals.invoice.paid` → `invoice_paid` to the organization's owners and admins, not the user who
 *   recorded the last payment.
 */
@Injectable()
export class DealTriggersConsumer {
  constructor(private readonly notifier: TriggerNotifier) {}

  /** `deals.transaction.created`: the transaction's agents into the read model. */
  @OnEvent(DealsEvent.transactionCreated, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onTransactionCreated(event: CloudEvent<DealsTransactionCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const transaction = event.data.transaction;
    await this.upsert(unit, event.orgid, transaction.id, { agentId: transaction.agentId, team: teamAgentIds(transaction.team) });
  }

  /** `deals.transaction.updated`: follows `agentId` and `team` changes. */
  @OnEvent(DealsEvent.transactionUpdated, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onTransactionUpdated(event: CloudEvent<DealsTransactionUpdatedData>, unit: UnitOfWorkContext): Promise<void> {
    const changes = event.data.changes ?? {};
    const agentId = typeof changes.agentId?.to === 'string' ? changes.agentId.to : undefined;
    const team = Array.isArray(changes.team?.to) ? teamAgentIds(changes.team.to as TransactionTeamShare[]) : undefined;
    if (agentId === undefined && team === undefined) return;
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const set: { agent_id?: string; team_agent_ids?: string[] } = {};
    if (agentId !== undefined) set.agent_id = agentId;
    if (team !== undefined) set.team_agent_ids = team;
    const updated = await db
      .updateTable('trigger_transaction')
      .set({ ...set, updated_at: sql<Date>`now()` })
      .where('transaction_id', '=', event.data.transactionId)
      .where('org_id', '=', event.orgid)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0 && agentId !== undefined) {
      await this.upsert(unit, event.orgid, event.data.transactionId, { agentId, team: team ?? [] });
    }
  }

  /** `deals.transaction.stage_changed`: carries the transaction's agent (also for transactions older than this read model). */
  @OnEvent(DealsEvent.transactionStageChanged, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onStageChanged(event: CloudEvent<TransactionStageChangedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.upsert(unit, event.orgid, event.data.transactionId, { agentId: event.data.agentId });
  }

  /** `deals.transaction.deleted`: the transaction leaves the read model. */
  @OnEvent(DealsEvent.transactionDeleted, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onTransactionDeleted(event: CloudEvent<DealsTransactionDeletedData>, unit: UnitOfWorkContext): Promise<void> {
    await kyselyFor<NotificationsDb>(unit.manager)
      .deleteFrom('trigger_transaction')
      .where('transaction_id', '=', event.data.transactionId)
      .where('org_id', '=', event.orgid)
      .execute();
  }

  /** `deals.date.reminder_due` → `deal_date_reminder` for the agents the event names (deals emits once per date and offset). */
  @OnEvent(DealsEvent.dateReminderDue, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onDateReminderDue(event: CloudEvent<DealsDateReminderDueData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    await this.notifier.notify(unit, [data.agentId, ...(data.agentIds ?? [])], {
      orgId: event.orgid,
      type: 'deal_date_reminder',
      sourceEventId: event.id,
      values: { keyDate: keyDateWords(data.key), date: data.date },
      data: { transactionId: data.transactionId, key: data.key, date: data.date, offsetMinutes: data.offsetMinutes },
      link: `/transactions/${data.transactionId}`,
    });
  }

  /** `deals.deadline.missed` → `deal_deadline_missed` for the event's agent and the transaction's agents (deals emits once per date). */
  @OnEvent(DealsEvent.deadlineMissed, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onDeadlineMissed(event: CloudEvent<DealsDeadlineMissedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    const agents = await this.notifier.transactionAgents(unit.manager, event.orgid, data.transactionId);
    await this.notifier.notify(unit, [data.agentId, ...agents], {
      orgId: event.orgid,
      type: 'deal_deadline_missed',
      sourceEventId: event.id,
      values: { keyDate: keyDateWords(data.key), date: data.dueDate },
      data: { transactionId: data.transactionId, key: data.key, dueDate: data.dueDate },
      link: `/transactions/${data.transactionId}`,
    });
  }

  /** `deals.offer.accepted` → `offer_accepted` for the transaction's agents, except the user who accepted it. */
  @OnEvent(DealsEvent.offerAccepted, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onOfferAccepted(event: CloudEvent<DealsOfferEventData>, unit: UnitOfWorkContext): Promise<void> {
    const offer = event.data.offer;
    const agents = await this.notifier.transactionAgents(unit.manager, event.orgid, offer.transactionId);
    const actor = event.actortype === 'user' ? (event.actorid ?? null) : null;
    await this.notifier.notify(
      unit,
      agents,
      {
        orgId: event.orgid,
        type: 'offer_accepted',
        sourceEventId: event.id,
        values: { amount: dollars(offer.amount), buyerLine: offer.buyerName ? ` from ${offer.buyerName}` : '' },
        data: { transactionId: offer.transactionId, offerId: offer.id, amount: offer.amount },
        link: `/transactions/${offer.transactionId}`,
      },
      actor,
    );
  }

  /** `deals.invoice.paid` → `invoice_paid` for the organization's owners and admins, except the user who recorded the payment. */
  @OnEvent(DealsEvent.invoicePaid, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onInvoicePaid(event: CloudEvent<DealsInvoiceEventData>, unit: UnitOfWorkContext): Promise<void> {
    const invoice = event.data.invoice;
    const recipients = await this.notifier.ownersAndAdmins(unit.manager, event.orgid);
    const actor = event.actortype === 'user' ? (event.actorid ?? null) : null;
    await this.notifier.notify(
      unit,
      recipients,
      {
        orgId: event.orgid,
        type: 'invoice_paid',
        sourceEventId: event.id,
        values: { invoiceNumber: invoice.number, billTo: invoice.billTo.name, total: dollars(invoice.total) },
        data: { invoiceId: invoice.id, transactionId: invoice.transactionId, total: invoice.total },
        link: `/invoices/${invoice.id}`,
      },
      actor,
    );
  }

  private async upsert(unit: UnitOfWorkContext, orgId: string, transactionId: string, agents: { agentId: string; team?: string[] }) {
    await kyselyFor<NotificationsDb>(unit.manager)
      .insertInto('trigger_transaction')
      .values({ transaction_id: transactionId, org_id: orgId, agent_id: agents.agentId, team_agent_ids: agents.team ?? [] })
      .onConflict((conflict) =>
        conflict.column('transaction_id').doUpdateSet((eb) => ({
          agent_id: eb.ref('excluded.agent_id'),
          ...(agents.team ? { team_agent_ids: eb.ref('excluded.team_agent_ids') } : {}),
          updated_at: sql<Date>`now()`,
        })),
      )
      .execute();
  }
}
