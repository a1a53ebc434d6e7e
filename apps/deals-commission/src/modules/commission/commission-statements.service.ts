import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DealsCommissionSubjects,
  DealsEvent,
  type CommissionPlanView,
  type CommissionStatementView,
  type CommissionWhatIfRequest,
  type CommissionWhatIfView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { DomainException, RpcHandler, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { DealsErrorCode } from '../../deals-commission.exception';
import { actorOf, cents, scopeFor } from '../scope.util';
import { findVisibleTransaction, recordActivity, type TransactionRow } from '../transactions/transaction.queries';
import { calculateCommission, type CommissionBreakdown } from './commission-calculator';
import { assertPlanTerms, CommissionPlansService } from './commission-plans.service';

interface StatementRow {
  id: string;
  transaction_id: string;
  version: number;
  agent_id: string;
  plan_id: string;
  close_date: string;
  price_cents: string;
  gross_cents: string;
  referral_fee_cents: string;
  brokerage_cents: string;
  agent_cents: string;
  fees_cents: string;
  detail: Pick<CommissionBreakdown, 'agentShares' | 'segments' | 'gciYtdBefore' | 'gciYtdAfter' | 'cap'>;
  created_at: Date;
}

function toStatementView(row: StatementRow): CommissionStatementView {
  return {
    id: row.id,
    transactionId: row.transaction_id,
    version: row.version,
    agentId: row.agent_id,
    planId: row.plan_id,
    closeDate: row.close_date,
    price: cents(row.price_cents) ?? 0,
    gross: cents(row.gross_cents) ?? 0,
    referralFee: cents(row.referral_fee_cents) ?? 0,
    brokerage: cents(row.brokerage_cents) ?? 0,
    agent: cents(row.agent_cents) ?? 0,
    fees: cents(row.fees_cents) ?? 0,
    ...row.detail,
    createdAt: row.created_at.toISOString(),
  };
}

const STATEMENT_COLUMNS = `s.id, s.transaction_id, s.version, s.agent_id, s.plan_id, s.close_date::text AS close_date, s.price_cents, s.gross_cents,
  s.referral_fee_cents, s.brokerage_cents, s.agent_cents, s.fees_cents, s.detail, s.created_at`;

/**
 * Commission statements (ADR 0013, 0014): computed and stored when a transaction reaches a won
 * stage, versioned (a change to a closed deal stores version n+1 and retires version n, never edits
 * it), and a what-if computation that stores nothing.
 */
@Injectable()
export class CommissionStatementsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly plans: CommissionPlansService,
  ) {}

  /**
   * Computes and stores the next statement version of the closed transaction `row` (its close
   * price and date set), in the caller's unit of work (with `deals.commission.statement_created`). The plan is the deal's override or
   * its agent's plan: 422 `COMMISSION_PLAN_MISSING` naming `commissionPlanId` when there is none.
   * Returns null when nothing that affects the amounts changed since the current version.
   */
  async computeOnClose(unit: UnitOfWorkContext, row: TransactionRow): Promise<CommissionStatementView | null> {
    const manager = unit.manager;
    const planId = await this.plans.planIdFor(manager, row.org_id, row.agent_id, row.commission_plan_id);
    if (!planId) {
      throw new DomainException(
        'unprocessable',
        DealsErrorCode.CommissionPlanMissing,
        'Neither the transaction nor its agent has a commission plan',
        [{ field: 'commissionPlanId', message: 'set a plan on the transaction or assign one to the agent' }],
      );
    }
    const plan = await this.plans.find(manager, row.org_id, planId);
    const closeDate = row.close_date!;
    const ytd = await this.yearToDate(manager, row.org_id, row.agent_id, closeDate, row.id);
    const breakdown = calculateCommission({
      agentId: row.agent_id,
      priceCents: BigInt(row.close_price_cents!),
      plan,
      ytdGciCents: ytd.gci,
      ytdBrokerageCents: ytd.brokerage,
      team: row.team,
    });
    const current = (await manager.query(
      `SELECT ${STATEMENT_COLUMNS} FROM commission_statement s WHERE s.transaction_id = $1 AND s.is_current`,
      [row.id],
    )) as StatementRow[];
    const detail = {
      agentShares: breakdown.agentShares,
      segments: breakdown.segments,
      gciYtdBefore: breakdown.gciYtdBefore,
      gciYtdAfter: breakdown.gciYtdAfter,
      cap: breakdown.cap,
    };
    if (current.length) {
      const before = toStatementView(current[0]);
      const same =
        before.planId === planId &&
        before.agentId === row.agent_id &&
        before.closeDate === closeDate &&
        before.price === Number(row.close_price_cents) &&
        before.gross === breakdown.gross &&
        before.referralFee === breakdown.referralFee &&
        before.brokerage === breakdown.brokerage &&
        before.fees === breakdown.fees &&
        JSON.stringify(before.agentShares) === JSON.stringify(breakdown.agentShares);
      if (same) return null;
    }
    const versions = (await manager.query(`SELECT coalesce(max(version), 0) AS v FROM commission_statement WHERE transaction_id = $1`, [
      row.id,
    ])) as Array<{ v: number }>;
    const version = Number(versions[0].v) + 1;
    await manager.query(`UPDATE commission_statement SET is_current = false WHERE transaction_id = $1 AND is_current`, [row.id]);
    const id = newId();
    const [inserted] = (await manager.query(
      `INSERT INTO commission_statement (id, org_id, transaction_id, version, agent_id, team_ids, plan_id, close_date, price_cents, gross_cents,
         referral_fee_cents, brokerage_cents, agent_cents, fees_cents, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       RETURNING id, transaction_id, version, agent_id, plan_id, close_date::text AS close_date, price_cents, gross_cents, referral_fee_cents,
         brokerage_cents, agent_cents, fees_cents, detail, created_at`,
      [
        id,
        row.org_id,
        row.id,
        version,
        row.agent_id,
        row.team_ids,
        planId,
        closeDate,
        row.close_price_cents,
        breakdown.gross,
        breakdown.referralFee,
        breakdown.brokerage,
        breakdown.agent,
        breakdown.fees,
        JSON.stringify(detail),
      ],
    )) as StatementRow[];
    const view = toStatementView(inserted);
    await recordActivity(
      manager,
      row.org_id,
      row.id,
      'commission_computed',
      unit.actorId,
      { statementId: id, version, gross: view.gross },
      newId(),
    );
    await unit.emit(DealsEvent.commissionStatementCreated, row.id, row.org_id, {
      transactionId: row.id,
      statementId: id,
      version,
      agentId: row.agent_id,
      planId,
      gross: view.gross,
      referralFee: view.referralFee,
      brokerage: view.brokerage,
      agent: view.agent,
      fees: view.fees,
    });
    return view;
  }

  /** Retires the current statement of a transaction that left its won stage (kept as history). */
  async retire(manager: EntityManager, transactionId: string): Promise<void> {
    await manager.query(`UPDATE commission_statement SET is_current = false WHERE transaction_id = $1 AND is_current`, [transactionId]);
  }

  /** `GET /v1/transactions/:id/commission`: the current statement, or `version` n; 404 `COMMISSION_STATEMENT_NOT_FOUND`. */
  @RpcHandler(DealsCommissionSubjects.statementGet)
  async get(envelope: RequestEnvelope<{ id: string; version?: number }>): Promise<CommissionStatementView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const row = await findVisibleTransaction(this.dataSource.manager, actor, scope, envelope.data.id);
    const version = envelope.data.version;
    const rows = (await this.dataSource.query(
      `SELECT ${STATEMENT_COLUMNS} FROM commission_statement s WHERE s.transaction_id = $1 AND ${version ? 's.version = $2' : 's.is_current'}`,
      version ? [row.id, version] : [row.id],
    )) as StatementRow[];
    if (!rows.length) throw DomainException.notFound(DealsErrorCode.StatementNotFound, 'Commission statement');
    return toStatementView(rows[0]);
  }

  /**
   * What-if: the statement for a hypothetical price under `planId`, an inline `plan`, or the agent's
   * plan, with the agent's year-to-date figures as of `closeDate` (default today). Stores nothing.
   * At `own` scope only for the caller.
   */
  @RpcHandler(DealsCommissionSubjects.whatIf)
  async whatIf(envelope: RequestEnvelope<CommissionWhatIfRequest>): Promise<CommissionWhatIfView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'commission-plans:read');
    const data = envelope.data;
    const agentId = data.agentId ?? actor.userId;
    if (scope === 'own' && agentId !== actor.userId) throw DomainException.forbidden();
    const manager = this.dataSource.manager;
    let plan: Omit<CommissionPlanView, 'id' | 'name' | 'createdAt' | 'updatedAt'> & { id: string | null };
    if (data.plan) {
      assertPlanTerms(data.plan, 'plan.');
      plan = {
        id: null,
        grossRateBps: data.plan.grossRateBps ?? null,
        flatFeeCents: data.plan.flatFeeCents ?? null,
        agentSplitBps: data.plan.agentSplitBps,
        transactionFeeCents: data.plan.transactionFeeCents ?? 0,
        tiers: data.plan.tiers ?? [],
        annualCapCents: data.plan.annualCapCents ?? null,
        referralFeeBps: data.plan.referralFeeBps ?? 0,
      };
    } else {
      const planId = await this.plans.planIdFor(manager, actor.orgId, agentId, data.planId ?? null);
      if (!planId) {
        throw new DomainException('unprocessable', DealsErrorCode.CommissionPlanMissing, 'No plan given and the agent has none', [
          { field: 'planId', message: 'give planId or plan' },
        ]);
      }
      plan = await this.plans.find(manager, actor.orgId, planId);
    }
    const closeDate = data.closeDate ?? new Date().toISOString().slice(0, 10);
    const ytd = await this.yearToDate(manager, actor.orgId, agentId, closeDate, null);
    try {
      const breakdown = calculateCommission({
        agentId,
        priceCents: data.price,
        plan,
        ytdGciCents: ytd.gci,
        ytdBrokerageCents: ytd.brokerage,
        team: data.team,
      });
      const { agentShares, segments, gciYtdBefore, gciYtdAfter, cap, gross, referralFee, brokerage, agent, fees } = breakdown;
      return {
        agentId,
        planId: plan.id,
        closeDate,
        price: data.price,
        gross,
        referralFee,
        brokerage,
        agent,
        fees,
        agentShares,
        segments,
        gciYtdBefore,
        gciYtdAfter,
        cap,
      };
    } catch (error) {
      if (error instanceof RangeError)
        throw DomainException.validation([{ field: 'team', message: error.message }], DealsErrorCode.InvalidTeamSplit);
      throw error;
    }
  }

  /**
   * The agent's GCI (after referral fees) and brokerage share from current statements closed
   * earlier in the calendar year of `closeDate` (ties ordered by transaction id), excluding
   * `excludeTransactionId`. This order makes a recomputation give the same figures.
   */
  private async yearToDate(
    manager: EntityManager,
    orgId: string,
    agentId: string,
    closeDate: string,
    excludeTransactionId: string | null,
  ): Promise<{ gci: bigint; brokerage: bigint }> {
    const rows = (await manager.query(
      `SELECT coalesce(sum(gross_cents - referral_fee_cents), 0)::text AS gci, coalesce(sum(brokerage_cents), 0)::text AS brokerage
       FROM commission_statement
       WHERE org_id = $1 AND agent_id = $2 AND is_current
         AND close_date >= date_trunc('year', $3::date) AND (close_date, transaction_id) < ($3::date, coalesce($4::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid))
         AND transaction_id IS DISTINCT FROM $4::uuid`,
      [orgId, agentId, closeDate, excludeTransactionId],
    )) as Array<{ gci: string; brokerage: string }>;
    return { gci: BigInt(rows[0].gci), brokerage: BigInt(rows[0].brokerage) };
  }
}
