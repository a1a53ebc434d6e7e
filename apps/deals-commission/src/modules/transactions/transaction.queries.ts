import { sql, type Kysely, type Selectable } from 'kysely';
import type { EntityManager } from 'typeorm';
import type { Actor, PermissionScope, TransactionStageChange, TransactionView } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import type { TransactionActivityKind } from '../../database/deals-commission-json.type';
import { DealsErrorCode } from '../../deals-commission.exception';
import { cents, scopeCondition } from '../scope.util';

/**
 * A deal as `selectTransactions` reads it (declared by the migrations: `deals-commission.db.ts`):
 * the columns of a `TransactionView`, its dates as `YYYY-MM-DD` text (never shifted by time zones)
 * and its stage history (null when it has none).
 */
export type TransactionRow = Omit<
  Selectable<DealsCommissionDb['deal_transaction']>,
  'expected_close_date' | 'close_date' | 'created_by' | 'deleted_at'
> & {
  expected_close_date: string | null;
  close_date: string | null;
  stage_history: TransactionStageChange[] | null;
};

/**
 * The deals of `deal_transaction t` with the columns of a `TransactionRow` (stage history from the
 * `stage_changed` timeline entries, oldest first); callers add their conditions.
 */
export function selectTransactions(db: Kysely<DealsCommissionDb>) {
  return db.selectFrom('deal_transaction as t').select((eb) => [
    't.id',
    't.org_id',
    't.property_id',
    't.buyer_contact_ids',
    't.seller_contact_ids',
    't.agent_id',
    't.agent_ids',
    't.team_ids',
    't.team',
    't.side',
    't.price_cents',
    't.pipeline_id',
    't.stage',
    't.status',
    't.probability',
    eb.cast<string | null>('t.expected_close_date', 'text').as('expected_close_date'),
    eb.cast<string | null>('t.close_date', 'text').as('close_date'),
    't.close_price_cents',
    't.commission_plan_id',
    't.participants',
    't.key_dates',
    't.notes',
    't.created_at',
    't.updated_at',
    eb
      .selectFrom('transaction_activity as a')
      .select(
        sql<TransactionStageChange[]>`json_agg(json_build_object('from', a.data->>'from', 'to', a.data->>'to',
          'at', to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'by', a.actor_id) ORDER BY a.created_at, a.id)`.as(
          'stage_history',
        ),
      )
      .whereRef('a.transaction_id', '=', 't.id')
      .where('a.kind', '=', 'stage_changed')
      .as('stage_history'),
  ]);
}

export function toTransactionView(row: TransactionRow): TransactionView {
  return {
    id: row.id,
    orgId: row.org_id,
    propertyId: row.property_id,
    buyerContactIds: row.buyer_contact_ids,
    sellerContactIds: row.seller_contact_ids,
    agentId: row.agent_id,
    team: row.team,
    side: row.side,
    price: cents(row.price_cents) ?? 0,
    pipelineId: row.pipeline_id,
    stage: row.stage,
    status: row.status,
    probability: row.probability,
    expectedCloseDate: row.expected_close_date,
    closeDate: row.close_date,
    closePrice: cents(row.close_price_cents),
    commissionPlanId: row.commission_plan_id,
    participants: row.participants,
    keyDates: row.key_dates,
    notes: row.notes,
    stageHistory: row.stage_history ?? [],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The transaction `id` if it is in the actor's organization, not deleted and within `scope`;
 * otherwise 404 `TRANSACTION_NOT_FOUND` (another organization's record and one outside the
 * caller's scope look the same: nothing to see). `lock` takes a row lock for an update.
 */
export async function findVisibleTransaction(
  manager: EntityManager,
  actor: Actor & { userId: string },
  scope: PermissionScope,
  id: string,
  lock = false,
): Promise<TransactionRow> {
  let query = selectTransactions(kyselyFor<DealsCommissionDb>(manager))
    .where('t.id', '=', id)
    .where('t.org_id', '=', actor.orgId)
    .where('t.deleted_at', 'is', null)
    .where((eb) => scopeCondition(scope, actor, { agentIds: eb.ref('t.agent_ids'), teamIds: eb.ref('t.team_ids') }));
  if (lock) query = query.forUpdate('t');
  const row = await query.executeTakeFirst();
  if (!row) throw DomainException.notFound(DealsErrorCode.TransactionNotFound, 'Transaction');
  return row;
}

/** Appends a timeline entry (`data` stored as JSON). */
export async function recordActivity(
  manager: EntityManager,
  orgId: string,
  transactionId: string,
  kind: TransactionActivityKind,
  actorId: string | null,
  data: object,
  id: string,
): Promise<void> {
  await kyselyFor<DealsCommissionDb>(manager)
    .insertInto('transaction_activity')
    .values({ id, org_id: orgId, transaction_id: transactionId, kind, actor_id: actorId, data: JSON.stringify(data) })
    .execute();
}
