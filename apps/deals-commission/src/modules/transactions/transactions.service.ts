import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Updateable } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsEvent,
  DealsTransactionSubjects,
  type Actor,
  type AgentTransactionListRequest,
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
import { hasPermission, scopeOf } from '@keyhouse/platform/auth';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { DealsErrorCode } from '../../deals-commission.exception';
import { CommissionStatementsService } from '../commission/commission-statements.service';
import { IdentityDirectory } from '../identity-directory.service';
import { PipelinesService } from '../pipelines/pipelines.service';
import { KeyDatesService } from '../schedule/key-dates.service';
import { actorOf, scopeCondition, scopeFor, uuid } from '../scope.util';
import { contactIdsOf, erasedAmong, erasedContactIds, withoutErasedParticipants } from '../privacy/erased-contacts.util';
import { contactReferencesOf, DealReferencesService } from './deal-references.service';
import { findVisibleTransaction, recordActivity, selectTransactions, toTransactionView, type TransactionRow } from './transaction.queries';

/** Fields whose change on a closed deal produces a new commission statement version. */
const COMMISSION_FIELDS = ['closePrice', 'closeDate', 'agentId', 'commissionPlanId', 'team'] as const;

/** The columns an update of `deal_transaction` may set. */
type TransactionPatch = Updateable<DealsCommissionDb['deal_transaction']>;

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
    private readonly references: DealReferencesService,
  ) {}

  /**
   * `POST /v1/transactions`: 403 `AGENT_OUT_OF_SCOPE` for an agent out of reach, 403
   * `COMMISSION_PLAN_CHOICE_FORBIDDEN` for a `commissionPlanId` from a caller who may not choose
   * plans, 400 `UNKNOWN_STAGE` / `WON_STAGE_NEEDS_CLOSE_PRICE_AND_DATE` / `INVALID_TEAM_SPLIT`,
   * 400 `PROPERTY_NOT_FOUND` / `CONTACT_NOT_FOUND` naming the fields whose listing or contacts the
   * caller cannot read (asked to listings and crm), 404 `PIPELINE_NOT_FOUND`, 422
   * `COMMISSION_PLAN_MISSING` when created won without a plan.
   */
  @RpcHandler(DealsTransactionSubjects.create)
  async create(envelope: RequestEnvelope<TransactionCreateRequest>): Promise<TransactionView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    if (data.commissionPlanId) assertMayChoosePlan(actor);
    const agentId = data.agentId ?? actor.userId;
    const teamIds = await this.agentTeams(envelope, actor, scope, agentId);
    const team = this.checkTeam(data.team);
    await this.checkReferences(envelope, actor, data, null);
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
      const commissionPlanId = data.commissionPlanId ? await this.statementsPlan(manager, actor.orgId, data.commissionPlanId) : null;
      await kyselyFor<DealsCommissionDb>(manager)
        .insertInto('deal_transaction')
        .values({
          id,
          org_id: actor.orgId,
          property_id: data.propertyId ?? null,
          buyer_contact_ids: data.buyerContactIds ?? [],
          seller_contact_ids: data.sellerContactIds ?? [],
          agent_id: agentId,
          agent_ids: agentIdsOf(agentId, team),
          team_ids: teamIds,
          team: JSON.stringify(team),
          side: data.side,
          price_cents: data.price,
          pipeline_id: pipeline.id,
          stage: stage.key,
          status: stage.outcome,
          probability: data.probability ?? stage.probability,
          expected_close_date: data.expectedCloseDate ?? null,
          close_date: closing.closeDate,
          close_price_cents: closing.closePrice,
          commission_plan_id: commissionPlanId,
          participants: JSON.stringify(participants),
          key_dates: JSON.stringify(data.keyDates ?? {}),
          notes: data.notes ?? null,
          created_by: actor.userId,
        })
        .execute();
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
    const given = <T>(value: T | undefined | null | ''): value is T => value !== undefined && value !== null && value !== '';
    let query = selectTransactions(kyselyFor<DealsCommissionDb>(this.dataSource))
      .where('t.org_id', '=', actor.orgId)
      .where('t.deleted_at', 'is', null)
      .where((eb) => scopeCondition(scope, actor, { agentIds: eb.ref('t.agent_ids'), teamIds: eb.ref('t.team_ids') }));
    if (given(data.agentId)) {
      const agentId = data.agentId;
      query = query.where((eb) => eb(uuid(agentId), '=', eb.fn.any('t.agent_ids')));
    }
    if (given(data.stage)) query = query.where('t.stage', '=', data.stage);
    if (given(data.pipelineId)) query = query.where('t.pipeline_id', '=', data.pipelineId);
    if (given(data.side)) query = query.where('t.side', '=', data.side);
    if (given(data.status)) query = query.where('t.status', '=', data.status);
    if (given(data.expectedCloseFrom)) query = query.where('t.expected_close_date', '>=', sql<Date>`${data.expectedCloseFrom}::date`);
    if (given(data.expectedCloseTo)) query = query.where('t.expected_close_date', '<=', sql<Date>`${data.expectedCloseTo}::date`);
    if (given(data.priceMin)) query = query.where('t.price_cents', '>=', String(data.priceMin));
    if (given(data.priceMax)) query = query.where('t.price_cents', '<=', String(data.priceMax));
    const page = keysetPage(query, { sort: sql.ref('t.created_at'), id: sql.ref('t.id'), direction: 'desc' }, data);
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toTransactionView);
  }

  /**
   * `GET /v1/agents/:agentId/transactions`: the agent's deals within the caller's reach (the list
   * and its filters). 404 `AGENT_NOT_FOUND` when the caller cannot see the agent: at `own` scope
   * anyone but the caller; otherwise whom identity does not show the caller (no such user, another
   * organization, outside a manager's teams).
   */
  @RpcHandler(DealsTransactionSubjects.listForAgent)
  async listForAgent(envelope: RequestEnvelope<AgentTransactionListRequest>): Promise<Page<TransactionView>> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const agentId = envelope.data.agentId;
    if (agentId !== actor.userId) {
      const notFound = () => DomainException.notFound(DealsErrorCode.AgentNotFound, 'Agent');
      if (scope === 'own') throw notFound();
      try {
        await this.identity.user(envelope, agentId);
      } catch (error) {
        if (error instanceof DomainException && (error.kind === 'not_found' || error.kind === 'forbidden')) throw notFound();
        throw error;
      }
    }
    return this.list(envelope);
  }

  /** One transaction; 404 `TRANSACTION_NOT_FOUND` when out of reach. */
  @RpcHandler(DealsTransactionSubjects.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<TransactionView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    return toTransactionView(await findVisibleTransaction(this.dataSource.manager, actor, scope, envelope.data.id));
  }

  /**
   * `PATCH /v1/transactions/:id`: stage, dates, notes, participants and the rest of the create
   * fields, with the create's errors. Only what changes is checked: a property or contacts the
   * deal does not have yet (400 `PROPERTY_NOT_FOUND` / `CONTACT_NOT_FOUND`), a different
   * `commissionPlanId` (403 `COMMISSION_PLAN_CHOICE_FORBIDDEN`).
   */
  @RpcHandler(DealsTransactionSubjects.update)
  async update(envelope: RequestEnvelope<TransactionUpdateRequest>): Promise<TransactionView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    if (data.propertyId || data.buyerContactIds?.length || data.sellerContactIds?.length || data.participants?.length) {
      const current = await findVisibleTransaction(this.dataSource.manager, actor, scope, data.id);
      await this.checkReferences(envelope, actor, data, current);
    }
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
      const patch: TransactionPatch = {};
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const change = <C extends keyof TransactionPatch>(
        column: C,
        field: keyof TransactionView,
        value: unknown,
        stored: TransactionPatch[C],
      ) => {
        const previous = beforeView[field];
        if (JSON.stringify(previous) === JSON.stringify(value)) return;
        patch[column] = stored;
        changes[field] = { from: previous, to: value };
      };
      const set = <C extends keyof TransactionPatch>(column: C, field: keyof TransactionView, value: TransactionPatch[C]) =>
        change(column, field, value, value);
      /** A jsonb column: compared as the value, stored as its JSON text. */
      const setJson = (column: 'participants' | 'key_dates' | 'team', field: keyof TransactionView, value: object) =>
        change(column, field, value, JSON.stringify(value));
      if (data.propertyId !== undefined) set('property_id', 'propertyId', data.propertyId);
      if (data.buyerContactIds !== undefined) set('buyer_contact_ids', 'buyerContactIds', data.buyerContactIds);
      if (data.sellerContactIds !== undefined) set('seller_contact_ids', 'sellerContactIds', data.sellerContactIds);
      if (data.side !== undefined) set('side', 'side', data.side);
      if (data.price !== undefined) set('price_cents', 'price', data.price);
      if (data.expectedCloseDate !== undefined) set('expected_close_date', 'expectedCloseDate', data.expectedCloseDate);
      if (data.probability !== undefined) set('probability', 'probability', data.probability);
      else if (stage.key !== before.stage) set('probability', 'probability', stage.probability);
      if (participants !== undefined) setJson('participants', 'participants', participants);
      if (data.keyDates !== undefined) {
        const merged = { ...before.key_dates, ...data.keyDates };
        setJson('key_dates', 'keyDates', merged);
      }
      if (data.notes !== undefined) set('notes', 'notes', data.notes);
      if (data.commissionPlanId !== undefined && data.commissionPlanId !== before.commission_plan_id) {
        assertMayChoosePlan(actor);
        if (data.commissionPlanId) await this.statementsPlan(manager, actor.orgId, data.commissionPlanId);
        set('commission_plan_id', 'commissionPlanId', data.commissionPlanId);
      }
      const nextAgent = data.agentId ?? before.agent_id;
      const nextTeam = team ?? before.team;
      if (data.agentId !== undefined) {
        set('agent_id', 'agentId', data.agentId);
        if (teamIds) patch.team_ids = teamIds;
      }
      if (team) setJson('team', 'team', team);
      if (data.agentId !== undefined || team) patch.agent_ids = agentIdsOf(nextAgent, nextTeam);
      set('pipeline_id', 'pipelineId', pipeline.id);
      set('stage', 'stage', stage.key);
      set('status', 'status', stage.outcome);
      set('close_price_cents', 'closePrice', closing.closePrice);
      set('close_date', 'closeDate', closing.closeDate);
      if (!Object.keys(changes).length) return beforeView;
      await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('deal_transaction')
        .set({ ...patch, updated_at: sql<Date>`now()` })
        .where('id', '=', before.id)
        .execute();
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
      await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('deal_transaction')
        .set({ deleted_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where('id', '=', row.id)
        .execute();
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
    const query = kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('transaction_activity as a')
      .selectAll('a')
      .where('a.transaction_id', '=', row.id);
    const page = keysetPage(query, { sort: sql.ref('a.created_at'), id: sql.ref('a.id'), direction: 'asc' }, envelope.data);
    const rows = await page.query.execute();
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
   * The property and contact ids of a create (`current` null) or of a change that the deal does not
   * have yet, asked to their owners on the caller's envelope (`DealReferencesService`). Contacts
   * crm erased are not asked: the write stores them anonymised.
   */
  private async checkReferences(
    envelope: RequestEnvelope,
    actor: Actor & { userId: string },
    data: Pick<TransactionCreateRequest, 'propertyId' | 'buyerContactIds' | 'sellerContactIds' | 'participants'>,
    current: TransactionRow | null,
  ): Promise<void> {
    const onDeal = new Set([
      ...(current?.buyer_contact_ids ?? []),
      ...(current?.seller_contact_ids ?? []),
      ...(current?.participants ?? []).flatMap((participant) => (participant.contactId ? [participant.contactId] : [])),
    ]);
    const contacts = contactReferencesOf(data).filter((reference) => !onDeal.has(reference.id));
    const erased = await erasedContactIds(
      this.dataSource.manager,
      actor.orgId,
      contacts.map((reference) => reference.id),
    );
    const propertyId = data.propertyId && data.propertyId !== current?.property_id ? data.propertyId : null;
    await this.references.assertReadable(
      envelope,
      propertyId,
      contacts.filter((reference) => !erased.has(reference.id)),
    );
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
    const plan = await kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('commission_plan')
      .select('id')
      .where('id', '=', planId)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    if (!plan)
      throw DomainException.validation(
        [{ field: 'commissionPlanId', message: 'is not a plan of this organization' }],
        DealsErrorCode.CommissionPlanNotFound,
      );
    return planId;
  }

  private async load(manager: EntityManager, orgId: string, id: string): Promise<TransactionRow> {
    return selectTransactions(kyselyFor<DealsCommissionDb>(manager))
      .where('t.id', '=', id)
      .where('t.org_id', '=', orgId)
      .executeTakeFirstOrThrow();
  }
}

/**
 * Choosing a deal's commission plan decides the brokerage's share, so it needs the commission-plan
 * permission beyond the caller's own plan: `commission-plans:write`, or `commission-plans:read` at
 * `team` or `org` scope (managers and admins; agents hold it at `own`).
 *
 * @throws DomainException 403 `COMMISSION_PLAN_CHOICE_FORBIDDEN`.
 */
function assertMayChoosePlan(actor: Actor): void {
  const read = scopeOf(actor, 'commission-plans:read');
  if (read === 'team' || read === 'org' || hasPermission(actor, 'commission-plans:write')) return;
  throw DomainException.forbidden(
    DealsErrorCode.CommissionPlanChoiceForbidden,
    'Choosing a deal’s commission plan needs the commission-plan permission of a manager or an admin',
  );
}

function agentIdsOf(agentId: string, team: Array<{ agentId: string }>): string[] {
  return [...new Set([agentId, ...team.map((member) => member.agentId)])];
}
