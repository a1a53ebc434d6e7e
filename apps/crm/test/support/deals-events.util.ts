import {
  DealsEvent,
  type Actor,
  type CloudEvent,
  type EventDefinition,
  type TransactionOfferView,
  type TransactionView,
} from '@keyhouse/contracts';
import { testEvent } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';

let clock = Date.now();

/**
 * A `deals.events` event as the deals service's outbox writes it for `agent`'s request: keyed by
 * the transaction id (one partition per deal, so in order), the agent as user actor, and a `time`
 * strictly after the previous one built (timeline entries are dated by it).
 */
export function dealEvent<TData>(definition: EventDefinition<TData>, agent: Actor, transactionId: string, data: TData): CloudEvent<TData> {
  clock = Math.max(clock + 1, Date.now());
  return testEvent(definition, agent.orgId, data, {
    subject: transactionId,
    time: new Date(clock).toISOString(),
    actortype: 'user',
    actorid: agent.userId,
    actorrole: agent.role,
  });
}

/**
 * A transaction as `deals.transaction.created` carries it (`GET /v1/transactions/:id`): `agent`'s
 * buy-side deal of 500,000.00 (cents) in a new pipeline at stage `contacted`, no contacts unless
 * given.
 */
export function transactionView(agent: Actor, overrides: Partial<TransactionView> = {}): TransactionView {
  const now = new Date().toISOString();
  const stage = overrides.stage ?? 'contacted';
  return {
    id: newId(),
    orgId: agent.orgId,
    propertyId: null,
    buyerContactIds: [],
    sellerContactIds: [],
    agentId: agent.userId!,
    team: [],
    side: 'buy',
    price: 50_000_000,
    pipelineId: newId(),
    stage,
    status: 'open',
    probability: 10,
    expectedCloseDate: null,
    closeDate: null,
    closePrice: null,
    commissionPlanId: null,
    participants: [],
    keyDates: {},
    notes: null,
    stageHistory: [{ from: null, to: stage, at: now, by: agent.userId! }],
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

/** What deals emits when `agent` creates `deal`: `deals.transaction.created`, then the creation's `stage_changed` (from null). */
export function dealCreatedEvents(agent: Actor, deal: TransactionView): CloudEvent[] {
  return [
    dealEvent(DealsEvent.transactionCreated, agent, deal.id, { transaction: deal }),
    dealEvent(DealsEvent.transactionStageChanged, agent, deal.id, {
      transactionId: deal.id,
      pipelineId: deal.pipelineId,
      from: null,
      to: deal.stage,
      outcome: 'open',
      agentId: deal.agentId,
      closePrice: null,
      closeDate: null,
      buyerContactIds: deal.buyerContactIds,
      sellerContactIds: deal.sellerContactIds,
    }),
  ];
}

/**
 * What deals emits when `agent` moves `deal` from `from` to `to` (`deals.transaction.updated`,
 * `deals.transaction.stage_changed`, and `deals.transaction.closed` for a won stage with
 * `closing`).
 */
export function dealMovedEvents(
  agent: Actor,
  deal: TransactionView,
  from: string,
  to: string,
  outcome: 'open' | 'won' | 'lost',
  closing?: { closePrice: number; closeDate: string },
): CloudEvent[] {
  const changes: Record<string, { from: unknown; to: unknown }> = { stage: { from, to } };
  if (closing) {
    changes.closePrice = { from: null, to: closing.closePrice };
    changes.closeDate = { from: null, to: closing.closeDate };
  }
  const events: CloudEvent[] = [
    dealEvent(DealsEvent.transactionUpdated, agent, deal.id, { transactionId: deal.id, changes }),
    dealEvent(DealsEvent.transactionStageChanged, agent, deal.id, {
      transactionId: deal.id,
      pipelineId: deal.pipelineId,
      from,
      to,
      outcome,
      agentId: deal.agentId,
      closePrice: closing?.closePrice ?? null,
      closeDate: closing?.closeDate ?? null,
      buyerContactIds: deal.buyerContactIds,
      sellerContactIds: deal.sellerContactIds,
    }),
  ];
  if (closing && outcome === 'won') {
    events.push(
      dealEvent(DealsEvent.transactionClosed, agent, deal.id, {
        transactionId: deal.id,
        agentId: deal.agentId,
        closePrice: closing.closePrice,
        closeDate: closing.closeDate,
        statementId: newId(),
        buyerContactIds: deal.buyerContactIds,
        sellerContactIds: deal.sellerContactIds,
      }),
    );
  }
  return events;
}

/** An offer on `deal` by its first buyer contact, as `deals.offer.*` carry it (status `submitted` unless given). */
export function offerView(deal: TransactionView, overrides: Partial<TransactionOfferView> = {}): TransactionOfferView {
  const now = new Date().toISOString();
  return {
    id: newId(),
    propertyId: deal.propertyId ?? newId(),
    transactionId: deal.id,
    buyerContactId: deal.buyerContactIds[0] ?? null,
    buyerName: null,
    amount: deal.price,
    earnestMoney: 0,
    financingType: 'conventional',
    contingencies: [],
    expiresAt: null,
    status: 'submitted',
    acceptedAt: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
