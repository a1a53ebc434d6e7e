import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Kysely } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  DealsEvent,
  DealsPortalSubjects,
  IdentityUserSubjects,
  ListingsPropertySubjects,
  type Actor,
  type Page,
  type PortalAgentView,
  type PortalDocumentView,
  type PortalInvoiceListRequest,
  type PortalInvoiceStatus,
  type PortalInvoiceView,
  type PortalTransactionListRequest,
  type PortalTransactionView,
  type RequestEnvelope,
  type TransactionFileDownloadUrl,
  type TransactionFileRef,
} from '@keyhouse/contracts';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcClient, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { requestLogFields } from '@keyhouse/platform/observability';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { DealsErrorCode } from '../../deals-commission.exception';
import { FilesService } from '../files/files.service';
import { loadInvoiceDetails, type InvoiceDetails } from '../invoices/invoice-details.util';
import { invoiceBalance } from '../invoices/invoice-totals.util';
import { addressOf } from './portal-address.util';
import { actorOf, cents, scopeFor, uuid } from '../scope.util';

/** Invoice statuses the portal shows: every one but `draft`. */
const VISIBLE_INVOICE_STATUSES: PortalInvoiceStatus[] = ['sent', 'paid', 'overdue', 'void'];

/** The deal columns the portal reads (`YYYY-MM-DD` dates as text), with the stages of its pipeline. */
function selectPortalTransactions(db: Kysely<DealsCommissionDb>) {
  return db
    .selectFrom('deal_transaction as t')
    .innerJoin('pipeline as p', 'p.id', 't.pipeline_id')
    .select((eb) => [
      't.id',
      't.side',
      't.status',
      't.stage',
      'p.stages',
      't.price_cents',
      't.property_id',
      eb.cast<string | null>('t.expected_close_date', 'text').as('expected_close_date'),
      eb.cast<string | null>('t.close_date', 'text').as('close_date'),
      't.participants',
      't.agent_ids',
      't.created_at',
    ]);
}

type PortalTransactionRow = Awaited<ReturnType<ReturnType<typeof selectPortalTransactions>['executeTakeFirstOrThrow']>>;

/** The invoice columns the portal reads (`YYYY-MM-DD` dates as text). */
function selectPortalInvoices(db: Kysely<DealsCommissionDb>) {
  return db
    .selectFrom('invoice as i')
    .select((eb) => [
      'i.id',
      'i.number',
      'i.transaction_id',
      'i.bill_to',
      'i.status',
      eb.cast<string>('i.issue_date', 'text').as('issue_date'),
      eb.cast<string>('i.due_date', 'text').as('due_date'),
      'i.total_cents',
      'i.paid_cents',
      'i.sent_at',
      'i.paid_at',
      'i.overdue_at',
      'i.voided_at',
      'i.created_at',
    ]);
}

type PortalInvoiceRow = Awaited<ReturnType<ReturnType<typeof selectPortalInvoices>['executeTakeFirstOrThrow']>>;

/**
 * The client portal (issue 13 item 17, docs/adr/0033): what a client user (`portal:read`, held by
 * the built-in `client` role only) sees of the brokerage's deals, through views of its own:
 * - transactions (not deleted) whose `buyer_contact_ids` or `seller_contact_ids` hold the client's
 *   contact: side, status, stage key and name, price (cents), property id and one-line address,
 *   expected and actual close date, key dates (due, done), participants (role, name, email, phone,
 *   company) and agents (id, name, email) — never commission, plan, team split, probability,
 *   notes or timeline;
 * - the stored files of those transactions that staff shared with clients (`shared_at`), and a
 *   signed download URL of one (`deals.portal.document_downloaded` for the audit trail);
 * - invoices of the organization billed to the contact (`bill_to.contactId`), except drafts, with
 *   their lines and payments, without agent, notes or who recorded a payment.
 * The client's contact is the `client_contact` read model (`ClientContactsConsumer`), always in the
 * caller's organization: a client not linked yet (e.g. before verifying their address) gets empty
 * lists and 404s, the same answers as for another contact's records, so ids reveal nothing.
 * Agents' names and the property address are read from identity and listings as the service
 * itself (`portalLookupActor`: read permissions only, the caller's organization), since clients do
 * not hold `users:read` or see every listing; when they do not answer those fields are null.
 */
@Injectable()
export class PortalService {
  private readonly logger = new Logger(PortalService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly files: FilesService,
    private readonly rpc: RpcClient,
  ) {}

  /** `GET /v1/portal/transactions`: the caller's transactions, newest first (filter: status); 400 `INVALID_CURSOR`. */
  @RpcHandler(DealsPortalSubjects.transactionList)
  async listTransactions(envelope: RequestEnvelope<PortalTransactionListRequest>): Promise<Page<PortalTransactionView>> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'portal:read');
    const contactId = await this.clientContactId(actor);
    if (!contactId) return { items: [], nextCursor: null };
    let query = this.transactionsOf(actor.orgId, contactId);
    if (envelope.data.status !== undefined) query = query.where('t.status', '=', envelope.data.status);
    const page = keysetPage(query, { sort: sql.ref('t.created_at'), id: sql.ref('t.id'), direction: 'desc' }, envelope.data);
    const rows = await page.query.execute();
    const views = await this.toTransactionViews(envelope, rows.slice(0, page.limit));
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.created_at, id: row.id }),
      (row) => views.get(row.id)!,
    );
  }

  /** `GET /v1/portal/transactions/:id`: one of the caller's transactions; 404 `TRANSACTION_NOT_FOUND` otherwise. */
  @RpcHandler(DealsPortalSubjects.transactionGet)
  async getTransaction(envelope: RequestEnvelope<{ id: string }>): Promise<PortalTransactionView> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'portal:read');
    const row = await this.findTransaction(actor, envelope.data.id);
    return (await this.toTransactionViews(envelope, [row])).get(row.id)!;
  }

  /** `GET /v1/portal/transactions/:id/documents`: the files shared with clients, oldest share first; 404 `TRANSACTION_NOT_FOUND`. */
  @RpcHandler(DealsPortalSubjects.documentList)
  async listDocuments(envelope: RequestEnvelope<{ transactionId: string }>): Promise<{ items: PortalDocumentView[] }> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'portal:read');
    const deal = await this.findTransaction(actor, envelope.data.transactionId);
    const rows = await this.sharedFiles(deal.id)
      .select(['f.id', 'f.transaction_id', 'f.name', 'f.content_type', 'f.size_bytes', 'f.shared_at'])
      .orderBy('f.shared_at')
      .orderBy('f.id')
      .limit(500)
      .execute();
    return {
      items: rows.map((row) => ({
        id: row.id,
        transactionId: row.transaction_id,
        name: row.name,
        contentType: row.content_type,
        sizeBytes: Number(row.size_bytes),
        sharedAt: row.shared_at!.toISOString(),
      })),
    };
  }

  /**
   * `GET /v1/portal/transactions/:id/documents/:fileId/download-url`: a signed URL of a file shared
   * with clients, as the staff route answers it (`FilesService.signedUrlOf`), and
   * `deals.portal.document_downloaded` for the audit trail. 404 `TRANSACTION_NOT_FOUND`, or
   * `FILE_NOT_FOUND` for a file not shared (or deleted, or of another deal).
   */
  @RpcHandler(DealsPortalSubjects.documentDownloadUrl)
  async documentDownloadUrl(envelope: RequestEnvelope<TransactionFileRef>): Promise<TransactionFileDownloadUrl> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'portal:read');
    const contactId = await this.clientContactId(actor);
    const deal = await this.findTransaction(actor, envelope.data.transactionId, contactId);
    const file = await this.sharedFiles(deal.id)
      .select(['f.id', 'f.transaction_id', 'f.storage_key', 'f.name', 'f.content_type'])
      .where('f.id', '=', envelope.data.fileId)
      .executeTakeFirst();
    if (!file) throw DomainException.notFound(DealsErrorCode.FileNotFound, 'File');
    const url = await this.files.signedUrlOf(file);
    await this.unitOfWork.run(envelope, async (unit) => {
      await unit.emit(DealsEvent.portalDocumentDownloaded, deal.id, actor.orgId, {
        transactionId: deal.id,
        fileId: file.id,
        contactId: contactId!,
      });
    });
    return url;
  }

  /** `GET /v1/portal/invoices`: invoices billed to the caller's contact, not drafts, newest first (filter: status); 400 `INVALID_CURSOR`. */
  @RpcHandler(DealsPortalSubjects.invoiceList)
  async listInvoices(envelope: RequestEnvelope<PortalInvoiceListRequest>): Promise<Page<PortalInvoiceView>> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'portal:read');
    const contactId = await this.clientContactId(actor);
    if (!contactId) return { items: [], nextCursor: null };
    let query = this.invoicesOf(actor.orgId, contactId);
    if (envelope.data.status !== undefined) query = query.where('i.status', '=', envelope.data.status);
    const page = keysetPage(query, { sort: sql.ref('i.created_at'), id: sql.ref('i.id'), direction: 'desc' }, envelope.data);
    const rows = await page.query.execute();
    const details = await loadInvoiceDetails(
      kyselyFor<DealsCommissionDb>(this.dataSource),
      rows.slice(0, page.limit).map((row) => row.id), // not the look-ahead row
    );
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.created_at, id: row.id }),
      (row) => toInvoiceView(row, details.get(row.id)!),
    );
  }

  /** `GET /v1/portal/invoices/:id`: an invoice billed to the caller's contact (not a draft); 404 `INVOICE_NOT_FOUND` otherwise. */
  @RpcHandler(DealsPortalSubjects.invoiceGet)
  async getInvoice(envelope: RequestEnvelope<{ id: string }>): Promise<PortalInvoiceView> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'portal:read');
    const contactId = await this.clientContactId(actor);
    const row = contactId
      ? await this.invoicesOf(actor.orgId, contactId).where('i.id', '=', envelope.data.id).executeTakeFirst()
      : undefined;
    if (!row) throw DomainException.notFound(DealsErrorCode.InvoiceNotFound, 'Invoice');
    return toInvoiceView(row, (await loadInvoiceDetails(kyselyFor<DealsCommissionDb>(this.dataSource), [row.id])).get(row.id)!);
  }

  /** The crm contact the client user is in their organization (`client_contact`), or null when not linked. */
  private async clientContactId(actor: Actor & { userId: string }): Promise<string | null> {
    const row = await kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('client_contact')
      .select('contact_id')
      .where('user_id', '=', actor.userId)
      .where('org_id', '=', actor.orgId)
      .executeTakeFirst();
    return row?.contact_id ?? null;
  }

  /** The organization's deals (not deleted) with `contactId` among their buyers or sellers. */
  private transactionsOf(orgId: string, contactId: string) {
    return selectPortalTransactions(kyselyFor<DealsCommissionDb>(this.dataSource))
      .where('t.org_id', '=', orgId)
      .where('t.deleted_at', 'is', null)
      .where((eb) =>
        eb.or([eb(uuid(contactId), '=', eb.fn.any('t.buyer_contact_ids')), eb(uuid(contactId), '=', eb.fn.any('t.seller_contact_ids'))]),
      );
  }

  /** One of the client's deals, or 404 `TRANSACTION_NOT_FOUND` (also when the client is not linked to a contact). */
  private async findTransaction(actor: Actor & { userId: string }, id: string, contactId?: string | null): Promise<PortalTransactionRow> {
    const contact = contactId === undefined ? await this.clientContactId(actor) : contactId;
    const row = contact ? await this.transactionsOf(actor.orgId, contact).where('t.id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw DomainException.notFound(DealsErrorCode.TransactionNotFound, 'Transaction');
    return row;
  }

  /** Stored, not deleted files of the deal that are shared with clients. */
  private sharedFiles(transactionId: string) {
    return kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('transaction_file as f')
      .where('f.transaction_id', '=', transactionId)
      .where('f.status', '=', 'stored')
      .where('f.deleted_at', 'is', null)
      .where('f.shared_at', 'is not', null);
  }

  /** The organization's invoices billed to `contactId`, drafts left out. */
  private invoicesOf(orgId: string, contactId: string) {
    return selectPortalInvoices(kyselyFor<DealsCommissionDb>(this.dataSource))
      .where('i.org_id', '=', orgId)
      .where((eb) => eb(eb.ref('i.bill_to', '->>').key('contactId'), '=', contactId))
      .where('i.status', 'in', VISIBLE_INVOICE_STATUSES);
  }

  /** The portal views of `rows`: key dates from `key_date`, agents' names from identity, addresses from listings. */
  private async toTransactionViews(envelope: RequestEnvelope, rows: PortalTransactionRow[]): Promise<Map<string, PortalTransactionView>> {
    const views = new Map<string, PortalTransactionView>();
    if (!rows.length) return views;
    const keyDates = await kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('key_date')
      .select((eb) => ['transaction_id', 'key', eb.cast<string>('due_on', 'text').as('due_on'), 'done_at'])
      .where('transaction_id', '=', (eb) => eb.fn.any(eb.val(rows.map((row) => row.id))))
      .orderBy('due_on')
      .orderBy('key')
      .execute();
    const agentIds = [...new Set(rows.flatMap((row) => row.agent_ids))];
    const propertyIds = [...new Set(rows.flatMap((row) => (row.property_id ? [row.property_id] : [])))];
    const [agents, addresses] = await Promise.all([this.agents(envelope, agentIds), this.addresses(envelope, propertyIds)]);
    for (const row of rows) {
      const stage = row.stages.find((candidate) => candidate.key === row.stage);
      views.set(row.id, {
        id: row.id,
        side: row.side,
        status: row.status,
        stage: { key: row.stage, name: stage?.name ?? row.stage },
        price: cents(row.price_cents) ?? 0,
        property: row.property_id ? { id: row.property_id, address: addresses.get(row.property_id) ?? null } : null,
        expectedCloseDate: row.expected_close_date,
        closeDate: row.close_date,
        keyDates: keyDates
          .filter((date) => date.transaction_id === row.id)
          .map((date) => ({ key: date.key, dueOn: date.due_on, doneAt: date.done_at?.toISOString() ?? null })),
        participants: row.participants.map((participant) => ({
          role: participant.role,
          name: participant.name ?? null,
          email: participant.email ?? null,
          phone: participant.phone ?? null,
          company: participant.company ?? null,
        })),
        agents: row.agent_ids.map((id) => agents.get(id) ?? { id, name: null, email: null }),
      });
    }
    return views;
  }

  /** Name and email of each agent, from identity (`identity.users.get` as the service); missing when identity refuses or is down. */
  private async agents(envelope: RequestEnvelope, ids: string[]): Promise<Map<string, PortalAgentView>> {
    const found = new Map<string, PortalAgentView>();
    const lookup = { ...envelope, actor: portalLookupActor(envelope.actor!.orgId) };
    await Promise.all(
      ids.map(async (id) => {
        try {
          const user = await this.rpc.request(IdentityUserSubjects.get, { ...lookup, data: { id } }, { retries: 1 });
          found.set(id, { id, name: user.name, email: user.email });
        } catch (error) {
          this.logger.warn(
            { ...requestLogFields(envelope), err: error, agentId: id },
            'Could not read an agent of a portal deal from identity',
          );
        }
      }),
    );
    return found;
  }

  /** One-line address of each listing, from listings (`listings.properties.get` as the service); missing when listings refuses or is down. */
  private async addresses(envelope: RequestEnvelope, ids: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const lookup = { ...envelope, actor: portalLookupActor(envelope.actor!.orgId) };
    await Promise.all(
      ids.map(async (id) => {
        try {
          const address = addressOf(await this.rpc.request(ListingsPropertySubjects.get, { ...lookup, data: { id } }, { retries: 1 }));
          if (address) found.set(id, address);
        } catch (error) {
          this.logger.warn({ ...requestLogFields(envelope), err: error, propertyId: id }, 'Could not read the listing of a portal deal');
        }
      }),
    );
    return found;
  }
}

/**
 * The actor the portal reads identity and listings with: the deals service itself (`system`) in the
 * caller's organization, with read permissions only — clients hold neither `users:read` nor every
 * listing, and the portal shows only the agents and the listing of a deal the client is on.
 */
export function portalLookupActor(orgId: string): Actor {
  return { type: 'system', orgId, role: 'system', teamIds: [], permissions: ['users:read:org', 'listings:read:org'] };
}

function toInvoiceView(row: PortalInvoiceRow, details: InvoiceDetails): PortalInvoiceView {
  const total = Number(row.total_cents);
  const paid = Number(row.paid_cents);
  return {
    id: row.id,
    number: row.number,
    transactionId: row.transaction_id,
    billTo: row.bill_to,
    status: row.status as PortalInvoiceStatus,
    issueDate: row.issue_date,
    dueDate: row.due_date,
    lineItems: details.lines,
    total,
    paid,
    balance: invoiceBalance(total, paid),
    // Who recorded a payment and when it was entered stay with the brokerage.
    payments: details.payments.map(({ id, amount, paidOn, method, reference }) => ({ id, amount, paidOn, method, reference })),
    sentAt: row.sent_at?.toISOString() ?? null,
    paidAt: row.paid_at?.toISOString() ?? null,
    overdueAt: row.overdue_at?.toISOString() ?? null,
    voidedAt: row.voided_at?.toISOString() ?? null,
  };
}
