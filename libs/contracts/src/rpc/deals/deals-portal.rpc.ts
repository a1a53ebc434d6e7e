/**
 * NATS subjects and payloads of the client portal (issue 13 item 17, docs/adr/0033): what a verified
 * client user (`portal:read`) sees of the brokerage's deals — the transactions their crm contact is
 * a buyer or seller on, the files shared with clients on them, and the invoices billed to that
 * contact (not drafts). Views of their own, never the staff views: no commission, plan, team split,
 * probability, notes or internal timeline. Everything is scoped to the caller's organization and
 * the contact the client user is linked to; a client not (yet) linked sees empty lists and 404s.
 * Money in integer cents.
 */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';
import type { InvoiceBillTo, InvoiceLineItem, InvoicePaymentMethod, InvoiceStatus } from './deals-invoices.rpc';
import type { TransactionFileDownloadUrl, TransactionFileRef } from './deals-files.rpc';
import type { TransactionKeyDate, TransactionParticipantRole, TransactionSide } from './deals-transactions.rpc';

export const DealsPortalSubjects = {
  /** The caller's transactions, newest first (filter: status); keyset pages. */
  transactionList: defineRpc<PortalTransactionListRequest, Page<PortalTransactionView>>('deals.portal-transactions.list'),
  /** One of the caller's transactions; 404 `TRANSACTION_NOT_FOUND` otherwise. */
  transactionGet: defineRpc<{ id: string }, PortalTransactionView>('deals.portal-transactions.get'),
  /** The files of one of the caller's transactions that are shared with clients, oldest first. */
  documentList: defineRpc<{ transactionId: string }, { items: PortalDocumentView[] }>('deals.portal-documents.list'),
  /** A signed download URL of a shared file (as the staff `download-url`); 404 `FILE_NOT_FOUND` for a file not shared. */
  documentDownloadUrl: defineRpc<TransactionFileRef, TransactionFileDownloadUrl>('deals.portal-documents.download-url'),
  /** Invoices billed to the caller's contact, not drafts, newest first (filter: status); keyset pages. */
  invoiceList: defineRpc<PortalInvoiceListRequest, Page<PortalInvoiceView>>('deals.portal-invoices.list'),
  /** One invoice billed to the caller's contact (not a draft); 404 `INVOICE_NOT_FOUND` otherwise. */
  invoiceGet: defineRpc<{ id: string }, PortalInvoiceView>('deals.portal-invoices.get'),
};

/** Invoice statuses a client sees (a draft is never shown). */
export const PORTAL_INVOICE_STATUSES = ['sent', 'paid', 'overdue', 'void'] as const;
export type PortalInvoiceStatus = Exclude<InvoiceStatus, 'draft'>;

export interface PortalTransactionListRequest extends PageQuery {
  status?: 'open' | 'won' | 'lost';
}

export interface PortalInvoiceListRequest extends PageQuery {
  status?: PortalInvoiceStatus;
}

/** A person on the deal as a client sees them: no crm or user ids. */
export interface PortalParticipantView {
  role: TransactionParticipantRole;
  name: string | null;
  email: string | null;
  phone: string | null;
  company: string | null;
}

/** An agent of the brokerage on the deal; `name` / `email` null when identity did not answer. */
export interface PortalAgentView {
  id: string;
  name: string | null;
  email: string | null;
}

/** A key date of the deal: `dueOn` `YYYY-MM-DD`, `doneAt` RFC 3339 when marked done. */
export interface PortalKeyDateView {
  key: TransactionKeyDate;
  dueOn: string;
  doneAt: string | null;
}

/**
 * A transaction as its client sees it. `price` in cents (list or offer price); `stage` the pipeline
 * stage's key and name; dates `YYYY-MM-DD`; `property.address` one line, null when the listing
 * could not be read. Never commission, plan, team split, probability, notes or internal activity.
 */
export interface PortalTransactionView {
  id: string;
  side: TransactionSide;
  status: 'open' | 'won' | 'lost';
  stage: { key: string; name: string };
  price: number;
  property: { id: string; address: string | null } | null;
  expectedCloseDate: string | null;
  closeDate: string | null;
  keyDates: PortalKeyDateView[];
  participants: PortalParticipantView[];
  agents: PortalAgentView[];
}

/** A file shared with the deal's clients: `sizeBytes` bytes, `sharedAt` RFC 3339. */
export interface PortalDocumentView {
  id: string;
  transactionId: string;
  name: string;
  contentType: string;
  sizeBytes: number;
  sharedAt: string;
}

/** A payment received on an invoice, as the client sees it (cents; `paidOn` `YYYY-MM-DD`). */
export interface PortalInvoicePaymentView {
  id: string;
  amount: number;
  paidOn: string;
  method: InvoicePaymentMethod;
  reference: string | null;
}

/**
 * An invoice billed to the client's contact: `total = Σ quantity × unitAmount`, `balance = total − paid`
 * (cents); dates `YYYY-MM-DD`, timestamps RFC 3339. Without the staff view's agent, notes and who
 * recorded each payment.
 */
export interface PortalInvoiceView {
  id: string;
  number: string;
  transactionId: string | null;
  billTo: InvoiceBillTo;
  status: PortalInvoiceStatus;
  issueDate: string;
  dueDate: string;
  lineItems: Array<InvoiceLineItem & { amount: number }>;
  total: number;
  paid: number;
  balance: number;
  payments: PortalInvoicePaymentView[];
  sentAt: string | null;
  paidAt: string | null;
  overdueAt: string | null;
  voidedAt: string | null;
}
