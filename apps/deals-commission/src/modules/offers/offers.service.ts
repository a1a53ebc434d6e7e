import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsEvent,
  DealsTransactionSubjects,
  type Page,
  type RequestEnvelope,
  type TransactionOfferCreateRequest,
  type TransactionOfferListRequest,
  type TransactionOfferStatus,
  type TransactionOfferUpdateRequest,
  type TransactionOfferView,
} from '@keyhouse/contracts';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { DealsErrorCode } from '../../deals-commission.exception';
import { PipelinesService } from '../pipelines/pipelines.service';
import { ERASED_CONTACT_NAME } from '../privacy/contact-anonymisation.util';
import { erasedAmong } from '../privacy/erased-contacts.util';
import { KeyDatesService } from '../schedule/key-dates.service';
import { actorOf, cents, scopeCondition, scopeFor } from '../scope.util';
import { findVisibleTransaction, recordActivity } from '../transactions/transaction.queries';

/** A row of `offer` (declared by the migrations: `deals-commission.db.ts`); money in bigint cents (text). */
type OfferRow = Selectable<DealsCommissionDb['offer']>;

function toOfferView(row: OfferRow): TransactionOfferView {
  return {
    id: row.id,
    propertyId: row.property_id,
    transactionId: row.transaction_id,
    buyerContactId: row.buyer_contact_id,
    buyerName: row.buyer_name,
    amount: cents(row.amount_cents) ?? 0,
    earnestMoney: cents(row.earnest_money_cents) ?? 0,
    financingType: row.financing_type,
    contingencies: row.contingencies,
    expiresAt: row.expires_at?.toISOString() ?? null,
    status: row.status,
    acceptedAt: row.accepted_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Statuses of an offer that can still be countered, rejected, withdrawn or accepted. */
const OPEN = ['submitted', 'countered'] as const;

function isOpen(status: TransactionOfferStatus): status is (typeof OPEN)[number] {
  return (OPEN as readonly string[]).includes(status);
}
/** Stage an accepted offer moves its transaction to, when the pipeline has it and the deal is before it. */
export const OFFER_ACCEPTED_STAGE = 'accepted';

/**
 * Offers on a listing (`property_id`), each made through a transaction the caller can write
 * (`transactions:write` scope). Accepting one (`submitted` or `countered`, not expired) rejects the
 * listing's other open offers and moves the offer's transaction forward to the `accepted` stage
 * with the offer amount as its price, and sets the contract deadlines from the acceptance date
 * (`KeyDatesService.applyAcceptedOffer`), all in one database transaction. An offer whose transaction
 * is out of reach is a 404 `OFFER_NOT_FOUND`.
 */
@Injectable()
export class OffersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pipelines: PipelinesService,
    private readonly unitOfWork: UnitOfWork,
    private readonly keyDates: KeyDatesService,
  ) {}

  /** Records an offer (`submitted`) on a transaction with a property: 404 `TRANSACTION_NOT_FOUND`, 422 `TRANSACTION_HAS_NO_PROPERTY`. */
  @RpcHandler(DealsTransactionSubjects.offerCreate)
  async create(envelope: RequestEnvelope<TransactionOfferCreateRequest>): Promise<TransactionOfferView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      // First (before any row lock): an erased buyer's name is not stored again.
      const buyerErased = (await erasedAmong(manager, actor.orgId, [data.buyerContactId])).size > 0;
      const deal = await findVisibleTransaction(manager, actor, scope, data.transactionId);
      if (!deal.property_id) {
        throw new DomainException(
          'unprocessable',
          DealsErrorCode.TransactionHasNoProperty,
          'The transaction has no property (listing) to make an offer on',
          [{ field: 'transactionId', message: 'set the transaction’s propertyId first' }],
        );
      }
      const id = newId();
      const row = await kyselyFor<DealsCommissionDb>(manager)
        .insertInto('offer')
        .values({
          id,
          org_id: actor.orgId,
          property_id: deal.property_id,
          transaction_id: deal.id,
          buyer_contact_id: data.buyerContactId ?? null,
          buyer_name: buyerErased ? ERASED_CONTACT_NAME : (data.buyerName ?? null),
          amount_cents: data.amount,
          earnest_money_cents: data.earnestMoney ?? 0,
          financing_type: data.financingType,
          contingencies: data.contingencies ?? [],
          expires_at: data.expiresAt ?? null,
          status: 'submitted',
          created_by: actor.userId,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = toOfferView(row);
      await recordActivity(manager, actor.orgId, deal.id, 'offer_submitted', actor.userId, { offerId: id, amount: data.amount }, newId());
      await unit.emit(DealsEvent.offerSubmitted, deal.id, actor.orgId, { offer: view });
      return view;
    });
  }

  /** Offers whose transaction the caller can read, newest first (filters: property, transaction, status). */
  @RpcHandler(DealsTransactionSubjects.offerList)
  async list(envelope: RequestEnvelope<TransactionOfferListRequest>): Promise<Page<TransactionOfferView>> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const data = envelope.data;
    let query = kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('offer as o')
      .innerJoin('deal_transaction as t', 't.id', 'o.transaction_id')
      .selectAll('o')
      .where('o.org_id', '=', actor.orgId)
      .where('t.deleted_at', 'is', null)
      .where((eb) => scopeCondition(scope, actor, { agentIds: eb.ref('t.agent_ids'), teamIds: eb.ref('t.team_ids') }));
    if (data.propertyId !== undefined) query = query.where('o.property_id', '=', data.propertyId);
    if (data.transactionId !== undefined) query = query.where('o.transaction_id', '=', data.transactionId);
    if (data.status !== undefined) query = query.where('o.status', '=', data.status);
    const page = keysetPage(query, { sort: sql.ref('o.created_at'), id: sql.ref('o.id'), direction: 'desc' }, data);
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toOfferView);
  }

  /** Counter, reject or withdraw an open offer; 409 `OFFER_NOT_OPEN` once accepted, rejected or withdrawn. */
  @RpcHandler(DealsTransactionSubjects.offerUpdate)
  async update(envelope: RequestEnvelope<TransactionOfferUpdateRequest>): Promise<TransactionOfferView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const offer = await this.findWritable(manager, envelope, scope, data.id);
      if (!isOpen(offer.status)) throw new DomainException('conflict', DealsErrorCode.OfferNotOpen, 'The offer is no longer open');
      const status =
        data.status ??
        (data.amount !== undefined || data.contingencies !== undefined || data.earnestMoney !== undefined ? 'countered' : offer.status);
      const row = await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('offer')
        .set({
          status,
          ...(data.amount !== undefined && data.amount !== null ? { amount_cents: data.amount } : {}),
          ...(data.earnestMoney !== undefined && data.earnestMoney !== null ? { earnest_money_cents: data.earnestMoney } : {}),
          ...(data.contingencies !== undefined && data.contingencies !== null ? { contingencies: data.contingencies } : {}),
          ...(data.expiresAt !== undefined ? { expires_at: data.expiresAt ?? null } : {}),
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', offer.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = toOfferView(row);
      const definition =
        status === 'rejected' ? DealsEvent.offerRejected : status === 'withdrawn' ? DealsEvent.offerWithdrawn : DealsEvent.offerCountered;
      await recordActivity(manager, actor.orgId, offer.transaction_id, `offer_${status}`, actor.userId, { offerId: offer.id }, newId());
      await unit.emit(definition, offer.transaction_id, actor.orgId, { offer: view });
      return view;
    });
  }

  /**
   * Accepts an open offer: 409 `OFFER_NOT_OPEN` / `OFFER_EXPIRED`. The listing's other open offers
   * become `rejected` (`deals.offer.rejected` each); the offer's transaction takes the offer amount as
   * its price and moves to the `accepted` stage when its pipeline has one and the deal is before it
   * (`deals.transaction.stage_changed`).
   */
  @RpcHandler(DealsTransactionSubjects.offerAccept)
  async accept(envelope: RequestEnvelope<{ id: string }>): Promise<TransactionOfferView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const offer = await this.findWritable(manager, envelope, scope, envelope.data.id);
      // Serialize acceptances on one listing.
      const db = kyselyFor<DealsCommissionDb>(manager);
      await db
        .selectFrom('offer')
        .select('id')
        .where('org_id', '=', actor.orgId)
        .where('property_id', '=', offer.property_id)
        .forUpdate()
        .execute();
      const current = await db.selectFrom('offer').selectAll().where('id', '=', offer.id).executeTakeFirstOrThrow();
      if (!isOpen(current.status)) throw new DomainException('conflict', DealsErrorCode.OfferNotOpen, 'The offer is no longer open');
      if (current.expires_at && current.expires_at.getTime() < Date.now())
        throw new DomainException('conflict', DealsErrorCode.OfferExpired, 'The offer has expired');
      const accepted = await db
        .updateTable('offer')
        .set({ status: 'accepted', accepted_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where('id', '=', offer.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = toOfferView(accepted);
      await unit.emit(DealsEvent.offerAccepted, offer.transaction_id, actor.orgId, { offer: view });
      const declined = await db
        .updateTable('offer')
        .set({ status: 'rejected', updated_at: sql<Date>`now()` })
        .where('org_id', '=', actor.orgId)
        .where('property_id', '=', offer.property_id)
        .where('id', '<>', offer.id)
        .where('status', 'in', OPEN)
        .returningAll()
        .execute();
      for (const row of declined) {
        await recordActivity(
          manager,
          actor.orgId,
          row.transaction_id,
          'offer_rejected',
          actor.userId,
          { offerId: row.id, because: offer.id },
          newId(),
        );
        await unit.emit(DealsEvent.offerRejected, row.transaction_id, actor.orgId, { offer: toOfferView(row), acceptedOfferId: offer.id });
      }
      await this.moveForward(unit, envelope, offer.transaction_id, view);
      await this.keyDates.applyAcceptedOffer(unit, actor.userId, offer.transaction_id, {
        id: view.id,
        contingencies: view.contingencies,
        acceptedAt: view.acceptedAt!,
      });
      return view;
    });
  }

  private async moveForward(
    unit: UnitOfWorkContext,
    envelope: RequestEnvelope,
    transactionId: string,
    offer: TransactionOfferView,
  ): Promise<void> {
    const actor = actorOf(envelope);
    const manager = unit.manager;
    const db = kyselyFor<DealsCommissionDb>(manager);
    const deal = await db
      .selectFrom('deal_transaction')
      .select(['id', 'pipeline_id', 'stage', 'status', 'agent_id', 'price_cents', 'buyer_contact_ids', 'seller_contact_ids'])
      .where('id', '=', transactionId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const pipeline = await this.pipelines.resolve(manager, actor.orgId, deal.pipeline_id);
    const target = pipeline.stages.findIndex((stage) => stage.key === OFFER_ACCEPTED_STAGE);
    const position = pipeline.stages.findIndex((stage) => stage.key === deal.stage);
    const move = deal.status === 'open' && target >= 0 && position < target;
    const stage = move ? pipeline.stages[target] : null;
    await db
      .updateTable('deal_transaction')
      .set({
        price_cents: offer.amount,
        ...(stage ? { stage: stage.key, probability: stage.probability } : {}),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', deal.id)
      .execute();
    const changes: Record<string, { from: unknown; to: unknown }> = { price: { from: Number(deal.price_cents), to: offer.amount } };
    if (stage) changes.stage = { from: deal.stage, to: stage.key };
    await recordActivity(manager, actor.orgId, deal.id, 'updated', actor.userId, { changes, offerId: offer.id }, newId());
    await unit.emit(DealsEvent.transactionUpdated, deal.id, actor.orgId, { transactionId: deal.id, changes });
    if (stage) {
      await recordActivity(manager, actor.orgId, deal.id, 'stage_changed', actor.userId, { from: deal.stage, to: stage.key }, newId());
      await unit.emit(DealsEvent.transactionStageChanged, deal.id, actor.orgId, {
        transactionId: deal.id,
        pipelineId: deal.pipeline_id,
        from: deal.stage,
        to: stage.key,
        outcome: stage.outcome,
        agentId: deal.agent_id,
        closePrice: null,
        closeDate: null,
        buyerContactIds: deal.buyer_contact_ids,
        sellerContactIds: deal.seller_contact_ids,
      });
    }
  }

  private async findWritable(
    manager: EntityManager,
    envelope: RequestEnvelope,
    scope: ReturnType<typeof scopeFor>,
    id: string,
  ): Promise<OfferRow> {
    const actor = actorOf(envelope);
    const row = await kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('offer')
      .selectAll()
      .where('id', '=', id)
      .where('org_id', '=', actor.orgId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(DealsErrorCode.OfferNotFound, 'Offer');
    try {
      await findVisibleTransaction(manager, actor, scope, row.transaction_id);
    } catch {
      throw DomainException.notFound(DealsErrorCode.OfferNotFound, 'Offer');
    }
    return row;
  }
}
