import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsEvent,
  DealsTransactionSubjects,
  type Actor,
  type Page,
  type PermissionScope,
  type RequestEnvelope,
  type TransactionCreateRequest,
  type TransactionListRequest,
  type TransactionPipelineStage,
  type TransactionPipelineView,
  type TransactionTimelineEntry,
  type TransactionTimelineRequest,
  type TransactionUpdateRequest,
  type TransactionView,
} from '@keyhouse/contracts';
import { keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { DealsErrorCode } from '../../deals-commission.exception';
import { CommissionStatementsService } from '../commission/commission-statements.service';
import { IdentityDirectory } from '../identity-directory.service';
import { PipelinesService } from '../pipelines/pipelines.service';
import { KeyDatesService } from '../schedule/key-dates.service';
import { actorOf, pageOrThrow, scopeCondition, scopeFor } from '../scope.util';
import { contactIdsOf, erasedAmong, withoutErasedParticipants } from '../privacy/erased-contacts';
import {
  findVisibleTransaction,
  recordActivity,
  STAGE_HISTORY_COLUMN,
  TRANSACTION_COLUMNS,
  toTransactionView,
  type TransactionRow,
} from './transaction.queries';

/** Fields whose change on a closed deal produces a new commission statement version. */
const COMMISSION_FIELDS = ['closePrice', 'closeDate', 'agentId', 'commissionPlanId', 'team'] as const;

/**
 * Transactions (deals) through a pipeline. Scope (`transactions:read|write`): `own` = deals the
 * caller is an agent on, `team` = also deals of the caller's teams, `org` = all of the organization.
 * A deal outside the caller's reach is a 404 `TRANSACTION_NOT_FOUND`, whichever organization it is
 * in. Stage changes are validated (a won stage needs `closePrice` and `closeDate`), recorded in the
 * stage history and emitted as `deals.transaction.stage_changed`; reaching a won stage stores the
 * commission statement (version n+1 on later changes).
 */
@Injectable()
export class TransactionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pipelines: PipelinesService,
    private readonly statements: CommissionStatementsService,
    private readonly identity: IdentityDirectory,
    private readonly unitOfWork: UnitOfWork,
    private readonly keyDates: KeyDatesService,
  ) {}

  /** `POST /v1/transactions`: 403 `AGENT_OUT_OF_SCOPE` for an agent out of reach, 400 `UNKNOWN_STAGE` / `WON_STAGE_NEEDS_CLOSE_PRICE_AND_DATE` / `INVALID_TEAM_SPLIT`, 404 `PIPELINE_NOT_FOUND`, 422 `COMMISSION_PLAN_MISSING` when created won without a plan. */
  @RpcHandler(DealsTransactionSubjects.create)
  async create(envelope: RequestEnvelope<TransactionCreateRequest>): Promise<TransactionView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    const agentId = data.agentId ?? actor.userId;
    const teamIds = await this.agentTeams(envelope, actor, scope, agentId);
    const team = this.checkTeam(data.team);
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      // First (before any row lock): participants linked to an erased contact are stored anonymised.
      const participants = withoutErasedParticipants(
        data.participants ?? [],
        await erasedAmong(manager, actor.orgId, contactIdsOf(data.participants)),
      );
      const pipeline = await this.pipelines.resolve(manager, actor.orgId, data.pipelineId);
      const stage = this.stageOf(pipeline, data.stage ?? pipeline.stages[0].key);
      const closing = this.closeFields(stage, data.closePrice, data.closeDate);
      const id = newId();
      await manager.query(
        `INSERT INTO deal_transaction (id, org_id, property_id, buyer_contact_ids, seller_contact_ids, agent_id, agent_ids, team_ids, team, side,
           price_cents, pipeline_id, stage, status, probability, expected_close_date, close_date, close_price_cents, commission_plan_id,
           participants, key_dates, notes, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
        [
          id,
          actor.orgId,
          data.propertyId ?? null,
          data.buyerContactIds ?? [],
          data.sellerContactIds ?? [],
          agentId,
          agentIdsOf(agentId, team),
          teamIds,
          JSON.stringify(team),
          data.side,
          data.price,
          pipeline.id,
          stage.key,
          stage.outcome,
          data.probability ?? stage.probability,
          data.expectedCloseDate ?? null,
          closing.closeDate,
          closing.closePrice,
          data.commissionPlanId ? await this.statementsPlan(manager, actor.orgId, data.commissionPlanId) : null,
          JSON.stringify(participants),
          JSON.stringify(data.keyDates ?? {}),
          data.notes ?? null,
          actor.userId,
        ],
      );
      await recordActivity(manager, actor.orgId, id, 'created', actor.userId, { stage: stage.key, price: data.price }, newId());
      await this.keyDates.sync(manager, actor.orgId, id, data.keyDates ?? {});
      await recordActivity(manager, actor.orgId, id, 'stage_changed', actor.userId, { from: null, to: stage.key }, newId());
      const row = await this.load(manager, actor.orgId, id);
      await unit.emit(DealsEvent.transactionCreated, id, actor.orgId, { transaction: toTransactionView(row) });
      await this.emitStageChanged(unit, row, null, stage);
      if (stage.outcome === 'won') await this.close(unit, row);
      return toTransactionView(await this.load(manager, actor.orgId, id));
    });
  }

  /** Transactions within the caller's scope, newest first (filters: agent, stage, pipeline, side, status, expected-close and price ranges); 400 `INVALID_CURSOR`. */
  @RpcHandler(DealsTransactionSubjects.list)
  async list(envelope: RequestEnvelope<TransactionListRequest>): Promise<Page<TransactionView>> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const data = envelope.data;
    const params: unknown[] = [actor.orgId];
    const where = ['t.org_id = $1', 't.deleted_at IS NULL', scopeCondition(scope, actor, params)];
    const add = (sql: (n: string) => string, value: unknown) => {
      if (value === undefined || value === null || value === '') return;
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    add((n) => `${n}::uuid = ANY(t.agent_ids)`, data.agentId);
    add((n) => `t.stage = ${n}`, data.stage);
    add((n) => `t.pipeline_id = ${n}`, data.pipelineId);
    add((n) => `t.side = ${n}`, data.side);
    add((n) => `t.status = ${n}`, data.status);
    add((n) => `t.expected_close_date >= ${n}::date`, data.expectedCloseFrom);
    add((n) => `t.expected_close_date <= ${n}::date`, data.expectedCloseTo);
    add((n) => `t.price_cents >= ${n}`, data.priceMin);
    add((n) => `t.price_cents <= ${n}`, data.priceMax);
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 't.created_at',
        idColumn: 't.id',
        direction: 'DESC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT ${TRANSACTION_COLUMNS}, ${STAGE_HISTORY_COLUMN} FROM deal_transaction t WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as TransactionRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toTransactionView);
  }

  /** One transaction; 404 `TRANSACTION_NOT_FOUND` when out of reach. */
  @RpcHandler(DealsTransactionSubjects.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<TransactionView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    return toTransactionView(await findVisibleTransaction(this.dataSource.manager, actor, scope, envelope.data.id));
  }

  /** `PATCH /v1/transactions/:id`: stage, dates, notes, participants and the rest of the create fields. */
  @RpcHandler(DealsTransactionSubjects.update)
  async update(envelope: RequestEnvelope<TransactionUpdateRequest>): Promise<TransactionView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    const teamIds = data.agentId !== undefined ? await this.agentTeams(envelope, actor, scope, data.agentId) : null;
    const team = data.team !== undefined ? this.checkTeam(data.team) : null;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      // First (before the row lock): participants linked to an erased contact are stored anonymised.
      const participants =
        data.participants === undefined
          ? undefined
          : withoutErasedParticipants(data.participants, await erasedAmong(manager, actor.orgId, contactIdsOf(data.participants)));
      const before = await findVisibleTransaction(manager, actor, scope, data.id, true);
      const beforeView = toTransactionView(before);
      const pipeline = await this.pipelines.resolve(manager, actor.orgId, data.pipelineId ?? before.pipeline_id);
      const stageKey = data.stage ?? (pipeline.id === before.pipeline_id ? before.stage : undefined);
      if (!stageKey) throw DomainException.validation([{ field: 'stage', message: 'give the stage in the new pipeline' }]);
      const fromStage = pipeline.stages.find((candidate) => candidate.key === before.stage) ?? null;
      const stage = this.stageOf(pipeline, stageKey);
      const closing = this.closeFields(
        stage,
        data.closePrice ?? (before.close_price_cents === null ? undefined : Number(before.close_price_cents)),
        data.closeDate ?? before.close_date ?? undefined,
      );
      const sets: string[] = [];
      const params: unknown[] = [before.id];
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const set = (column: string, field: keyof TransactionView, value: unknown, stored: unknown = value) => {
        const previous = beforeView[field];
        if (JSON.stringify(previous) === JSON.stringify(value)) return;
        params.push(stored);
        sets.push(`${column} = $${params.length}`);
        changes[field] = { from: previous, to: value };
      };
      if (data.propertyId !== undefined) set('property_id', 'propertyId', data.propertyId);
      if (data.buyerContactIds !== undefined) set('buyer_contact_ids', 'buyerContactIds', data.buyerContactIds);
      if (data.sellerContactIds !== undefined) set('seller_contact_ids', 'sellerContactIds', data.sellerContactIds);
      if (data.side !== undefined) set('side', 'side', data.side);
      if (data.price !== undefined) set('price_cents', 'price', data.price);
      if (data.expectedCloseDate !== undefined) set('expected_close_date', 'expectedCloseDate', data.expectedCloseDate);
      if (data.probability !== undefined) set('probability', 'probability', data.probability);
      else if (stage.key !== before.stage) set('probability', 'probability', stage.probability);
      if (participants !== undefined) set('participants', 'participants', participants, JSON.stringify(participants));
      if (data.keyDates !== undefined) {
        const merged = { ...before.key_dates, ...data.keyDates };
        set('key_dates', 'keyDates', merged, JSON.stringify(merged));
      }
      if (data.notes !== undefined) set('notes', 'notes', data.notes);
      if (data.commissionPlanId !== undefined) {
        if (data.commissionPlanId) await this.statementsPlan(manager, actor.orgId, data.commissionPlanId);
        set('commission_plan_id', 'commissionPlanId', data.commissionPlanId);
      }
      const nextAgent = data.agentId ?? before.agent_id;
      const nextTeam = team ?? before.team;
      if (data.agentId !== undefined) {
        set('agent_id', 'agentId', data.agentId);
        if (teamIds) {
          params.push(teamIds);
          sets.push(`team_ids = $${params.length}`);
        }
      }
      if (team) set('team', 'team', team, JSON.stringify(team));
      if (data.agentId !== undefined || team) {
        params.push(agentIdsOf(nextAgent, nextTeam));
        sets.push(`agent_ids = $${params.length}`);
      }
      set('pipeline_id', 'pipelineId', pipeline.id);
      set('stage', 'stage', stage.key);
      set('status', 'status', stage.outcome);
      set('close_price_cents', 'closePrice', closing.closePrice);
      set('close_date', 'closeDate', closing.closeDate);
      if (!Object.keys(changes).length) return beforeView;
      await manager.query(`UPDATE deal_transaction SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params);
      await recordActivity(manager, actor.orgId, before.id, 'updated', actor.userId, { changes }, newId());
      if ('keyDates' in changes)
        await this.keyDates.sync(manager, actor.orgId, before.id, changes.keyDates.to as TransactionView['keyDates']);
      const stageChanged = stage.key !== before.stage || pipeline.id !== before.pipeline_id;
      if (stageChanged)
        await recordActivity(
          manager,
          actor.orgId,
          before.id,
          'stage_changed',
          actor.userId,
          { from: before.stage, to: stage.key },
          newId(),
        );
      const row = await this.load(manager, actor.orgId, before.id);
      await unit.emit(DealsEvent.transactionUpdated, row.id, actor.orgId, { transactionId: row.id, changes });
      if (stageChanged) await this.emitStageChanged(unit, row, fromStage?.key ?? before.stage, stage);
      if (stage.outcome === 'won') {
        const commissionChanged = before.status !== 'won' || COMMISSION_FIELDS.some((field) => field in changes);
        if (commissionChanged) await this.close(unit, row, before.status === 'won');
      } else if (before.status === 'won') {
        await this.statements.retire(manager, row.id);
      }
      return toTransactionView(await this.load(manager, actor.orgId, row.id));
    });
  }

  /** Soft-deletes an open or lost transaction; 409 `TRANSACTION_CLOSED` for a won one (its statements are books of record). */
  @RpcHandler(DealsTransactionSubjects.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const row = await findVisibleTransaction(manager, actor, scope, envelope.data.id, true);
      if (row.status === 'won')
        throw new DomainException(
          'conflict',
          DealsErrorCode.TransactionClosed,
          'A closed transaction cannot be deleted; move it out of the won stage first',
        );
      await manager.query(`UPDATE deal_transaction SET deleted_at = now(), updated_at = now() WHERE id = $1`, [row.id]);
      await recordActivity(manager, actor.orgId, row.id, 'deleted', actor.userId, {}, newId());
      await unit.emit(DealsEvent.transactionDeleted, row.id, actor.orgId, {
        transactionId: row.id,
        buyerContactIds: row.buyer_contact_ids,
        sellerContactIds: row.seller_contact_ids,
      });
    });
  }

  /** `GET /v1/transactions/:id/timeline`: creation, changes, stage moves and statements, oldest first. */
  @RpcHandler(DealsTransactionSubjects.timeline)
  async timeline(envelope: RequestEnvelope<TransactionTimelineRequest>): Promise<Page<TransactionTimelineEntry>> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const row = await findVisibleTransaction(this.dataSource.manager, actor, scope, envelope.data.id);
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'a.created_at',
        idColumn: 'a.id',
        direction: 'ASC',
        cursor: envelope.data.cursor,
        limit: envelope.data.limit,
        firstParam: 2,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT a.* FROM transaction_activity a WHERE a.transaction_id = $1 AND ${page.where} ${page.tail}`,
      [row.id, ...page.params],
    )) as Array<{
      id: string;
      kind: TransactionTimelineEntry['kind'];
      data: Record<string, unknown>;
      actor_id: string | null;
      created_at: Date;
    }>;
    return toPage(
      rows,
      page.limit,
      (entry) => ({ v: entry.created_at, id: entry.id }),
      (entry) => ({ id: entry.id, kind: entry.kind, at: entry.created_at.toISOString(), actorId: entry.actor_id, data: entry.data }),
    );
  }

  /** The deal reached (or changed within) its won stage: the next statement version, and `deals.transaction.closed` the first time. */
  private async close(unit: UnitOfWorkContext, row: TransactionRow, wasWon = false): Promise<void> {
    const statement = await this.statements.computeOnClose(unit, row);
    if (!wasWon) {
      await unit.emit(DealsEvent.transactionClosed, row.id, row.org_id, {
        transactionId: row.id,
        agentId: row.agent_id,
        closePrice: Number(row.close_price_cents),
        closeDate: row.close_date,
        statementId: statement?.id ?? null,
        buyerContactIds: row.buyer_contact_ids,
        sellerContactIds: row.seller_contact_ids,
      });
    }
  }

  private async emitStageChanged(
    unit: UnitOfWorkContext,
    row: TransactionRow,
    from: string | null,
    stage: TransactionPipelineStage,
  ): Promise<void> {
    await unit.emit(DealsEvent.transactionStageChanged, row.id, row.org_id, {
      transactionId: row.id,
      pipelineId: row.pipeline_id,
      from,
      to: stage.key,
      outcome: stage.outcome,
      agentId: row.agent_id,
      closePrice: row.close_price_cents === null ? null : Number(row.close_price_cents),
      closeDate: row.close_date,
      buyerContactIds: row.buyer_contact_ids,
      sellerContactIds: row.seller_contact_ids,
    });
  }

  private stageOf(pipeline: TransactionPipelineView, key: string): TransactionPipelineStage {
    const stage = pipeline.stages.find((candidate) => candidate.key === key);
    if (!stage) {
      throw DomainException.validation(
        [{ field: 'stage', message: `must be one of ${pipeline.stages.map((candidate) => candidate.key).join(', ')}` }],
        DealsErrorCode.UnknownStage,
      );
    }
    return stage;
  }

  /** A won stage needs the final price and the close date (400 naming the missing fields); other stages keep what they have. */
  private closeFields(
    stage: TransactionPipelineStage,
    closePrice: number | undefined,
    closeDate: string | undefined,
  ): { closePrice: number | null; closeDate: string | null } {
    if (stage.outcome === 'won') {
      const errors = [
        ...(closePrice === undefined ? [{ field: 'closePrice', message: 'is required to move to a won stage' }] : []),
        ...(closeDate === undefined ? [{ field: 'closeDate', message: 'is required to move to a won stage' }] : []),
      ];
      if (errors.length) throw DomainException.validation(errors, DealsErrorCode.WonStageNeedsClose);
    }
    return { closePrice: closePrice ?? null, closeDate: closeDate ?? null };
  }

  private checkTeam(team: TransactionCreateRequest['team']): Array<{ agentId: string; shareBps: number }> {
    if (!team?.length) return [];
    const total = team.reduce((sum, member) => sum + member.shareBps, 0);
    const ids = new Set(team.map((member) => member.agentId));
    if (total !== 10_000 || ids.size !== team.length) {
      throw DomainException.validation(
        [{ field: 'team', message: 'shares must sum to 10000 basis points, one entry per agent' }],
        DealsErrorCode.InvalidTeamSplit,
      );
    }
    return team.map((member) => ({ agentId: member.agentId, shareBps: member.shareBps }));
  }

  /**
   * Teams of the deal's agent, which decide managers' reach. The caller's own from the token; another
   * agent's from identity on the caller's envelope (so identity's scope applies). 403
   * `AGENT_OUT_OF_SCOPE` when an agent names someone else, or a manager someone outside their teams.
   */
  private async agentTeams(
    envelope: RequestEnvelope,
    actor: Actor & { userId: string },
    scope: PermissionScope,
    agentId: string,
  ): Promise<string[]> {
    if (agentId === actor.userId) return actor.teamIds;
    if (scope === 'own')
      throw DomainException.forbidden(DealsErrorCode.AgentOutOfScope, 'Agents create and move only their own transactions');
    let teamIds: string[];
    try {
      teamIds = (await this.identity.user(envelope, agentId)).teamIds;
    } catch (error) {
      if (error instanceof DomainException && (error.kind === 'not_found' || error.kind === 'forbidden')) {
        // A manager cannot see users outside their teams: out of scope. For an admin the user does not exist.
        if (scope === 'team')
          throw DomainException.forbidden(DealsErrorCode.AgentOutOfScope, 'Managers assign deals only to agents of their teams');
        throw DomainException.validation(
          [{ field: 'agentId', message: 'is not a user of this organization you can reach' }],
          DealsErrorCode.AgentOutOfScope,
        );
      }
      throw error;
    }
    if (scope === 'team' && !teamIds.some((id) => actor.teamIds.includes(id))) {
      throw DomainException.forbidden(DealsErrorCode.AgentOutOfScope, 'Managers assign deals only to agents of their teams');
    }
    return teamIds;
  }

  private async statementsPlan(manager: EntityManager, orgId: string, planId: string): Promise<string> {
    const rows = (await manager.query(`SELECT id FROM commission_plan WHERE id = $1 AND org_id = $2`, [planId, orgId])) as unknown[];
    if (!rows.length)
      throw DomainException.validation(
        [{ field: 'commissionPlanId', message: 'is not a plan of this organization' }],
        DealsErrorCode.CommissionPlanNotFound,
      );
    return planId;
  }

  private async load(manager: EntityManager, orgId: string, id: string): Promise<TransactionRow> {
    const rows = (await manager.query(
      `SELECT ${TRANSACTION_COLUMNS}, ${STAGE_HISTORY_COLUMN} FROM deal_transaction t WHERE t.id = $1 AND t.org_id = $2`,
      [id, orgId],
    )) as TransactionRow[];
    return rows[0];
  }
}

function agentIdsOf(agentId: string, team: Array<{ agentId: string }>): string[] {
  return [...new Set([agentId, ...team.map((member) => member.agentId)])];
}
