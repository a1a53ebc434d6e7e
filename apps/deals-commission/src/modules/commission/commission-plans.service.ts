import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { DealsErrorCode } from '../../deals-commission.exception';
import { actorOf, cents, pageOrThrow, scopeFor } from '../scope.util';

interface PlanRow {
  id: string;
  name: string;
  gross_rate_bps: number | null;
  flat_fee_cents: string | null;
  agent_split_bps: number;
  transaction_fee_cents: string;
  tiers: Array<{ thresholdCents: number; agentSplitBps: number }>;
  annual_cap_cents: string | null;
  referral_fee_bps: number;
  created_at: Date;
  updated_at: Date;
}

export function toPlanView(row: PlanRow): CommissionPlanView {
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
      const [row] = (await manager.query(
        `INSERT INTO commission_plan (id, org_id, name, gross_rate_bps, flat_fee_cents, agent_split_bps, transaction_fee_cents, tiers, annual_cap_cents, referral_fee_bps)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          id,
          actor.orgId,
          data.name.trim(),
          data.grossRateBps ?? null,
          data.flatFeeCents ?? null,
          data.agentSplitBps,
          data.transactionFeeCents ?? 0,
          JSON.stringify(data.tiers ?? []),
          data.annualCapCents ?? null,
          data.referralFeeBps ?? 0,
        ],
      )) as PlanRow[];
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
    const params: unknown[] = [actor.orgId];
    let filter = 'TRUE';
    if (scope === 'own') {
      params.push(actor.userId);
      filter = `p.id IN (SELECT plan_id FROM agent_commission_plan WHERE org_id = $1 AND agent_id = $${params.length})`;
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'p.created_at',
        idColumn: 'p.id',
        direction: 'ASC',
        cursor: envelope.data.cursor,
        limit: envelope.data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT p.* FROM commission_plan p WHERE p.org_id = $1 AND ${filter} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as PlanRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toPlanView);
  }

  /** One plan; 404 `COMMISSION_PLAN_NOT_FOUND` (also, at `own` scope, for a plan not assigned to the caller). */
  @RpcHandler(DealsCommissionSubjects.planGet)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CommissionPlanView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'commission-plans:read');
    const plan = await this.find(this.dataSource.manager, actor.orgId, envelope.data.id);
    if (scope === 'own') {
      const assigned = (await this.dataSource.query(
        `SELECT 1 FROM agent_commission_plan WHERE org_id = $1 AND agent_id = $2 AND plan_id = $3`,
        [actor.orgId, actor.userId, plan.id],
      )) as unknown[];
      if (!assigned.length) throw DomainException.notFound(DealsErrorCode.CommissionPlanNotFound, 'Commission plan');
    }
    return plan;
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
      const [rows] = (await manager.query(
        `UPDATE commission_plan SET name = $2, gross_rate_bps = $3, flat_fee_cents = $4, agent_split_bps = $5, transaction_fee_cents = $6,
           tiers = $7, annual_cap_cents = $8, referral_fee_bps = $9, updated_at = now() WHERE id = $1 RETURNING *`,
        [
          before.id,
          next.name,
          next.grossRateBps,
          next.flatFeeCents,
          next.agentSplitBps,
          next.transactionFeeCents,
          JSON.stringify(next.tiers),
          next.annualCapCents,
          next.referralFeeBps,
        ],
      )) as [PlanRow[], number];
      const view = toPlanView(rows[0]);
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
      const [row] = (await manager.query(
        `INSERT INTO agent_commission_plan (org_id, agent_id, plan_id) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, agent_id) DO UPDATE SET plan_id = EXCLUDED.plan_id, updated_at = now() RETURNING *`,
        [actor.orgId, agentId, planId],
      )) as Array<{ agent_id: string; plan_id: string; updated_at: Date }>;
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
    const rows = (await this.dataSource.query(`SELECT * FROM agent_commission_plan WHERE org_id = $1 AND agent_id = $2`, [
      actor.orgId,
      envelope.data.agentId,
    ])) as Array<{
      agent_id: string;
      plan_id: string;
      updated_at: Date;
    }>;
    if (!rows.length) throw DomainException.notFound(DealsErrorCode.CommissionPlanNotFound, 'Commission plan');
    return { agentId: rows[0].agent_id, planId: rows[0].plan_id, updatedAt: rows[0].updated_at.toISOString() };
  }

  /** A plan of the organization; 404 `COMMISSION_PLAN_NOT_FOUND`. */
  async find(manager: EntityManager, orgId: string, id: string, lock = false): Promise<CommissionPlanView> {
    const rows = (await manager.query(`SELECT * FROM commission_plan WHERE id = $1 AND org_id = $2 ${lock ? 'FOR UPDATE' : ''}`, [
      id,
      orgId,
    ])) as PlanRow[];
    if (!rows.length) throw DomainException.notFound(DealsErrorCode.CommissionPlanNotFound, 'Commission plan');
    return toPlanView(rows[0]);
  }

  /** The plan id that applies to a deal: its override, else its agent's plan, else null. */
  async planIdFor(manager: EntityManager, orgId: string, agentId: string, override: string | null): Promise<string | null> {
    if (override) return override;
    const rows = (await manager.query(`SELECT plan_id FROM agent_commission_plan WHERE org_id = $1 AND agent_id = $2`, [
      orgId,
      agentId,
    ])) as Array<{ plan_id: string }>;
    return rows[0]?.plan_id ?? null;
  }

  private async assertNameFree(manager: EntityManager, orgId: string, name: string): Promise<void> {
    const taken = (await manager.query(`SELECT 1 FROM commission_plan WHERE org_id = $1 AND lower(name) = lower($2)`, [
      orgId,
      name.trim(),
    ])) as unknown[];
    if (taken.length)
      throw new DomainException('conflict', DealsErrorCode.CommissionPlanNameTaken, 'A commission plan with this name exists');
  }
}
