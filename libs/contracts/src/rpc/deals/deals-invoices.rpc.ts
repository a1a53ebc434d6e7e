/** NATS subjects and payloads for invoices (commissions and fees) and their payments. Money in integer cents. */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

/** Invoices and their payments; every change answers the whole invoice. */
export const DealsInvoiceSubjects = {
  create: defineRpc<InvoiceCreateRequest, InvoiceView>('deals.invoices.create'),
  list: defineRpc<InvoiceListRequest, Page<InvoiceView>>('deals.invoices.list'),
  get: defineRpc<{ id: string }, InvoiceView>('deals.invoices.get'),
  update: defineRpc<InvoiceUpdateRequest, InvoiceView>('deals.invoices.update'),
  send: defineRpc<{ id: string }, InvoiceView>('deals.invoices.send'),
  void: defineRpc<{ id: string }, InvoiceView>('deals.invoices.void'),
  paymentCreate: defineRpc<InvoicePaymentCreateRequest, InvoiceView>('deals.invoices.payments.create'),
};

/** draft → sent → paid | overdue (→ paid); draft | sent | overdue → void (only without payments). */
export const INVOICE_STATUSES = ['draft', 'sent', 'paid', 'overdue', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export const PAYMENT_METHODS = ['ach', 'wire', 'check', 'card', 'cash', 'other'] as const;
export type InvoicePaymentMethod = (typeof PAYMENT_METHODS)[number];

export interface InvoiceLineItem {
  description: string;
  quantity: number;
  /** Cents per unit. */
  unitAmount: number;
}

/** Who the invoice is addressed to. */
export interface InvoiceBillTo {
  name: string;
  company?: string | null;
  email?: string | null;
  contactId?: string | null;
}

export interface InvoicePaymentView {
  id: string;
  amount: number;
  paidOn: string;
  method: InvoicePaymentMethod;
  reference: string | null;
  recordedBy: string | null;
  createdAt: string;
}

/** Invoice JSON: `total = Σ quantity × unitAmount`, `balance = total − paid` (cents). */
export interface InvoiceView {
  id: string;
  number: string;
  transactionId: string | null;
  agentId: string | null;
  billTo: InvoiceBillTo;
  status: InvoiceStatus;
  issueDate: string;
  dueDate: string;
  lineItems: Array<InvoiceLineItem & { amount: number }>;
  total: number;
  paid: number;
  balance: number;
  notes: string | null;
  payments: InvoicePaymentView[];
  sentAt: string | null;
  paidAt: string | null;
  overdueAt: string | null;
  voidedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface InvoiceCreateRequest {
  transactionId?: string | null;
  /** Agent the invoice concerns (defaults to the transaction's agent). */
  agentId?: string | null;
  billTo: InvoiceBillTo;
  issueDate?: string;
  dueDate: string;
  lineItems: InvoiceLineItem[];
  notes?: string | null;
}

export interface InvoiceUpdateRequest {
  id: string;
  billTo?: InvoiceBillTo;
  issueDate?: string;
  dueDate?: string;
  lineItems?: InvoiceLineItem[];
  notes?: string | null;
}

export interface InvoiceListRequest extends PageQuery {
  status?: InvoiceStatus;
  transactionId?: string;
  agentId?: string;
}

export interface InvoicePaymentCreateRequest {
  invoiceId: string;
  amount: number;
  paidOn: string;
  method: InvoicePaymentMethod;
  reference?: string | null;
}
