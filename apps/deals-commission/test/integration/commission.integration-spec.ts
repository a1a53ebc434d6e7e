import { parse } from 'csv-parse/sync';
import {
  DealsCommissionSubjects as C,
  DealsTransactionSubjects as S,
  type CommissionPlanBody,
  type CommissionReportFile,
  type CommissionReportRequest,
  type CommissionReportView,
  type CommissionStatementView,
} from '@keyhouse/contracts';
import { pdfText, startService, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startDealsCommission } from '../../src/main';
import { DEALS_ORG_NAMES, dealsOrg, dealsUser, type DealsActor, type DealsOrg } from '../support/deals-org.fixture';
import { assignPlan, createPlan, createTransaction, dealsOutboxTypes } from '../support/deals-records.fixture';
import { startDirectoryStandIn, type DirectoryStandIn } from '../support/directory-stand-in.fixture';

/**
 * Commission on the deals service alone (over NATS; users' names and the organization's branding
 * from a stand-in for identity): plans, statements on closing (figures derived by hand in the
 * comments), versions on change, what-if, and the report as JSON, CSV and PDF.
 */
describe('deals: commission (deals-commission over NATS)', () => {
  let deals: TestService;
  let directory: DirectoryStandIn;
  let org: DealsOrg;
  let other: DealsActor;
  let tieredPlan: string;
  let cappedPlan: string;
  const closed: Record<string, string> = {};

  /** A deal of `actor` created at price 1 and closed at `price` on `closeDate`; returns its id. */
  async function close(actor: DealsActor, price: number, closeDate: string): Promise<string> {
    const deal = await createTransaction(deals, actor, { price: 1 });
    await deals.rpc.call(S.update, { id: deal.id, stage: 'closed', closePrice: price, closeDate }, actor);
    return deal.id;
  }

  function statement(id: string, actor: DealsActor = org.owner): Promise<CommissionStatementView> {
    return deals.rpc.call(C.statementGet, { id }, actor);
  }

  async function report(request: CommissionReportRequest, actor: DealsActor = org.owner): Promise<CommissionReportView> {
    return (await deals.rpc.call(C.report, request, actor)) as CommissionReportView;
  }

  async function reportFile(request: CommissionReportRequest): Promise<CommissionReportFile> {
    return (await deals.rpc.call(C.report, request, org.owner)) as CommissionReportFile;
  }

  beforeAll(async () => {
    deals = await startService(startDealsCommission);
    directory = await startDirectoryStandIn(deals);
    org = dealsOrg(directory, 'Cascade Homes', { displayName: 'Cascade Homes NW' });
    other = dealsUser(directory, newId(), 'owner');
    // 3 % gross, 70 / 30, $395 fee per deal, 90 / 10 from $20,000 of YTD GCI.
    tieredPlan = await createPlan(deals, org.owner, {
      name: 'Tiered',
      grossRateBps: 300,
      agentSplitBps: 7000,
      transactionFeeCents: 39_500,
      tiers: [{ thresholdCents: 2_000_000, agentSplitBps: 9000 }],
    });
    // 2.5 % gross, 25 % referral off the top, 80 / 20, brokerage capped at $2,000 a year.
    cappedPlan = await createPlan(deals, org.owner, {
      name: 'Capped',
      grossRateBps: 250,
      agentSplitBps: 8000,
      referralFeeBps: 2500,
      annualCapCents: 200_000,
    });
    await assignPlan(deals, org.owner, org.agent1.userId, tieredPlan);
    await assignPlan(deals, org.owner, org.agent2.userId, cappedPlan);
    closed.a1 = await close(org.agent1, 50_000_000, '2026-03-10');
    closed.a2 = await close(org.agent1, 40_000_000, '2026-03-20');
    closed.b1 = await close(org.agent2, 40_000_000, '2026-03-05');
    closed.b2 = await close(org.agent2, 40_000_000, '2026-03-25');
  });

  afterAll(async () => {
    await directory?.stop();
    await deals?.stop();
  });

  describe('statements on closing', () => {
    it('splits 70/30 below the tier and takes the fee from the agent', async () => {
      // 50,000,000 × 3 % = 1,500,000; YTD GCI 0 → 1,500,000, all below 2,000,000: brokerage 30 % = 450,000;
      // agent 1,050,000 − fee 39,500 = 1,010,500. 0 + 450,000 + 1,010,500 + 39,500 = 1,500,000.
      expect(await statement(closed.a1, org.agent1)).toMatchObject({
        version: 1,
        planId: tieredPlan,
        gross: 1_500_000,
        referralFee: 0,
        brokerage: 450_000,
        agent: 1_010_500,
        fees: 39_500,
      });
    });

    it('splits a deal that crosses the tier threshold at both rates', async () => {
      // 40,000,000 × 3 % = 1,200,000; YTD GCI 1,500,000 → 2,700,000: 500,000 at 70 % (brokerage 150,000)
      // + 700,000 at 90 % (brokerage 70,000) = 220,000; agent 980,000 − 39,500 = 940,500.
      expect(await statement(closed.a2)).toMatchObject({ gross: 1_200_000, brokerage: 220_000, agent: 940_500, fees: 39_500 });
    });

    it('takes the referral off the top and stops the brokerage at the cap reached mid-deal', async () => {
      // 40,000,000 × 2.5 % = 1,000,000; referral 25 % = 250,000; net 750,000; brokerage 20 % = 150,000; agent 600,000.
      const first = await statement(closed.b1);
      expect(first).toMatchObject({ gross: 1_000_000, referralFee: 250_000, brokerage: 150_000, agent: 600_000, fees: 0 });
      // Same deal later: brokerage would be 150,000 but only 200,000 − 150,000 = 50,000 remains; agent 700,000.
      const second = await statement(closed.b2);
      expect(second).toMatchObject({ gross: 1_000_000, referralFee: 250_000, brokerage: 50_000, agent: 700_000, fees: 0 });
      expect(second.cap).toMatchObject({ reached: true, brokerageYtdAfter: 200_000 });
    });

    it('stores a new version when a closed deal changes, and keeps the old one', async () => {
      const id = await close(org.agent1, 10_000_000, '2026-04-02');
      // 10,000,000 × 3 % = 300,000; YTD 2,700,000 ≥ 2,000,000 → 90 %: brokerage 30,000; agent 270,000 − 39,500 = 230,500.
      expect(await statement(id)).toMatchObject({ version: 1, gross: 300_000, brokerage: 30_000, agent: 230_500 });
      await deals.rpc.call(S.update, { id, closePrice: 10_000_050 }, org.agent1);
      // 10,000,050 × 3 % = 300,001.5 → half to even 300,002; brokerage 10 % = 30,000.2 → 30,000; agent 270,002 − 39,500 = 230,502.
      expect(await statement(id)).toMatchObject({ version: 2, gross: 300_002, brokerage: 30_000, agent: 230_502, fees: 39_500 });
      expect(await deals.rpc.call(C.statementGet, { id, version: 1 }, org.owner)).toMatchObject({ version: 1, gross: 300_000 });
      // A change that does not touch the amounts makes no new version.
      await deals.rpc.call(S.update, { id, notes: 'keys handed over' }, org.agent1);
      expect((await statement(id)).version).toBe(2);
      expect((await dealsOutboxTypes(deals, id)).filter((type) => type === 'deals.commission.statement_created')).toHaveLength(2);
    });

    it('uses the per-transaction plan override', async () => {
      const flat = await createPlan(deals, org.owner, { name: 'Flat', flatFeeCents: 500_000, agentSplitBps: 5000 });
      // The owner sets the deal's plan when creating it for agent1, who closes it.
      const { id } = await createTransaction(deals, org.owner, { price: 1, agentId: org.agent1.userId, commissionPlanId: flat });
      await deals.rpc.call(S.update, { id, stage: 'closed', closePrice: 90_000_000, closeDate: '2026-05-01' }, org.agent1);
      // flat 500,000; 50 / 50 → brokerage 250,000; agent 250,000.
      expect(await statement(id)).toMatchObject({ planId: flat, gross: 500_000, brokerage: 250_000, agent: 250_000, fees: 0 });
    });

    it('is not found for another organization and for an agent not on the deal', async () => {
      await expect(statement(closed.a1, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(statement(closed.a1, org.agent2)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('deals.commission-statements.what-if', () => {
    // Close date in 2025: no statements that year, so year-to-date figures are 0.
    it.each([
      {
        label: 'team split (largest remainder)',
        // flat 2,000, 50 / 50 → brokerage 1,000, agent 1,000; 33.34 / 33.33 / 33.33 % → 334 / 333 / 333.
        plan: { flatFeeCents: 2_000, agentSplitBps: 5000 },
        price: 0,
        team: (o: DealsOrg) => [
          { agentId: o.agent1.userId, shareBps: 3334 },
          { agentId: o.agent2.userId, shareBps: 3333 },
          { agentId: o.manager.userId, shareBps: 3333 },
        ],
        expected: { gross: 2_000, referralFee: 0, brokerage: 1_000, agent: 1_000, fees: 0 },
        shares: [334, 333, 333],
      },
      {
        label: 'referral and brokerage rounded separately',
        // flat 1,001; referral 25 % = 250.25 → 250; net 751; brokerage 40 % = 300.4 → 300; agent 451.
        plan: { flatFeeCents: 1_001, agentSplitBps: 6000, referralFeeBps: 2500 },
        price: 0,
        expected: { gross: 1_001, referralFee: 250, brokerage: 300, agent: 451, fees: 0 },
      },
      {
        label: 'gross rounded half to even',
        // 10,002 × 25 % = 2,500.5 → 2,500; 70 / 30 → brokerage 750, agent 1,750.
        plan: { grossRateBps: 2500, agentSplitBps: 7000 },
        price: 10_002,
        expected: { gross: 2_500, brokerage: 750, agent: 1_750 },
      },
      {
        label: 'fee larger than the agent share',
        // flat 10,000, agent 10 % → brokerage 9,000, agent 1,000; fee 1,500 capped at 1,000 → agent 0.
        plan: { flatFeeCents: 10_000, agentSplitBps: 1000, transactionFeeCents: 1_500 },
        price: 0,
        expected: { gross: 10_000, brokerage: 9_000, agent: 0, fees: 1_000 },
      },
    ] as Array<{
      label: string;
      plan: Omit<CommissionPlanBody, 'name'>;
      price: number;
      team?: (o: DealsOrg) => Array<{ agentId: string; shareBps: number }>;
      expected: Record<string, number>;
      shares?: number[];
    }>)('$label', async ({ plan, price, team, expected, shares }) => {
      const response = await deals.rpc.call(
        C.whatIf,
        { price, plan, closeDate: '2025-06-01', ...(team ? { team: team(org) } : {}) },
        org.agent1,
      );
      expect(response).toMatchObject(expected);
      if (shares) expect(response.agentShares.map((share) => share.amount)).toEqual(shares);
    });

    it('applies the agent’s year-to-date figures and stores nothing', async () => {
      // agent2 after 2026-03-25: brokerage YTD 200,000 = cap → brokerage 0; 1,000,000 − 250,000 referral → agent 750,000.
      const response = await deals.rpc.call(
        C.whatIf,
        { price: 40_000_000, agentId: org.agent2.userId, closeDate: '2026-06-01' },
        org.owner,
      );
      expect(response).toMatchObject({ gross: 1_000_000, referralFee: 250_000, brokerage: 0, agent: 750_000 });
      expect(response).not.toHaveProperty('id');
    });

    it('refuses an agent asking for another agent’s figures (forbidden)', async () => {
      await expect(deals.rpc.call(C.whatIf, { price: 1, agentId: org.agent2.userId }, org.agent1)).rejects.toMatchObject({
        kind: 'forbidden',
      });
    });
  });

  describe('commission plans', () => {
    it('only admins write plans and assign them; agents read only their own plan', async () => {
      const body = { name: 'Agent made', grossRateBps: 300, agentSplitBps: 10000 };
      await expect(deals.rpc.call(C.planCreate, body, org.agent1)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(deals.rpc.call(C.planCreate, body, org.manager)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(deals.rpc.call(C.planUpdate, { id: tieredPlan, agentSplitBps: 10000 }, org.agent1)).rejects.toMatchObject({
        kind: 'forbidden',
      });
      await expect(deals.rpc.call(C.agentPlanSet, { agentId: org.agent1.userId, planId: cappedPlan }, org.agent1)).rejects.toMatchObject({
        kind: 'forbidden',
      });
      const mine = await deals.rpc.call(C.planList, {}, org.agent1);
      expect(mine.items.map((plan) => plan.id)).toEqual([tieredPlan]);
      await expect(deals.rpc.call(C.planGet, { id: cappedPlan }, org.agent1)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(C.agentPlanGet, { agentId: org.agent2.userId }, org.agent1)).rejects.toMatchObject({
        kind: 'forbidden',
      });
      expect(await deals.rpc.call(C.agentPlanGet, { agentId: org.agent1.userId }, org.agent1)).toMatchObject({ planId: tieredPlan });
    });

    it('refuses both or neither of a rate and a flat fee, and a duplicate name', async () => {
      await expect(
        deals.rpc.call(C.planCreate, { name: 'Both', grossRateBps: 300, flatFeeCents: 1, agentSplitBps: 7000 }, org.owner),
      ).rejects.toMatchObject({ kind: 'validation', code: 'INVALID_COMMISSION_PLAN' });
      await expect(
        deals.rpc.call(C.planCreate, { name: 'tiered', grossRateBps: 300, agentSplitBps: 7000 }, org.owner),
      ).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('is invisible to another organization (not found) and cannot be assigned there', async () => {
      await expect(deals.rpc.call(C.planGet, { id: tieredPlan }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(C.planUpdate, { id: tieredPlan, name: 'x' }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(C.agentPlanSet, { agentId: other.userId, planId: tieredPlan }, other)).rejects.toMatchObject({
        kind: 'not_found',
      });
    });
  });

  describe('deals.commission-reports.get', () => {
    async function allStatements(ids: string[]): Promise<CommissionStatementView[]> {
      return Promise.all(ids.map((id) => statement(id)));
    }

    it('aggregates March per agent; totals equal the sum of the statements', async () => {
      const response = await report({ month: '2026-03' });
      const statements = await allStatements([closed.a1, closed.a2, closed.b1, closed.b2]);
      const sum = (key: 'gross' | 'referralFee' | 'agent' | 'brokerage' | 'fees') => statements.reduce((total, s) => total + s[key], 0);
      expect(response.totals).toEqual({
        count: 4,
        volume: 170_000_000,
        gci: sum('gross'),
        referralFees: sum('referralFee'),
        agentShare: sum('agent'),
        brokerageShare: sum('brokerage'),
        fees: sum('fees'),
      });
      // By hand: agent1 GCI 1,500,000 + 1,200,000; agent share 1,010,500 + 940,500; brokerage 450,000 + 220,000.
      const agent1 = response.rows.find((row) => row.agentId === org.agent1.userId);
      expect(agent1).toMatchObject({
        count: 2,
        volume: 90_000_000,
        gci: 2_700_000,
        agentShare: 1_951_000,
        brokerageShare: 670_000,
        fees: 79_000,
      });
    });

    it('limits an agent to their own figures and refuses another agent’s (forbidden)', async () => {
      const own = await report({ month: '2026-03' }, org.agent2);
      expect(own.rows.map((row) => row.agentId)).toEqual([org.agent2.userId]);
      await expect(deals.rpc.call(C.report, { month: '2026-03', agentId: org.agent1.userId }, org.agent2)).rejects.toMatchObject({
        kind: 'forbidden',
      });
      const manager = await report({ month: '2026-03' }, org.manager);
      expect(manager.rows.map((row) => row.agentId)).toEqual([org.agent1.userId]);
      const otherOrg = await report({ month: '2026-03' }, other);
      expect(otherOrg.rows).toEqual([]);
    });

    it('renders CSV that parses back to the same figures', async () => {
      const file = await reportFile({ month: '2026-03', format: 'csv' });
      expect(file.contentType).toMatch(/^text\/csv/);
      expect(file.filename).toBe('commissions-2026-03-01-to-2026-03-31.csv');
      const records = parse(Buffer.from(file.base64, 'base64').toString('utf8'), { columns: true }) as Array<Record<string, string>>;
      const total = records.find((record) => record.agent_id === 'TOTAL');
      const agent1 = records.find((record) => record.agent_id === org.agent1.userId);
      expect(agent1).toMatchObject({
        deals: '2',
        volume: '900000.00',
        gci: '27000.00',
        agent_share: '19510.00',
        brokerage_share: '6700.00',
        fees: '790.00',
      });
      expect(total).toMatchObject({ deals: '4', volume: '1700000.00' });
    });

    it('renders a PDF whose text has the organization, the agents’ names and the totals', async () => {
      const file = await reportFile({ month: '2026-03', format: 'pdf' });
      expect(file.contentType).toBe('application/pdf');
      expect(file.filename).toMatch(/\.pdf$/);
      const text = await pdfText(Buffer.from(file.base64, 'base64'));
      expect(text).toContain(DEALS_ORG_NAMES.agent1);
      expect(text).toContain('Cascade Homes NW');
      expect(text).toContain('Commission report');
      expect(text).toContain('$1,700,000.00');
      expect(text).toContain('$27,000.00');
    });

    it('refuses an empty or reversed period (validation INVALID_PERIOD)', async () => {
      await expect(deals.rpc.call(C.report, { from: '2026-04-01', to: '2026-03-01' }, org.owner)).rejects.toMatchObject({
        kind: 'validation',
        code: 'INVALID_PERIOD',
      });
    });
  });
});
