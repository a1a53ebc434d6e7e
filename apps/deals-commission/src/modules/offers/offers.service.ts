import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsEvent,
  DealsTransactionSubjects,
  type Page,
  type RequestEnvelope,
  type TransactionOfferCreateRequest,
  type TransactionOfferListRequest,
  type TransactionOfferUpdateRequest,
  type TransactionOfferView,
} from '@keyhouse/contracts';
import { keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { DealsErrorCode } from '../../deals-commission.exception';
import { PipelinesService } from '../pipelines/pipelines.service';
import { ERASED_CONTACT_NAME } from '../privacy/contact-anonymisation';
import { erasedAmong } from '../privacy/erased-contacts';
import { KeyDatesService } from '../schedule/key-dates.service';
import { actorOf, cents, pageOrThrow, scopeCondition, scopeFor } from '../scope.util';
import { findVisibleTransaction, recordActivity } from '../transactions/transaction.queries';

interface OfferRow {
  id: string;
  property_id: string;
  transaction_id: string;
  buyer_contact_id: string | null;
  buyer_name: string | null;
  amount_cents: string;
  earnest_money_cents: string;
  financing_type: TransactionOfferView['financingType'];
  contingencies: string[];
  expires_at: Date | null;
  status: TransactionOfferView['status'];
  accepted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

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

const OPEN = ['submitted', 'countered'];
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
      const [row] = (await manager.query(
        `INSERT INTO offer (id, org_id, property_id, transaction_id, buyer_contact_id, buyer_name, amount_cents, earnest_money_cents, financing_type,
           contingencies, expires_at, status, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'submitted', $12) RETURNING *`,
        [
          id,
          actor.orgId,
          deal.property_id,
          deal.id,
          data.buyerContactId ?? null,
          buyerErased ? ERASED_CONTACT_NAME : (data.buyerName ?? null),
          data.amount,
          data.earnestMoney ?? 0,
          data.financingType,
          data.contingencies ?? [],
          data.expiresAt ?? null,
          actor.userId,
        ],
      )) as OfferRow[];
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
    const params: unknown[] = [actor.orgId];
    const where = ['o.org_id = $1', 't.deleted_at IS NULL', scopeCondition(scope, actor, params)];
    for (const [column, value] of [
      ['o.property_id', data.propertyId],
      ['o.transaction_id', data.transactionId],
      ['o.status', data.status],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'o.created_at',
        idColumn: 'o.id',
        direction: 'DESC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT o.* FROM offer o JOIN deal_transaction t ON t.id = o.transaction_id WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as OfferRow[];
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
      if (!OPEN.includes(offer.status)) throw new DomainException('conflict', DealsErrorCode.OfferNotOpen, 'The offer is no longer open');
      const status =
        data.status ??
        (data.amount !== undefined || data.contingencies !== undefined || data.earnestMoney !== undefined ? 'countered' : offer.status);
      const [rows] = (await manager.query(
        `UPDATE offer SET status = $2, amount_cents = coalesce($3, amount_cents), earnest_money_cents = coalesce($4, earnest_money_cents),
           contingencies = coalesce($5, contingencies), expires_at = CASE WHEN $6::boolean THEN $7::timestamptz ELSE expires_at END, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [
          offer.id,
          status,
          data.amount ?? null,
          data.earnestMoney ?? null,
          data.contingencies ?? null,
          data.expiresAt !== undefined,
          data.expiresAt ?? null,
        ],
      )) as [OfferRow[], number];
      const view = toOfferView(rows[0]);
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
      await manager.query(`SELECT id FROM offer WHERE org_id = $1 AND property_id = $2 FOR UPDATE`, [actor.orgId, offer.property_id]);
      const [current] = (await manager.query(`SELECT * FROM offer WHERE id = $1`, [offer.id])) as OfferRow[];
      if (!OPEN.includes(current.status)) throw new DomainException('conflict', DealsErrorCode.OfferNotOpen, 'The offer is no longer open');
      if (current.expires_at && current.expires_at.getTime() < Date.now())
        throw new DomainException('conflict', DealsErrorCode.OfferExpired, 'The offer has expired');
      const [accepted] = (await manager.query(
        `UPDATE offer SET status = 'accepted', accepted_at = now(), updated_at = now() WHERE id = $1 RETURNING *`,
        [offer.id],
      )) as [OfferRow[], number];
      const view = toOfferView(accepted[0]);
      await unit.emit(DealsEvent.offerAccepted, offer.transaction_id, actor.orgId, { offer: view });
      const [declined] = (await manager.query(
        `UPDATE offer SET status = 'rejected', updated_at = now() WHERE org_id = $1 AND property_id = $2 AND id <> $3 AND status IN ('submitted', 'countered') RETURNING *`,
        [actor.orgId, offer.property_id, offer.id],
      )) as [OfferRow[], number];
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
    const [deal] = (await manager.query(
      `SELECT id, pipeline_id, stage, status, agent_id, price_cents, buyer_contact_ids, seller_contact_ids FROM deal_transaction WHERE id = $1 FOR UPDATE`,
      [transactionId],
    )) as Array<{
      id: string;
      pipeline_id: string;
      stage: string;
      status: string;
      agent_id: string;
      price_cents: string;
      buyer_contact_ids: string[];
      seller_contact_ids: string[];
    }>;
    const pipeline = await this.pipelines.resolve(manager, actor.orgId, deal.pipeline_id);
    const target = pipeline.stages.findIndex((stage) => stage.key === OFFER_ACCEPTED_STAGE);
    const position = pipeline.stages.findIndex((stage) => stage.key === deal.stage);
    const move = deal.status === 'open' && target >= 0 && position < target;
    const stage = move ? pipeline.stages[target] : null;
    await manager.query(
      `UPDATE deal_transaction SET price_cents = $2, stage = coalesce($3, stage), probability = coalesce($4, probability), updated_at = now() WHERE id = $1`,
      [deal.id, offer.amount, stage?.key ?? null, stage?.probability ?? null],
    );
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
    const rows = (await manager.query(`SELECT * FROM offer WHERE id = $1 AND org_id = $2 FOR UPDATE`, [id, actor.orgId])) as OfferRow[];
    if (!rows.length) throw DomainException.notFound(DealsErrorCode.OfferNotFound, 'Offer');
    try {
      await findVisibleTransaction(manager, actor, scope, rows[0].transaction_id);
    } catch {
      throw DomainException.notFound(DealsErrorCode.OfferNotFound, 'Offer');
    }
    return rows[0];
  }
}
