/**
 * Domain events of the deals-commission service, published on topic `deals.events` (the bounded
 * context's name; the service passes it as `eventTopic` to `ServiceCoreModule`), keyed by the
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
  settingsUpdated: 'deals.settings.updated',
  deadlineTaskRequested: 'deals.deadline.task_requested',
  deadlineMissed: 'deals.deadline.missed',
  keyDateCompleted: 'deals.key_date.completed',
  dateReminderDue: 'deals.date.reminder_due',
  invoiceCreated: 'deals.invoice.created',
  invoiceUpdated: 'deals.invoice.updated',
  invoiceSent: 'deals.invoice.sent',
  invoicePaid: 'deals.invoice.paid',
  invoiceOverdue: 'deals.invoice.overdue',
  invoiceVoided: 'deals.invoice.voided',
  paymentRecorded: 'deals.payment.recorded',
  fileUploaded: 'deals.file.uploaded',
  fileDeleted: 'deals.file.deleted',
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

/** `deals.deadline.task_requested`: a contract deadline needs someone to act (the crm task service may turn it into a task). */
export interface DealsDeadlineTaskRequestedData {
  transactionId: string;
  key: string;
  dueDate: string;
  title: string;
  /** The user the task goes to: the transaction's agent. */
  assigneeId: string;
  /** Participants of the roles concerned by the deadline (linked contact/user or name/email). */
  participants: Array<{ role: string; side: string; contactId: string | null; userId: string | null; name: string | null; email: string | null }>;
  offerId: string;
}

/** `deals.deadline.missed`: a key date passed (in the organization's time zone) without being marked done; once per date. */
export interface DealsDeadlineMissedData {
  transactionId: string;
  key: string;
  dueDate: string;
  agentId: string;
}

/** `deals.date.reminder_due`: a key date is `offsetMinutes` away; once per (transaction, key, date, offset). */
export interface DealsDateReminderDueData {
  transactionId: string;
  key: string;
  date: string;
  offsetMinutes: number;
  remindAt: string;
  agentId: string;
  agentIds: string[];
}
