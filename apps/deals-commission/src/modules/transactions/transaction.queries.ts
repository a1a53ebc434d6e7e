import type { EntityManager } from 'typeorm';
import type { Actor, PermissionScope, TransactionView } from '@keyhouse/contracts';
import { DomainException } from '@keyhouse/platform/messaging';
import { DealsErrorCode } from '../../deals-commission.exception';
import { cents, scopeCondition } from '../scope.util';

export interface TransactionRow {
  id: string;
  org_id: string;
  property_id: string | null;
  buyer_contact_ids: string[];
  seller_contact_ids: string[];
  agent_id: string;
  agent_ids: string[];
  team_ids: string[];
  team: Array<{ agentId: string; shareBps: number }>;
  side: TransactionView['side'];
  price_cents: string;
  pipeline_id: string;
  stage: string;
  status: TransactionView['status'];
  probability: number;
  expected_close_date: string | null;
  close_date: string | null;
  close_price_cents: string | null;
  commission_plan_id: string | null;
  participants: TransactionView['participants'];
  key_dates: TransactionView['keyDates'];
  notes: string | null;
  created_at: Date;
  updated_at: Date;
  stage_history: TransactionView['stageHistory'] | null;
}

/** Columns of a transaction view; dates as `YYYY-MM-DD` text (never shifted by time zones). */
export const TRANSACTION_COLUMNS = `t.id, t.org_id, t.property_id, t.buyer_contact_ids, t.seller_contact_ids, t.agent_id, t.agent_ids, t.team_ids, t.team,
  t.side, t.price_cents, t.pipeline_id, t.stage, t.status, t.probability, t.expected_close_date::text AS expected_close_date,
  t.close_date::text AS close_date, t.close_price_cents, t.commission_plan_id, t.participants, t.key_dates, t.notes, t.created_at, t.updated_at`;

export const STAGE_HISTORY_COLUMN = `(SELECT json_agg(json_build_object('from', a.data->>'from', 'to', a.data->>'to',
  'at', to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'by', a.actor_id) ORDER BY a.created_at, a.id)
  FROM transaction_activity a WHERE a.transaction_id = t.id AND a.kind = 'stage_changed') AS stage_history`;

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
  const params: unknown[] = [id, actor.orgId];
  const condition = scopeCondition(scope, actor, params);
  const rows = (await manager.query(
    `SELECT ${TRANSACTION_COLUMNS}, ${STAGE_HISTORY_COLUMN} FROM deal_transaction t
     WHERE t.id = $1 AND t.org_id = $2 AND t.deleted_at IS NULL AND ${condition} ${lock ? 'FOR UPDATE OF t' : ''}`,
    params,
  )) as TransactionRow[];
  if (!rows.length) throw DomainException.notFound(DealsErrorCode.TransactionNotFound, 'Transaction');
  return rows[0];
}

/** Appends a timeline entry. */
export async function recordActivity(
  manager: EntityManager,
  orgId: string,
  transactionId: string,
  kind: string,
  actorId: string | null,
  data: object,
  id: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO transaction_activity (id, org_id, transaction_id, kind, actor_id, data) VALUES ($1, $2, $3, $4, $5, $6)`,
    [id, orgId, transactionId, kind, actorId, JSON.stringify(data)],
  );
}
