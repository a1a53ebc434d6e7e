import { defineEvent } from '../event-definition.util';
/**
 * Domain events of the deals-commission service, published on topic `deals.events` (the bounded
 * context's name; the service passes it as `eventTopic` to `ServiceCoreModule`), keyed by the
 * aggregate id (transaction, commission plan or agent). All are version 1. Payloads in
 * `docs/events/deals-events.md`; money in cents.
 */
import type {
  CommissionPlanView,
  TransactionPipelineStage,
  TransactionKeyDate,
  TransactionView,
  TransactionOfferView,
  DealSettingsView,
  InvoicePaymentView,
  InvoiceView,
  TransactionFileView,
} from '../../rpc/deals';

export const DEALS_EVENTS_TOPIC = 'deals.events';

export const DealsEvent = {
  transactionCreated: defineEvent<DealsTransactionCreatedData>('deals.transaction.created'),
  transactionUpdated: defineEvent<DealsTransactionUpdatedData>('deals.transaction.updated'),
  transactionStageChanged: defineEvent<TransactionStageChangedData>('deals.transaction.stage_changed'),
  transactionClosed: defineEvent<DealsTransactionClosedData>('deals.transaction.closed'),
  transactionDeleted: defineEvent<DealsTransactionDeletedData>('deals.transaction.deleted'),
  pipelineCreated: defineEvent<DealsPipelineCreatedData>('deals.pipeline.created'),
  commissionPlanCreated: defineEvent<DealsCommissionPlanEventData>('deals.commission_plan.created'),
  commissionPlanUpdated: defineEvent<DealsCommissionPlanEventData>('deals.commission_plan.updated'),
  agentCommissionPlanAssigned: defineEvent<DealsAgentCommissionPlanAssignedData>('deals.agent.commission_plan_assigned'),
  commissionStatementCreated: defineEvent<CommissionStatementCreatedData>('deals.commission.statement_created'),
  offerSubmitted: defineEvent<DealsOfferEventData>('deals.offer.submitted'),
  offerCountered: defineEvent<DealsOfferEventData>('deals.offer.countered'),
  offerAccepted: defineEvent<DealsOfferEventData>('deals.offer.accepted'),
  offerRejected: defineEvent<DealsOfferEventData>('deals.offer.rejected'),
  offerWithdrawn: defineEvent<DealsOfferEventData>('deals.offer.withdrawn'),
  settingsUpdated: defineEvent<DealsSettingsUpdatedData>('deals.settings.updated'),
  deadlineTaskRequested: defineEvent<DealsDeadlineTaskRequestedData>('deals.deadline.task_requested'),
  deadlineMissed: defineEvent<DealsDeadlineMissedData>('deals.deadline.missed'),
  keyDateCompleted: defineEvent<DealsKeyDateCompletedData>('deals.key_date.completed'),
  dateReminderDue: defineEvent<DealsDateReminderDueData>('deals.date.reminder_due'),
  invoiceCreated: defineEvent<DealsInvoiceEventData>('deals.invoice.created'),
  invoiceUpdated: defineEvent<DealsInvoiceEventData>('deals.invoice.updated'),
  invoiceSent: defineEvent<DealsInvoiceEventData>('deals.invoice.sent'),
  invoicePaid: defineEvent<DealsInvoiceEventData>('deals.invoice.paid'),
  invoiceOverdue: defineEvent<DealsInvoiceEventData>('deals.invoice.overdue'),
  invoiceVoided: defineEvent<DealsInvoiceEventData>('deals.invoice.voided'),
  paymentRecorded: defineEvent<DealsPaymentRecordedData>('deals.payment.recorded'),
  fileUploaded: defineEvent<DealsFileUploadedData>('deals.file.uploaded'),
  fileDeleted: defineEvent<DealsFileDeletedData>('deals.file.deleted'),
  fileShared: defineEvent<DealsFileSharingData>('deals.file.shared'),
  fileUnshared: defineEvent<DealsFileSharingData>('deals.file.unshared'),
  portalDocumentDownloaded: defineEvent<DealsPortalDocumentDownloadedData>('deals.portal.document_downloaded'),
  contactErased: defineEvent<DealsContactErasedData>('deals.contact.erased'),
};

/**
 * `deals.transaction.stage_changed` (keyed by the transaction id): creation (`from` null) and every
 * stage or pipeline move. The contact ids let the crm put the move on each contact's timeline.
 */
export interface TransactionStageChangedData {
  transactionId: string;
  pipelineId: string;
  from: string | null;
  to: string;
  outcome: 'open' | 'won' | 'lost';
  agentId: string;
  /** Close price in cents, when the stage is a won one. */
  closePrice: number | null;
  closeDate: string | null;
  /** The transaction's buyer contacts (crm contact ids) at the time of the move. */
  buyerContactIds: string[];
  /** The transaction's seller contacts (crm contact ids) at the time of the move. */
  sellerContactIds: string[];
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
  participants: Array<{
    role: string;
    side: string;
    contactId: string | null;
    userId: string | null;
    name: string | null;
    email: string | null;
  }>;
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

/** A field-level change of a deals aggregate: camelCase field → value before and after (money in cents). */
export type DealsChangeSet = Record<string, { from: unknown; to: unknown }>;

/** `deals.transaction.created` (keyed by the transaction id): the whole transaction as `GET /v1/transactions/:id` returns it. */
export interface DealsTransactionCreatedData {
  transaction: TransactionView;
}

/**
 * `deals.transaction.updated`: the fields that changed (`price`, `stage`, `keyDates`, `agentId`,
 * `team`, `closePrice`, ...). Also emitted when an accepted offer sets the price (and stage) and
 * when an accepted offer computes the contract deadlines (`keyDates`).
 */
export interface DealsTransactionUpdatedData {
  /** @format uuid */
  transactionId: string;
  changes: DealsChangeSet;
}

/** `deals.transaction.closed`: the transaction entered its pipeline's won stage (once; re-computations emit only a new statement). */
export interface DealsTransactionClosedData {
  /** @format uuid */
  transactionId: string;
  /** @format uuid */
  agentId: string;
  /** Close price in cents. */
  closePrice: number;
  /** Close date, `YYYY-MM-DD`. */
  closeDate: string | null;
  /** The commission statement computed at closing; null when no commission plan applies. */
  statementId: string | null;
  /** The transaction's buyer contacts (crm contact ids). */
  buyerContactIds: string[];
  /** The transaction's seller contacts (crm contact ids). */
  sellerContactIds: string[];
}

/** A transaction id alone. */
export interface DealsTransactionIdData {
  /** @format uuid */
  transactionId: string;
}

/** `deals.transaction.deleted`: soft delete of an open or lost transaction, with the contacts it named (for their timelines). */
export interface DealsTransactionDeletedData extends DealsTransactionIdData {
  /** The transaction's buyer contacts (crm contact ids). */
  buyerContactIds: string[];
  /** The transaction's seller contacts (crm contact ids). */
  sellerContactIds: string[];
}

/** `deals.pipeline.created` (keyed by the pipeline id): stages as given, in order. */
export interface DealsPipelineCreatedData {
  /** @format uuid */
  pipelineId: string;
  name: string;
  stages: TransactionPipelineStage[];
}

/** `deals.commission_plan.created` / `.updated` (keyed by the plan id): the whole plan after the change (rates in basis points, amounts in cents). */
export interface DealsCommissionPlanEventData {
  /** @format uuid */
  planId: string;
  plan: CommissionPlanView;
}

/** `deals.agent.commission_plan_assigned` (keyed by the agent's user id). */
export interface DealsAgentCommissionPlanAssignedData {
  /** @format uuid */
  agentId: string;
  /** @format uuid */
  planId: string;
}

/**
 * `deals.offer.submitted` / `.countered` / `.accepted` / `.rejected` / `.withdrawn` (keyed by the
 * offer's transaction id): the offer after the change (amounts in cents).
 */
export interface DealsOfferEventData {
  offer: TransactionOfferView;
  /** On `deals.offer.rejected` only when the offer was declined because another offer on the listing was accepted: that offer's id. */
  acceptedOfferId?: string;
}

/** `deals.settings.updated` (keyed by the organization id): the whole deal settings after the change. */
export interface DealsSettingsUpdatedData {
  settings: DealSettingsView;
}

/** `deals.key_date.completed`: a key date marked done (`PATCH /v1/transactions/:id/key-dates/:key` with `done: true`). */
export interface DealsKeyDateCompletedData {
  /** @format uuid */
  transactionId: string;
  key: TransactionKeyDate;
  /** The key date, `YYYY-MM-DD`. */
  date: string;
}

/**
 * `deals.invoice.created` / `.updated` / `.sent` / `.paid` / `.overdue` / `.voided` (keyed by the
 * invoice id): the whole invoice after the change (amounts in cents).
 */
export interface DealsInvoiceEventData {
  invoice: InvoiceView;
}

/** `deals.payment.recorded` (keyed by the invoice id); `deals.invoice.paid` follows when the balance reaches 0. */
export interface DealsPaymentRecordedData {
  /** @format uuid */
  invoiceId: string;
  payment: InvoicePaymentView;
  /** Total paid on the invoice after this payment, in cents. */
  paid: number;
  /** What remains due, in cents. */
  balance: number;
}

/** `deals.file.uploaded` (keyed by the transaction id): the stored file (its bytes are fetched through the API). */
export interface DealsFileUploadedData {
  file: TransactionFileView;
}

/** `deals.file.deleted` (keyed by the transaction id). */
export interface DealsFileDeletedData {
  /** @format uuid */
  transactionId: string;
  /** @format uuid */
  fileId: string;
}

/**
 * `deals.file.shared` / `deals.file.unshared` (keyed by the transaction id): a stored file is now
 * shown to / hidden from the deal's clients in the client portal (docs/adr/0033). `sharedAt` is
 * when it was shared (RFC 3339), null on `unshared`.
 */
export interface DealsFileSharingData {
  /** @format uuid */
  transactionId: string;
  /** @format uuid */
  fileId: string;
  name: string;
  sharedAt: string | null;
}

/**
 * `deals.portal.document_downloaded` (keyed by the transaction id): a client user (the event's
 * actor) asked for the download URL of a file shared with them in the client portal, for the
 * audit trail. `contactId` is the crm contact the client user is.
 */
export interface DealsPortalDocumentDownloadedData {
  /** @format uuid */
  transactionId: string;
  /** @format uuid */
  fileId: string;
  /** @format uuid */
  contactId: string;
}

/**
 * `deals.contact.erased` (keyed by the crm contact id): the deals service applied a crm privacy
 * erasure (`crm.contact.erased`, issue 3) to what it holds about that contact in the organization.
 * Once per crm erasure event, also when nothing named the contact (then every list is empty). No
 * personal data: ids and counts only. Records keep the contact id as an opaque id; amounts,
 * stages and commission statements are untouched.
 */
export interface DealsContactErasedData {
  /**
   * The erased crm contact.
   * @format uuid
   */
  contactId: string;
  /**
   * Id of the `crm.contact.erased` event applied.
   * @format uuid
   */
  erasureEventId: string;
  /** Transactions whose participants linked to the contact were anonymised (name → `Erased contact`, company, email and phone cleared). */
  transactionIds: string[];
  /** Offers of the contact as buyer whose buyer name became `Erased contact`. */
  offerIds: string[];
  /** Invoices billed to the contact whose addressee became `Erased contact` (company and email cleared; amounts kept). */
  invoiceIds: string[];
  /** Transaction timeline entries (`updated` with participant changes) whose copies of those participants were anonymised. */
  activityEntries: number;
}
