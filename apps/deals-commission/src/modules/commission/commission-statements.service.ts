import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
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
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import type { CommissionStatementDetail } from '../../database/deals-commission-json.type';
import { DealsErrorCode } from '../../deals-commission.exception';
import { actorOf, cents, scopeFor } from '../scope.util';
import { findVisibleTransaction, recordActivity, type TransactionRow } from '../transactions/transaction.queries';
import { calculateCommission } from './commission-calculator.util';
import { assertPlanTerms, CommissionPlansService } from './commission-plans.service';

/**
 * A statement as `toStatementView` reads it (declared by the migrations: `deals-commission.db.ts`),
 * its close date as `YYYY-MM-DD` text.
 */
type StatementRow = Pick<
  Selectable<DealsCommissionDb['commission_statement']>,
  | 'id'
  | 'transaction_id'
  | 'version'
  | 'agent_id'
  | 'plan_id'
  | 'price_cents'
  | 'gross_cents'
  | 'referral_fee_cents'
  | 'brokerage_cents'
  | 'agent_cents'
  | 'fees_cents'
  | 'detail'
  | 'created_at'
> & { close_date: string };

/** The columns of a `StatementRow`, for a select or a RETURNING on `commission_statement`. */
function statementColumns(eb: ExpressionBuilder<DealsCommissionDb, 'commission_statement'>) {
  return [
    'id',
    'transaction_id',
    'version',
    'agent_id',
    'plan_id',
    eb.cast<string>('close_date', 'text').as('close_date'),
    'price_cents',
    'gross_cents',
    'referral_fee_cents',
    'brokerage_cents',
    'agent_cents',
    'fees_cents',
    'detail',
    'created_at',
  ] as const;
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
    const db = kyselyFor<DealsCommissionDb>(manager);
    const current: StatementRow | undefined = await db
      .selectFrom('commission_statement')
      .select(statementColumns)
      .where('transaction_id', '=', row.id)
      .where((eb) => eb.ref('is_current'))
      .executeTakeFirst();
    const detail: CommissionStatementDetail = {
      agentShares: breakdown.agentShares,
      segments: breakdown.segments,
      gciYtdBefore: breakdown.gciYtdBefore,
      gciYtdAfter: breakdown.gciYtdAfter,
      cap: breakdown.cap,
    };
    if (current) {
      const before = toStatementView(current);
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
    const versions = await db
      .selectFrom('commission_statement')
      .select((eb) => eb.fn.coalesce(eb.fn.max('version'), eb.lit(0)).as('v'))
      .where('transaction_id', '=', row.id)
      .executeTakeFirstOrThrow();
    const version = Number(versions.v) + 1;
    await this.retire(manager, row.id);
    const id = newId();
    const inserted: StatementRow = await db
      .insertInto('commission_statement')
      .values({
        id,
        org_id: row.org_id,
        transaction_id: row.id,
        version,
        agent_id: row.agent_id,
        team_ids: row.team_ids,
        plan_id: planId,
        close_date: closeDate,
        price_cents: row.close_price_cents!,
        gross_cents: breakdown.gross,
        referral_fee_cents: breakdown.referralFee,
        brokerage_cents: breakdown.brokerage,
        agent_cents: breakdown.agent,
        fees_cents: breakdown.fees,
        detail: JSON.stringify(detail),
      })
      .returning(statementColumns)
      .executeTakeFirstOrThrow();
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
    await kyselyFor<DealsCommissionDb>(manager)
      .updateTable('commission_statement')
      .set({ is_current: false })
      .where('transaction_id', '=', transactionId)
      .where((eb) => eb.ref('is_current'))
      .execute();
  }

  /** `GET /v1/transactions/:id/commission`: the current statement, or `version` n; 404 `COMMISSION_STATEMENT_NOT_FOUND`. */
  @RpcHandler(DealsCommissionSubjects.statementGet)
  async get(envelope: RequestEnvelope<{ id: string; version?: number }>): Promise<CommissionStatementView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const row = await findVisibleTransaction(this.dataSource.manager, actor, scope, envelope.data.id);
    const version = envelope.data.version;
    const statement: StatementRow | undefined = await kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('commission_statement')
      .select(statementColumns)
      .where('transaction_id', '=', row.id)
      .where((eb) => (version ? eb('version', '=', version) : eb.ref('is_current')))
      .executeTakeFirst();
    if (!statement) throw DomainException.notFound(DealsErrorCode.StatementNotFound, 'Commission statement');
    return toStatementView(statement);
  }

  /**
   * What-if: the statement for a hypothetical price under `planId`, an inline `plan`, or the agent's
   * plan, with the agent's year-to-date figures as of `closeDate` (default today). Stores nothing.
   * At `own` scope only for the caller (403) and only with the plan assigned to them or an inline
   * plan: a `planId` the caller may not read is a 404 `COMMISSION_PLAN_NOT_FOUND`, as on
   * `GET /v1/commission-plans/:id`.
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
      // A plan named in the request must be one the caller may read; the agent's own plan is theirs to see.
      plan = data.planId
        ? await this.plans.findReadable(manager, actor, scope, planId)
        : await this.plans.find(manager, actor.orgId, planId);
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
    const date = sql<Date>`${closeDate}::date`;
    const excluded = sql<string | null>`${excludeTransactionId}::uuid`;
    const totals = await kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('commission_statement')
      .select([
        sql<string>`coalesce(sum(gross_cents - referral_fee_cents), 0)::text`.as('gci'),
        sql<string>`coalesce(sum(brokerage_cents), 0)::text`.as('brokerage'),
      ])
      .where('org_id', '=', orgId)
      .where('agent_id', '=', agentId)
      .where((eb) => eb.ref('is_current'))
      .where('close_date', '>=', sql<Date>`date_trunc('year', ${date})`)
      .where((eb) =>
        eb(
          eb.refTuple('close_date', 'transaction_id'),
          '<',
          eb.tuple(date, sql<string>`coalesce(${excluded}, 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)`),
        ),
      )
      .where('transaction_id', 'is distinct from', excluded)
      .executeTakeFirstOrThrow();
    return { gci: BigInt(totals.gci), brokerage: BigInt(totals.brokerage) };
  }
}
