import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Kysely, type Selectable } from 'kysely';
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
  type InvoiceStatus,
  type InvoiceUpdateRequest,
  type InvoiceView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { DealsErrorCode } from '../../deals-commission.exception';
import { todayIn } from '../schedule/contract-deadlines.util';
import { erasedAmong, withoutErasedBillTo } from '../privacy/erased-contacts.util';
import { DealSettingsService } from '../schedule/deal-settings.service';
import { actorOf, cents, scopeCondition, scopeFor, uuid } from '../scope.util';
import { findVisibleTransaction } from '../transactions/transaction.queries';
import { loadInvoiceDetails, type InvoiceDetails } from './invoice-details.util';
import { invoiceBalance, invoiceTotals } from './invoice-totals.util';

/**
 * An invoice as `selectInvoices` reads it (declared by the migrations: `deals-commission.db.ts`), its
 * dates as `YYYY-MM-DD` text (never shifted by time zones).
 */
type InvoiceRow = Omit<Selectable<DealsCommissionDb['invoice']>, 'agent_ids' | 'team_ids' | 'created_by' | 'issue_date' | 'due_date'> & {
  issue_date: string;
  due_date: string;
};

/** The invoices of `invoice i` with the columns of an `InvoiceRow`; callers add their conditions. */
function selectInvoices(db: Kysely<DealsCommissionDb>) {
  return db
    .selectFrom('invoice as i')
    .select((eb) => [
      'i.id',
      'i.org_id',
      'i.number',
      'i.transaction_id',
      'i.agent_id',
      'i.bill_to',
      'i.status',
      eb.cast<string>('i.issue_date', 'text').as('issue_date'),
      eb.cast<string>('i.due_date', 'text').as('due_date'),
      'i.total_cents',
      'i.paid_cents',
      'i.notes',
      'i.sent_at',
      'i.paid_at',
      'i.overdue_at',
      'i.voided_at',
      'i.created_at',
      'i.updated_at',
    ]);
}

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
      const db = kyselyFor<DealsCommissionDb>(manager);
      await db
        .insertInto('deal_settings')
        .values({ org_id: actor.orgId })
        .onConflict((conflict) => conflict.column('org_id').doNothing())
        .execute();
      const counter = await db
        .updateTable('deal_settings')
        .set((eb) => ({ next_invoice_number: eb('next_invoice_number', '+', eb.lit(1)) }))
        .where('org_id', '=', actor.orgId)
        .returning((eb) => eb('next_invoice_number', '-', eb.lit(1)).as('n'))
        .executeTakeFirstOrThrow();
      const id = newId();
      await db
        .insertInto('invoice')
        .values({
          id,
          org_id: actor.orgId,
          number: `INV-${String(counter.n).padStart(6, '0')}`,
          transaction_id: data.transactionId ?? null,
          agent_id: agentId,
          agent_ids: agentIds,
          team_ids: teamIds,
          bill_to: JSON.stringify(billTo),
          status: 'draft',
          issue_date: issueDate,
          due_date: data.dueDate,
          total_cents: totals.total,
          notes: data.notes ?? null,
          created_by: actor.userId,
        })
        .execute();
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
    let query = selectInvoices(kyselyFor<DealsCommissionDb>(this.dataSource))
      .where('i.org_id', '=', actor.orgId)
      .where((eb) => scopeCondition(scope, actor, { agentIds: eb.ref('i.agent_ids'), teamIds: eb.ref('i.team_ids') }));
    if (data.status !== undefined) query = query.where('i.status', '=', data.status);
    if (data.transactionId !== undefined) query = query.where('i.transaction_id', '=', data.transactionId);
    if (data.agentId !== undefined) {
      const agentId = data.agentId;
      query = query.where((eb) => eb(uuid(agentId), '=', eb.fn.any('i.agent_ids')));
    }
    const page = keysetPage(query, { sort: sql.ref('i.created_at'), id: sql.ref('i.id'), direction: 'desc' }, data);
    const rows = await page.query.execute();
    const details = await loadInvoiceDetails(
      kyselyFor<DealsCommissionDb>(this.dataSource.manager),
      rows.slice(0, page.limit).map((row) => row.id), // not the look-ahead row
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
        await kyselyFor<DealsCommissionDb>(manager).deleteFrom('invoice_line').where('invoice_id', '=', row.id).execute();
        await this.writeLines(manager, row.id, data.lineItems, totals.amounts);
        total = totals.total;
      }
      await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('invoice')
        .set({
          ...(billTo ? { bill_to: JSON.stringify(billTo) } : {}),
          issue_date: issueDate,
          due_date: dueDate,
          total_cents: total,
          ...(data.notes !== undefined ? { notes: data.notes ?? null } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', row.id)
        .execute();
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
      await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('invoice')
        .set({ status: 'sent', sent_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where('id', '=', row.id)
        .execute();
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
      await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('invoice')
        .set({ status: 'void', voided_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where('id', '=', row.id)
        .execute();
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
      const db = kyselyFor<DealsCommissionDb>(manager);
      await db
        .insertInto('invoice_payment')
        .values({
          id: paymentId,
          org_id: actor.orgId,
          invoice_id: row.id,
          amount_cents: data.amount,
          paid_on: data.paidOn,
          method: data.method,
          reference: data.reference ?? null,
          recorded_by: actor.userId,
        })
        .execute();
      const paid = Number(row.paid_cents) + data.amount;
      const settled = paid === total;
      await db
        .updateTable('invoice')
        .set({
          paid_cents: paid,
          ...(settled ? { status: 'paid' as const, paid_at: sql<Date>`now()` } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', row.id)
        .execute();
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
        const rows = await kyselyFor<DealsCommissionDb>(manager)
          .updateTable('invoice as i')
          .set({ status: 'overdue', overdue_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
          .where('i.id', 'in', (eb) =>
            eb
              .selectFrom('invoice as i2')
              .leftJoin('deal_settings as s', 's.org_id', 'i2.org_id')
              .select('i2.id')
              .where('i2.status', '=', 'sent')
              .where((inner) =>
                inner('i2.due_date', '<', sql<Date>`(now() AT TIME ZONE coalesce(${inner.ref('s.time_zone')}, 'UTC'))::date`),
              )
              .limit(BATCH)
              .forUpdate('i2')
              .skipLocked(),
          )
          .returning(['i.id', 'i.org_id'])
          .execute();
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
    let query = selectInvoices(kyselyFor<DealsCommissionDb>(manager))
      .where('i.id', '=', id)
      .where('i.org_id', '=', actor.orgId)
      .where((eb) => scopeCondition(scope, actor, { agentIds: eb.ref('i.agent_ids'), teamIds: eb.ref('i.team_ids') }));
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw DomainException.notFound(DealsErrorCode.InvoiceNotFound, 'Invoice');
    return row;
  }

  private async load(manager: EntityManager, id: string): Promise<InvoiceView> {
    const row = await selectInvoices(kyselyFor<DealsCommissionDb>(manager)).where('i.id', '=', id).executeTakeFirstOrThrow();
    return toView(row, (await loadInvoiceDetails(kyselyFor<DealsCommissionDb>(manager), [id])).get(id)!);
  }

  private async writeLines(manager: EntityManager, invoiceId: string, lines: InvoiceLineItem[], amounts: number[]): Promise<void> {
    for (const [index, line] of lines.entries()) {
      await kyselyFor<DealsCommissionDb>(manager)
        .insertInto('invoice_line')
        .values({
          invoice_id: invoiceId,
          position: index + 1,
          description: line.description,
          quantity: line.quantity,
          unit_amount_cents: line.unitAmount,
          amount_cents: amounts[index],
        })
        .execute();
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

function toView(row: InvoiceRow, details: InvoiceDetails): InvoiceView {
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
