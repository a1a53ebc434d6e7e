/**
 * Domain events of the deals-commission service, published on topic `deals.events`, keyed by the
 * aggregate id (transaction, commission plan or agent). All are version 1. Payloads in
 * `docs/events/deals-events.md`; money in cents.
 */
export const DEALS_EVENTS_TOPIC = 'deals.events';

export const DealsEventTypes = {
  transactionCreated: 'deals.transaction.created',
  transactionUpdated: 'deals.transaction.updated',
  transactionStageChanged: 'deals.transaction.stage_changed',
  transactionClosed: 'deals.transaction.closed',
  transactionDeleted: 'deals.transaction.deleted',
  pipelineCreated: 'deals.pipeline.created',
  commissionPlanCreated: 'deals.commission_plan.created',
  commissionPlanUpdated: 'deals.commission_plan.updated',
  agentCommissionPlanAssigned: 'deals.agent.commission_plan_assigned',
  commissionStatementCreated: 'deals.commission.statement_created',
  offerSubmitted: 'deals.offer.submitted',
  offerCountered: 'deals.offer.countered',
  offerAccepted: 'deals.offer.accepted',
  offerRejected: 'deals.offer.rejected',
  offerWithdrawn: 'deals.offer.withdrawn',
} as const;

export type DealsEventType = (typeof DealsEventTypes)[keyof typeof DealsEventTypes];

export interface TransactionStageChangedData {
  transactionId: string;
  pipelineId: string;
  from: string | null;
  to: string;
  outcome: 'open' | 'won' | 'lost';
  agentId: string;
  closePrice: number | null;
  closeDate: string | null;
}

export interface CommissionStatementCreatedData {
  transactionId: string;
  statementId: string;
  version: number;
  agentId: string;
  planId: string;
  gross: number;
  referralFee: number;
  brokerage: number;
  agent: number;
  fees: number;
}
