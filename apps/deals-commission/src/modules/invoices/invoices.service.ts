import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsEvent,
  DealsInvoiceSubjects,
  type DealsInvoiceEventData,
  type EventDefinition,
  type InvoiceCreateRequest,
  type InvoiceLineItem,
  type InvoiceListRequest,
  type InvoicePaymentCreateRequest,
  type InvoicePaymentView,
  type InvoiceStatus,
  type InvoiceUpdateRequest,
  type InvoiceView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { DealsErrorCode } from '../../deals-commission.exception';
import { todayIn } from '../schedule/contract-deadlines';
import { erasedAmong, withoutErasedBillTo } from '../privacy/erased-contacts';
import { DealSettingsService } from '../schedule/deal-settings.service';
import { actorOf, cents, pageOrThrow, scopeCondition, scopeFor } from '../scope.util';
import { findVisibleTransaction } from '../transactions/transaction.queries';
import { invoiceBalance, invoiceTotals } from './invoice-totals';

interface InvoiceRow {
  id: string;
  org_id: string;
  number: string;
  transaction_id: string | null;
  agent_id: string | null;
  bill_to: InvoiceView['billTo'];
  status: InvoiceStatus;
  issue_date: string;
  due_date: string;
  total_cents: string;
  paid_cents: string;
  notes: string | null;
  sent_at: Date | null;
  paid_at: Date | null;
  overdue_at: Date | null;
  voided_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `i.id, i.org_id, i.number, i.transaction_id, i.agent_id, i.bill_to, i.status, i.issue_date::text AS issue_date, i.due_date::text AS due_date,
  i.total_cents, i.paid_cents, i.notes, i.sent_at, i.paid_at, i.overdue_at, i.voided_at, i.created_at, i.updated_at`;

/** Statuses a status may move to, besides payments moving sent/overdue to paid. */
const VOIDABLE: InvoiceStatus[] = ['draft', 'sent', 'overdue'];
const PAYABLE: InvoiceStatus[] = ['sent', 'overdue'];
const BATCH = 500;

/**
 * Invoices for commissions and fees, with line items and payments (integer cents).
 * Lifecycle: draft → sent (`send`) → paid (payments reach the total) | overdue (the daily job, past
 * the due date in the organization's time zone) → paid; draft | sent | overdue → void only while no
 * payment is recorded. Only drafts are edited. Scope (`invoices:read|write`): an invoice reaches the
 * agents of its transaction (or its agent) and their teams like a transaction; admins the whole
 * organization. Out of reach is a 404 `INVOICE_NOT_FOUND`.
 */
@Injectable()
export class InvoicesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: DealSettingsService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** `POST /v1/invoices`: 404 for a transaction out of reach; 400 for a due date before the issue date or a total beyond range. Callers below org scope must name a transaction. */
  @RpcHandler(DealsInvoiceSubjects.create)
  async create(envelope: RequestEnvelope<InvoiceCreateRequest>): Promise<InvoiceView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'invoices:write');
    const data = envelope.data;
    const totals = this.totals(data.lineItems);
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      // First (before any row lock): an erased contact's name and address are not stored again.
      const billTo = withoutErasedBillTo(data.billTo, await erasedAmong(manager, actor.orgId, [data.billTo.contactId]));
      let agentIds: string[] = [];
      let teamIds: string[] = [];
      let agentId = data.agentId ?? null;
      if (data.transactionId) {
        const deal = await findVisibleTransaction(manager, actor, scope, data.transactionId);
        agentId ??= deal.agent_id;
        agentIds = [...new Set([...deal.agent_ids, agentId])];
        teamIds = deal.team_ids;
      } else if (scope !== 'org') {
        throw DomainException.validation([{ field: 'transactionId', message: 'is required to invoice within your scope' }]);
      } else if (agentId) {
        agentIds = [agentId];
      }
      const settings = await this.settings.load(manager, actor.orgId);
      const issueDate = data.issueDate ?? todayIn(settings.timeZone);
      this.checkDates(issueDate, data.dueDate);
      await manager.query(`INSERT INTO deal_settings (org_id) VALUES ($1) ON CONFLICT (org_id) DO NOTHING`, [actor.orgId]);
      const [counter] = (await manager.query(
        `UPDATE deal_settings SET next_invoice_number = next_invoice_number + 1 WHERE org_id = $1 RETURNING next_invoice_number - 1 AS n`,
        [actor.orgId],
      )) as [Array<{ n: number }>, number];
      const id = newId();
      await manager.query(
        `INSERT INTO invoice (id, org_id, number, transaction_id, agent_id, agent_ids, team_ids, bill_to, status, issue_date, due_date, total_cents, notes, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10, $11, $12, $13)`,
        [
          id,
          actor.orgId,
          `INV-${String(counter[0].n).padStart(6, '0')}`,
          data.transactionId ?? null,
          agentId,
          agentIds,
          teamIds,
          JSON.stringify(billTo),
          issueDate,
          data.dueDate,
          totals.total,
          data.notes ?? null,
          actor.userId,
        ],
      );
      await this.writeLines(manager, id, data.lineItems, totals.amounts);
      const view = await this.load(manager, id);
      await unit.emit(DealsEvent.invoiceCreated, id, actor.orgId, { invoice: view });
      return view;
    });
  }

  /** Invoices within the caller's scope, newest first (filters: status, transaction, agent); 400 `INVALID_CURSOR`. */
  @RpcHandler(DealsInvoiceSubjects.list)
  async list(envelope: RequestEnvelope<InvoiceListRequest>): Promise<Page<InvoiceView>> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'invoices:read');
    const data = envelope.data;
    const params: unknown[] = [actor.orgId];
    const where = ['i.org_id = $1', scopeCondition(scope, actor, params, 'i')];
    for (const [sql, value] of [
      ['i.status = $', data.status],
      ['i.transaction_id = $', data.transactionId],
      ['$::uuid = ANY(i.agent_ids)', data.agentId],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(sql.replace('$', `$${params.length}`));
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'i.created_at',
        idColumn: 'i.id',
        direction: 'DESC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM invoice i WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as InvoiceRow[];
    const details = await this.details(
      this.dataSource.manager,
      rows.map((row) => row.id),
    );
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.created_at, id: row.id }),
      (row) => toView(row, details.get(row.id)!),
    );
  }

  /** One invoice with its lines and payments; 404 `INVOICE_NOT_FOUND` when out of reach. */
  @RpcHandler(DealsInvoiceSubjects.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<InvoiceView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'invoices:read');
    const row = await this.find(this.dataSource.manager, envelope, scope, envelope.data.id);
    return this.load(this.dataSource.manager, row.id);
  }

  /** `PATCH /v1/invoices/:id`: drafts only (409 `INVOICE_NOT_DRAFT`); `lineItems` replace the lines. */
  @RpcHandler(DealsInvoiceSubjects.update)
  async update(envelope: RequestEnvelope<InvoiceUpdateRequest>): Promise<InvoiceView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'invoices:write');
    const data = envelope.data;
    let billTo = data.billTo;
    // First (before the row lock): an erased contact's name and address are not stored again.
    const first = async (manager: EntityManager) => {
      if (billTo) billTo = withoutErasedBillTo(billTo, await erasedAmong(manager, actor.orgId, [billTo.contactId]));
    };
    return this.change(envelope, scope, data.id, first, async (manager, row) => {
      if (row.status !== 'draft')
        throw new DomainException('conflict', DealsErrorCode.InvoiceNotDraft, 'Only a draft invoice can be changed');
      const issueDate = data.issueDate ?? row.issue_date;
      const dueDate = data.dueDate ?? row.due_date;
      this.checkDates(issueDate, dueDate);
      let total = cents(row.total_cents) ?? 0;
      if (data.lineItems) {
        const totals = this.totals(data.lineItems);
        await manager.query(`DELETE FROM invoice_line WHERE invoice_id = $1`, [row.id]);
        await this.writeLines(manager, row.id, data.lineItems, totals.amounts);
        total = totals.total;
      }
      await manager.query(
        `UPDATE invoice SET bill_to = coalesce($2, bill_to), issue_date = $3, due_date = $4, total_cents = $5,
           notes = CASE WHEN $6::boolean THEN $7 ELSE notes END, updated_at = now() WHERE id = $1`,
        [row.id, billTo ? JSON.stringify(billTo) : null, issueDate, dueDate, total, data.notes !== undefined, data.notes ?? null],
      );
      return DealsEvent.invoiceUpdated;
    });
  }

  /** `POST /v1/invoices/:id/send`: draft → sent; 409 `INVOICE_TRANSITION_INVALID` otherwise, 422 for a zero total. */
  @RpcHandler(DealsInvoiceSubjects.send)
  async send(envelope: RequestEnvelope<{ id: string }>): Promise<InvoiceView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'invoices:write');
    return this.change(envelope, scope, envelope.data.id, null, async (manager, row) => {
      if (row.status !== 'draft') throw this.transition(row.status, 'sent');
      if (Number(row.total_cents) === 0) {
        throw new DomainException('unprocessable', DealsErrorCode.InvoiceTransitionInvalid, 'An invoice without an amount cannot be sent', [
          { field: 'lineItems', message: 'the total must be above 0' },
        ]);
      }
      await manager.query(`UPDATE invoice SET status = 'sent', sent_at = now(), updated_at = now() WHERE id = $1`, [row.id]);
      return DealsEvent.invoiceSent;
    });
  }

  /** `POST /v1/invoices/:id/void`: draft, sent or overdue without payments; 409 `INVOICE_HAS_PAYMENTS` / `INVOICE_TRANSITION_INVALID`. */
  @RpcHandler(DealsInvoiceSubjects.void)
  async void(envelope: RequestEnvelope<{ id: string }>): Promise<InvoiceView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'invoices:write');
    return this.change(envelope, scope, envelope.data.id, null, async (manager, row) => {
      if (!VOIDABLE.includes(row.status)) throw this.transition(row.status, 'void');
      if (Number(row.paid_cents) > 0)
        throw new DomainException('conflict', DealsErrorCode.InvoiceHasPayments, 'An invoice with payments cannot be voided');
      await manager.query(`UPDATE invoice SET status = 'void', voided_at = now(), updated_at = now() WHERE id = $1`, [row.id]);
      return DealsEvent.invoiceVoided;
    });
  }

  /**
   * `POST /v1/invoices/:id/payments`: on a sent or overdue invoice (409 `INVOICE_TRANSITION_INVALID`
   * otherwise), at most the balance (422 `PAYMENT_EXCEEDS_BALANCE`). `deals.payment.recorded`; when
   * the balance reaches 0 the invoice is paid (`deals.invoice.paid`).
   */
  @RpcHandler(DealsInvoiceSubjects.paymentCreate)
  async recordPayment(envelope: RequestEnvelope<InvoicePaymentCreateRequest>): Promise<InvoiceView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'invoices:write');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const row = await this.find(manager, envelope, scope, data.invoiceId, true);
      if (!PAYABLE.includes(row.status)) throw this.transition(row.status, 'paid');
      const total = Number(row.total_cents);
      const balance = invoiceBalance(total, Number(row.paid_cents));
      if (data.amount > balance) {
        throw new DomainException(
          'unprocessable',
          DealsErrorCode.PaymentExceedsBalance,
          `The payment exceeds the balance of ${balance} cents`,
          [{ field: 'amount', message: `must be at most the balance (${balance})` }],
        );
      }
      const paymentId = newId();
      await manager.query(
        `INSERT INTO invoice_payment (id, org_id, invoice_id, amount_cents, paid_on, method, reference, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [paymentId, actor.orgId, row.id, data.amount, data.paidOn, data.method, data.reference ?? null, actor.userId],
      );
      const paid = Number(row.paid_cents) + data.amount;
      const settled = paid === total;
      await manager.query(
        `UPDATE invoice SET paid_cents = $2, status = CASE WHEN $3 THEN 'paid' ELSE status END, paid_at = CASE WHEN $3 THEN now() ELSE paid_at END, updated_at = now() WHERE id = $1`,
        [row.id, paid, settled],
      );
      const view = await this.load(manager, row.id);
      await unit.emit(DealsEvent.paymentRecorded, row.id, actor.orgId, {
        invoiceId: row.id,
        payment: view.payments.find((payment) => payment.id === paymentId)!,
        paid: view.paid,
        balance: view.balance,
      });
      if (settled) await unit.emit(DealsEvent.invoicePaid, row.id, actor.orgId, { invoice: view });
      return view;
    });
  }

  /**
   * The daily job: sent invoices whose due date is before today (organization's time zone) become
   * overdue, each with `deals.invoice.overdue`; one unit of work per batch of 500. Returns how many.
   */
  async markOverdue(envelope: RequestEnvelope): Promise<number> {
    let count = 0;
    for (;;) {
      const batch = await this.unitOfWork.run(envelope, async (unit) => {
        const manager = unit.manager;
        const [rows] = (await manager.query(
          `UPDATE invoice i SET status = 'overdue', overdue_at = now(), updated_at = now()
           WHERE i.id IN (SELECT i2.id FROM invoice i2 LEFT JOIN deal_settings s ON s.org_id = i2.org_id
                          WHERE i2.status = 'sent' AND i2.due_date < (now() AT TIME ZONE coalesce(s.time_zone, 'UTC'))::date
                          LIMIT ${BATCH} FOR UPDATE OF i2 SKIP LOCKED)
           RETURNING i.id, i.org_id`,
        )) as [Array<{ id: string; org_id: string }>, number];
        for (const row of rows) {
          await unit.emit(DealsEvent.invoiceOverdue, row.id, row.org_id, { invoice: await this.load(manager, row.id) });
        }
        return rows.length;
      });
      count += batch;
      if (batch < BATCH) break;
    }
    return count;
  }

  /**
   * One change of invoice `id` in a unit of work: `first` (reads before any row lock), the invoice
   * locked and found within `scope` (404 `INVOICE_NOT_FOUND`), then `apply`, which returns the
   * event of the change; that event carries the invoice after it.
   */
  private async change(
    envelope: RequestEnvelope<{ id: string }>,
    scope: ReturnType<typeof scopeFor>,
    id: string,
    first: ((manager: EntityManager) => Promise<void>) | null,
    apply: (manager: EntityManager, row: InvoiceRow) => Promise<EventDefinition<DealsInvoiceEventData>>,
  ): Promise<InvoiceView> {
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      if (first) await first(manager);
      const row = await this.find(manager, envelope, scope, id, true);
      const definition = await apply(manager, row);
      const view = await this.load(manager, row.id);
      await unit.emit(definition, row.id, row.org_id, { invoice: view });
      return view;
    });
  }

  private async find(
    manager: EntityManager,
    envelope: RequestEnvelope,
    scope: ReturnType<typeof scopeFor>,
    id: string,
    lock = false,
  ): Promise<InvoiceRow> {
    const actor = actorOf(envelope);
    const params: unknown[] = [id, actor.orgId];
    const condition = scopeCondition(scope, actor, params, 'i');
    const rows = (await manager.query(
      `SELECT ${COLUMNS} FROM invoice i WHERE i.id = $1 AND i.org_id = $2 AND ${condition} ${lock ? 'FOR UPDATE' : ''}`,
      params,
    )) as InvoiceRow[];
    if (!rows.length) throw DomainException.notFound(DealsErrorCode.InvoiceNotFound, 'Invoice');
    return rows[0];
  }

  private async load(manager: EntityManager, id: string): Promise<InvoiceView> {
    const [row] = (await manager.query(`SELECT ${COLUMNS} FROM invoice i WHERE i.id = $1`, [id])) as InvoiceRow[];
    return toView(row, (await this.details(manager, [id])).get(id)!);
  }

  private async details(manager: EntityManager, ids: string[]): Promise<Map<string, Details>> {
    const map = new Map<string, Details>(ids.map((id) => [id, { lines: [], payments: [] }]));
    if (!ids.length) return map;
    const lines = (await manager.query(`SELECT * FROM invoice_line WHERE invoice_id = ANY($1) ORDER BY invoice_id, position`, [
      ids,
    ])) as Array<{
      invoice_id: string;
      description: string;
      quantity: number;
      unit_amount_cents: string;
      amount_cents: string;
    }>;
    for (const line of lines) {
      map.get(line.invoice_id)!.lines.push({
        description: line.description,
        quantity: line.quantity,
        unitAmount: Number(line.unit_amount_cents),
        amount: Number(line.amount_cents),
      });
    }
    const payments = (await manager.query(
      `SELECT id, invoice_id, amount_cents, paid_on::text AS paid_on, method, reference, recorded_by, created_at FROM invoice_payment WHERE invoice_id = ANY($1) ORDER BY created_at, id`,
      [ids],
    )) as Array<{
      id: string;
      invoice_id: string;
      amount_cents: string;
      paid_on: string;
      method: InvoicePaymentView['method'];
      reference: string | null;
      recorded_by: string | null;
      created_at: Date;
    }>;
    for (const payment of payments) {
      map.get(payment.invoice_id)!.payments.push({
        id: payment.id,
        amount: Number(payment.amount_cents),
        paidOn: payment.paid_on,
        method: payment.method,
        reference: payment.reference,
        recordedBy: payment.recorded_by,
        createdAt: payment.created_at.toISOString(),
      });
    }
    return map;
  }

  private async writeLines(manager: EntityManager, invoiceId: string, lines: InvoiceLineItem[], amounts: number[]): Promise<void> {
    for (const [index, line] of lines.entries()) {
      await manager.query(
        `INSERT INTO invoice_line (invoice_id, position, description, quantity, unit_amount_cents, amount_cents) VALUES ($1, $2, $3, $4, $5, $6)`,
        [invoiceId, index + 1, line.description, line.quantity, line.unitAmount, amounts[index]],
      );
    }
  }

  private totals(lines: InvoiceLineItem[]): { amounts: number[]; total: number } {
    try {
      return invoiceTotals(lines);
    } catch (error) {
      throw DomainException.validation([{ field: 'lineItems', message: (error as Error).message }]);
    }
  }

  private checkDates(issueDate: string, dueDate: string): void {
    if (dueDate < issueDate) throw DomainException.validation([{ field: 'dueDate', message: 'must be on or after the issue date' }]);
  }

  private transition(from: InvoiceStatus, to: InvoiceStatus): DomainException {
    return new DomainException('conflict', DealsErrorCode.InvoiceTransitionInvalid, `An invoice cannot go from ${from} to ${to}`);
  }
}

interface Details {
  lines: InvoiceView['lineItems'];
  payments: InvoicePaymentView[];
}

function toView(row: InvoiceRow, details: Details): InvoiceView {
  const total = Number(row.total_cents);
  const paid = Number(row.paid_cents);
  return {
    id: row.id,
    number: row.number,
    transactionId: row.transaction_id,
    agentId: row.agent_id,
    billTo: row.bill_to,
    status: row.status,
    issueDate: row.issue_date,
    dueDate: row.due_date,
    lineItems: details.lines,
    total,
    paid,
    balance: invoiceBalance(total, paid),
    notes: row.notes,
    payments: details.payments,
    sentAt: row.sent_at?.toISOString() ?? null,
    paidAt: row.paid_at?.toISOString() ?? null,
    overdueAt: row.overdue_at?.toISOString() ?? null,
    voidedAt: row.voided_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
