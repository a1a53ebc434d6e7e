import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsCommissionSubjects,
  DealsEvent,
  type AgentCommissionPlanView,
  type CommissionPlanBody,
  type CommissionPlanListRequest,
  type CommissionPlanUpdateRequest,
  type CommissionPlanView,
  type Page,
  type PermissionScope,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { DealsErrorCode } from '../../deals-commission.exception';
import { actorOf, cents, scopeFor } from '../scope.util';

/** A row of `commission_plan` (declared by the migrations: `deals-commission.db.ts`); money in bigint cents (text). */
export type CommissionPlanRow = Selectable<DealsCommissionDb['commission_plan']>;

export function toPlanView(row: CommissionPlanRow): CommissionPlanView {
  return {
    id: row.id,
    name: row.name,
    grossRateBps: row.gross_rate_bps,
    flatFeeCents: cents(row.flat_fee_cents),
    agentSplitBps: row.agent_split_bps,
    transactionFeeCents: cents(row.transaction_fee_cents) ?? 0,
    tiers: row.tiers,
    annualCapCents: cents(row.annual_cap_cents),
    referralFeeBps: row.referral_fee_bps,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** 400 `INVALID_COMMISSION_PLAN` unless exactly one of `grossRateBps` and `flatFeeCents` is set and tier thresholds are distinct. */
export function assertPlanTerms(plan: Omit<CommissionPlanBody, 'name'>, prefix = ''): void {
  const hasRate = plan.grossRateBps !== null && plan.grossRateBps !== undefined;
  const hasFlat = plan.flatFeeCents !== null && plan.flatFeeCents !== undefined;
  if (hasRate === hasFlat) {
    throw new DomainException(
      'validation',
      DealsErrorCode.InvalidCommissionPlan,
      'A plan has exactly one of grossRateBps and flatFeeCents',
      [{ field: `${prefix}grossRateBps`, message: 'give exactly one of grossRateBps and flatFeeCents' }],
    );
  }
  const thresholds = (plan.tiers ?? []).map((tier) => tier.thresholdCents);
  if (new Set(thresholds).size !== thresholds.length) {
    throw new DomainException('validation', DealsErrorCode.InvalidCommissionPlan, 'Tier thresholds must be distinct', [
      { field: `${prefix}tiers`, message: 'thresholds must be distinct' },
    ]);
  }
}

/**
 * Commission plans (`/v1/commission-plans`): written by admins (`commission-plans:write` at org
 * scope), read by anyone with `commission-plans:read` (at `own` scope only the caller's assigned
 * plan). Agents' plans: `PATCH /v1/agents/:agentId/commission-plan`.
 */
@Injectable()
export class CommissionPlansService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** Creates a plan: 400 `INVALID_COMMISSION_PLAN`, 409 `COMMISSION_PLAN_NAME_TAKEN`. */
  @RpcHandler(DealsCommissionSubjects.planCreate)
  async create(envelope: RequestEnvelope<CommissionPlanBody>): Promise<CommissionPlanView> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'commission-plans:write', 'org');
    const data = envelope.data;
    assertPlanTerms(data);
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      await this.assertNameFree(manager, actor.orgId, data.name);
      const id = newId();
      const row = await kyselyFor<DealsCommissionDb>(manager)
        .insertInto('commission_plan')
        .values({
          id,
          org_id: actor.orgId,
          name: data.name.trim(),
          gross_rate_bps: data.grossRateBps ?? null,
          flat_fee_cents: data.flatFeeCents ?? null,
          agent_split_bps: data.agentSplitBps,
          transaction_fee_cents: data.transactionFeeCents ?? 0,
          tiers: JSON.stringify(data.tiers ?? []),
          annual_cap_cents: data.annualCapCents ?? null,
          referral_fee_bps: data.referralFeeBps ?? 0,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = toPlanView(row);
      await unit.emit(DealsEvent.commissionPlanCreated, id, actor.orgId, { planId: id, plan: view });
      return view;
    });
  }

  /** Plans of the organization, oldest first (at `own` scope only the caller's assigned plan); 400 `INVALID_CURSOR`. */
  @RpcHandler(DealsCommissionSubjects.planList)
  async list(envelope: RequestEnvelope<CommissionPlanListRequest>): Promise<Page<CommissionPlanView>> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'commission-plans:read');
    let query = kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('commission_plan as p')
      .selectAll('p')
      .where('p.org_id', '=', actor.orgId);
    if (scope === 'own') {
      query = query.where('p.id', 'in', (eb) =>
        eb.selectFrom('agent_commission_plan').select('plan_id').where('org_id', '=', actor.orgId).where('agent_id', '=', actor.userId),
      );
    }
    const page = keysetPage(query, { sort: sql.ref('p.created_at'), id: sql.ref('p.id'), direction: 'asc' }, envelope.data);
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toPlanView);
  }

  /** One plan; 404 `COMMISSION_PLAN_NOT_FOUND` (also, at `own` scope, for a plan not assigned to the caller). */
  @RpcHandler(DealsCommissionSubjects.planGet)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CommissionPlanView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'commission-plans:read');
    return this.findReadable(this.dataSource.manager, actor, scope, envelope.data.id);
  }

  /** Changes a plan's terms. Statements already computed keep the terms they were computed with (ADR 0014). */
  @RpcHandler(DealsCommissionSubjects.planUpdate)
  async update(envelope: RequestEnvelope<CommissionPlanUpdateRequest>): Promise<CommissionPlanView> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'commission-plans:write', 'org');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.find(manager, actor.orgId, data.id, true);
      const next = {
        name: data.name?.trim() ?? before.name,
        grossRateBps: data.grossRateBps !== undefined ? data.grossRateBps : before.grossRateBps,
        flatFeeCents: data.flatFeeCents !== undefined ? data.flatFeeCents : before.flatFeeCents,
        agentSplitBps: data.agentSplitBps ?? before.agentSplitBps,
        transactionFeeCents: data.transactionFeeCents ?? before.transactionFeeCents,
        tiers: data.tiers ?? before.tiers,
        annualCapCents: data.annualCapCents !== undefined ? data.annualCapCents : before.annualCapCents,
        referralFeeBps: data.referralFeeBps ?? before.referralFeeBps,
      };
      // Giving one of rate / flat fee replaces the other.
      if (data.grossRateBps !== undefined && data.grossRateBps !== null && data.flatFeeCents === undefined) next.flatFeeCents = null;
      if (data.flatFeeCents !== undefined && data.flatFeeCents !== null && data.grossRateBps === undefined) next.grossRateBps = null;
      assertPlanTerms(next);
      if (next.name.toLowerCase() !== before.name.toLowerCase()) await this.assertNameFree(manager, actor.orgId, next.name);
      const row = await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('commission_plan')
        .set({
          name: next.name,
          gross_rate_bps: next.grossRateBps,
          flat_fee_cents: next.flatFeeCents,
          agent_split_bps: next.agentSplitBps,
          transaction_fee_cents: next.transactionFeeCents,
          tiers: JSON.stringify(next.tiers),
          annual_cap_cents: next.annualCapCents,
          referral_fee_bps: next.referralFeeBps,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = toPlanView(row);
      await unit.emit(DealsEvent.commissionPlanUpdated, before.id, actor.orgId, { planId: before.id, plan: view });
      return view;
    });
  }

  /** Assigns `planId` to the agent (`commission-plans:write` at org scope). */
  @RpcHandler(DealsCommissionSubjects.agentPlanSet)
  async setAgentPlan(envelope: RequestEnvelope<{ agentId: string; planId: string }>): Promise<AgentCommissionPlanView> {
    const actor = actorOf(envelope);
    scopeFor(actor, 'commission-plans:write', 'org');
    const { agentId, planId } = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      await this.find(manager, actor.orgId, planId);
      const row = await kyselyFor<DealsCommissionDb>(manager)
        .insertInto('agent_commission_plan')
        .values({ org_id: actor.orgId, agent_id: agentId, plan_id: planId })
        .onConflict((conflict) =>
          conflict
            .columns(['org_id', 'agent_id'])
            .doUpdateSet((eb) => ({ plan_id: eb.ref('excluded.plan_id'), updated_at: sql<Date>`now()` })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      await unit.emit(DealsEvent.agentCommissionPlanAssigned, agentId, actor.orgId, { agentId, planId });
      return { agentId: row.agent_id, planId: row.plan_id, updatedAt: row.updated_at.toISOString() };
    });
  }

  /** The agent's plan; at `own` scope only the caller's own. 404 `COMMISSION_PLAN_NOT_FOUND` when none is assigned. */
  @RpcHandler(DealsCommissionSubjects.agentPlanGet)
  async getAgentPlan(envelope: RequestEnvelope<{ agentId: string }>): Promise<AgentCommissionPlanView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'commission-plans:read');
    if (scope === 'own' && envelope.data.agentId !== actor.userId) throw DomainException.forbidden();
    const row = await kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('agent_commission_plan')
      .selectAll()
      .where('org_id', '=', actor.orgId)
      .where('agent_id', '=', envelope.data.agentId)
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(DealsErrorCode.CommissionPlanNotFound, 'Commission plan');
    return { agentId: row.agent_id, planId: row.plan_id, updatedAt: row.updated_at.toISOString() };
  }

  /** A plan of the organization; 404 `COMMISSION_PLAN_NOT_FOUND`. */
  async find(manager: EntityManager, orgId: string, id: string, lock = false): Promise<CommissionPlanView> {
    let query = kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('commission_plan')
      .selectAll()
      .where('id', '=', id)
      .where('org_id', '=', orgId);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw DomainException.notFound(DealsErrorCode.CommissionPlanNotFound, 'Commission plan');
    return toPlanView(row);
  }

  /**
   * A plan the actor may read with `commission-plans:read` at `scope`: any plan of their
   * organization at `team` or `org` scope, at `own` scope only the plan assigned to them.
   *
   * @throws DomainException 404 `COMMISSION_PLAN_NOT_FOUND` otherwise (another organization's plan
   *   and one the caller may not read look the same).
   */
  async findReadable(
    manager: EntityManager,
    actor: { orgId: string; userId: string },
    scope: PermissionScope,
    id: string,
  ): Promise<CommissionPlanView> {
    const plan = await this.find(manager, actor.orgId, id);
    if (scope === 'own') {
      const assigned = await kyselyFor<DealsCommissionDb>(manager)
        .selectFrom('agent_commission_plan')
        .select((eb) => eb.lit(1).as('one'))
        .where('org_id', '=', actor.orgId)
        .where('agent_id', '=', actor.userId)
        .where('plan_id', '=', plan.id)
        .executeTakeFirst();
      if (!assigned) throw DomainException.notFound(DealsErrorCode.CommissionPlanNotFound, 'Commission plan');
    }
    return plan;
  }

  /** The plan id that applies to a deal: its override, else its agent's plan, else null. */
  async planIdFor(manager: EntityManager, orgId: string, agentId: string, override: string | null): Promise<string | null> {
    if (override) return override;
    const row = await kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('agent_commission_plan')
      .select('plan_id')
      .where('org_id', '=', orgId)
      .where('agent_id', '=', agentId)
      .executeTakeFirst();
    return row?.plan_id ?? null;
  }

  private async assertNameFree(manager: EntityManager, orgId: string, name: string): Promise<void> {
    const taken = await kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('commission_plan')
      .select((eb) => eb.lit(1).as('one'))
      .where('org_id', '=', orgId)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', eb.fn('lower', [eb.val(name.trim())])))
      .executeTakeFirst();
    if (taken) throw new DomainException('conflict', DealsErrorCode.CommissionPlanNameTaken, 'A commission plan with this name exists');
  }
}
