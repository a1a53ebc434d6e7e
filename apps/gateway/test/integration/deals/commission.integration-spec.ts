import { parse } from 'csv-parse/sync';
import { registerOrganization, type Session } from '../../support/fixtures';
import { createPlan, createTransaction, dealsOrg, dealsOutboxTypes, download, pdfText, type DealsOrg } from '../../support/deals-fixtures';
import { startStack, type TestStack } from '../../support/stack';

interface Statement {
  version: number;
  gross: number;
  referralFee: number;
  brokerage: number;
  agent: number;
  fees: number;
  planId: string;
  agentShares: Array<{ agentId: string; amount: number }>;
  cap: { reached: boolean; brokerageYtdAfter: number };
}

interface Report {
  rows: Array<{
    agentId: string;
    count: number;
    volume: number;
    gci: number;
    agentShare: number;
    brokerageShare: number;
    fees: number;
    referralFees: number;
  }>;
  totals: { count: number; volume: number; gci: number; agentShare: number; brokerageShare: number; fees: number; referralFees: number };
}

/**
 * Commission through the gateway: plans, statements on closing (figures derived by hand in the
 * comments), versions on change, what-if, and the report as JSON, CSV and PDF.
 */
describe('deals: commission', () => {
  let stack: TestStack;
  let org: DealsOrg;
  let other: Session;
  let tieredPlan: string;
  let cappedPlan: string;
  const closed: Record<string, string> = {};

  async function close(session: Session, price: number, closeDate: string, extra: Record<string, unknown> = {}): Promise<string> {
    const deal = await createTransaction(stack.http, session, { price: 1, ...extra });
    const response = await stack.http.patch(
      `/v1/transactions/${deal.id}`,
      { stage: 'closed', closePrice: price, closeDate },
      { token: session.accessToken },
    );
    if (response.status !== 200) throw new Error(`close: ${response.status} ${JSON.stringify(response.body)}`);
    return deal.id;
  }

  async function statement(id: string, session: Session = org.owner) {
    return stack.http.get<Statement>(`/v1/transactions/${id}/commission`, { token: session.accessToken });
  }

  beforeAll(async () => {
    stack = await startStack({}, { services: ['deals-commission'] });
    org = await dealsOrg(stack.http, 'Cascade Homes');
    other = await registerOrganization(stack.http, 'Other Realty');
    await stack.http.patch(
      '/v1/organizations/current',
      { branding: { displayName: 'Cascade Homes NW', primaryColor: '#0a5c36' } },
      { token: org.owner.accessToken },
    );
    // 3 % gross, 70 / 30, $395 fee per deal, 90 / 10 from $20,000 of YTD GCI.
    tieredPlan = await createPlan(stack.http, org.owner, {
      name: 'Tiered',
      grossRateBps: 300,
      agentSplitBps: 7000,
      transactionFeeCents: 39_500,
      tiers: [{ thresholdCents: 2_000_000, agentSplitBps: 9000 }],
    });
    // 2.5 % gross, 25 % referral off the top, 80 / 20, brokerage capped at $2,000 a year.
    cappedPlan = await createPlan(stack.http, org.owner, {
      name: 'Capped',
      grossRateBps: 250,
      agentSplitBps: 8000,
      referralFeeBps: 2500,
      annualCapCents: 200_000,
    });
    await stack.http.patch(`/v1/agents/${org.agent1.userId}/commission-plan`, { planId: tieredPlan }, { token: org.owner.accessToken });
    await stack.http.patch(`/v1/agents/${org.agent2.userId}/commission-plan`, { planId: cappedPlan }, { token: org.owner.accessToken });
    closed.a1 = await close(org.agent1, 50_000_000, '2026-03-10');
    closed.a2 = await close(org.agent1, 40_000_000, '2026-03-20');
    closed.b1 = await close(org.agent2, 40_000_000, '2026-03-05');
    closed.b2 = await close(org.agent2, 40_000_000, '2026-03-25');
  });

  afterAll(() => stack?.stop());

  describe('statements on closing', () => {
    it('splits 70/30 below the tier and takes the fee from the agent', async () => {
      // 50,000,000 × 3 % = 1,500,000; YTD GCI 0 → 1,500,000, all below 2,000,000: brokerage 30 % = 450,000;
      // agent 1,050,000 − fee 39,500 = 1,010,500. 0 + 450,000 + 1,010,500 + 39,500 = 1,500,000.
      const response = await statement(closed.a1, org.agent1);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
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
      const response = await statement(closed.a2);
      expect(response.body).toMatchObject({ gross: 1_200_000, brokerage: 220_000, agent: 940_500, fees: 39_500 });
    });

    it('takes the referral off the top and stops the brokerage at the cap reached mid-deal', async () => {
      // 40,000,000 × 2.5 % = 1,000,000; referral 25 % = 250,000; net 750,000; brokerage 20 % = 150,000; agent 600,000.
      const first = await statement(closed.b1);
      expect(first.body).toMatchObject({ gross: 1_000_000, referralFee: 250_000, brokerage: 150_000, agent: 600_000, fees: 0 });
      // Same deal later: brokerage would be 150,000 but only 200,000 − 150,000 = 50,000 remains; agent 700,000.
      const second = await statement(closed.b2);
      expect(second.body).toMatchObject({ gross: 1_000_000, referralFee: 250_000, brokerage: 50_000, agent: 700_000, fees: 0 });
      expect(second.body.cap).toMatchObject({ reached: true, brokerageYtdAfter: 200_000 });
    });

    it('stores a new version when a closed deal changes, and keeps the old one', async () => {
      const id = await close(org.agent1, 10_000_000, '2026-04-02');
      // 10,000,000 × 3 % = 300,000; YTD 2,700,000 ≥ 2,000,000 → 90 %: brokerage 30,000; agent 270,000 − 39,500 = 230,500.
      expect((await statement(id)).body).toMatchObject({ version: 1, gross: 300_000, brokerage: 30_000, agent: 230_500 });
      const changed = await stack.http.patch(`/v1/transactions/${id}`, { closePrice: 10_000_050 }, { token: org.agent1.accessToken });
      expect(changed.status).toBe(200);
      // 10,000,050 × 3 % = 300,001.5 → half to even 300,002; brokerage 10 % = 30,000.2 → 30,000; agent 270,002 − 39,500 = 230,502.
      const current = await statement(id);
      expect(current.body).toMatchObject({ version: 2, gross: 300_002, brokerage: 30_000, agent: 230_502, fees: 39_500 });
      const old = await stack.http.get<Statement>(`/v1/transactions/${id}/commission?version=1`, { token: org.owner.accessToken });
      expect(old.body).toMatchObject({ version: 1, gross: 300_000 });
      // A change that does not touch the amounts makes no new version.
      await stack.http.patch(`/v1/transactions/${id}`, { notes: 'keys handed over' }, { token: org.agent1.accessToken });
      expect((await statement(id)).body.version).toBe(2);
      expect((await dealsOutboxTypes(stack, id)).filter((type) => type === 'deals.commission.statement_created')).toHaveLength(2);
    });

    it('uses the per-transaction plan override', async () => {
      const flat = await createPlan(stack.http, org.owner, { name: 'Flat', flatFeeCents: 500_000, agentSplitBps: 5000 });
      const id = await close(org.agent1, 90_000_000, '2026-05-01', { commissionPlanId: flat });
      // flat 500,000; 50 / 50 → brokerage 250,000; agent 250,000.
      expect((await statement(id)).body).toMatchObject({ planId: flat, gross: 500_000, brokerage: 250_000, agent: 250_000, fees: 0 });
    });

    it('is refused to another organization and to an agent not on the deal (404)', async () => {
      expect((await statement(closed.a1, other)).status).toBe(404);
      expect((await statement(closed.a1, org.agent2)).status).toBe(404);
    });
  });

  describe('POST /v1/commission-plans/what-if', () => {
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
    ])('$label', async ({ plan, price, team, expected, shares }) => {
      const response = await stack.http.post<Statement>(
        '/v1/commission-plans/what-if',
        { price, plan, closeDate: '2025-06-01', ...(team ? { team: team(org) } : {}) },
        { token: org.agent1.accessToken },
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject(expected);
      if (shares) expect(response.body.agentShares.map((share) => share.amount)).toEqual(shares);
    });

    it('applies the agent’s year-to-date figures and stores nothing', async () => {
      // agent2 after 2026-03-25: brokerage YTD 200,000 = cap → brokerage 0; 1,000,000 − 250,000 referral → agent 750,000.
      const response = await stack.http.post<Statement>(
        '/v1/commission-plans/what-if',
        { price: 40_000_000, agentId: org.agent2.userId, closeDate: '2026-06-01' },
        { token: org.owner.accessToken },
      );
      expect(response.body).toMatchObject({ gross: 1_000_000, referralFee: 250_000, brokerage: 0, agent: 750_000 });
      expect(response.body).not.toHaveProperty('id');
    });

    it('refuses an agent asking for another agent’s figures (403)', async () => {
      const response = await stack.http.post(
        '/v1/commission-plans/what-if',
        { price: 1, agentId: org.agent2.userId },
        { token: org.agent1.accessToken },
      );
      expect(response.status).toBe(403);
    });
  });

  describe('commission plans', () => {
    it('only admins write plans and assign them; agents read only their own plan', async () => {
      const body = { name: 'Agent made', grossRateBps: 300, agentSplitBps: 10000 };
      expect((await stack.http.post('/v1/commission-plans', body, { token: org.agent1.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/commission-plans', body, { token: org.manager.accessToken })).status).toBe(403);
      expect(
        (await stack.http.patch(`/v1/commission-plans/${tieredPlan}`, { agentSplitBps: 10000 }, { token: org.agent1.accessToken })).status,
      ).toBe(403);
      expect(
        (
          await stack.http.patch(
            `/v1/agents/${org.agent1.userId}/commission-plan`,
            { planId: cappedPlan },
            { token: org.agent1.accessToken },
          )
        ).status,
      ).toBe(403);
      const mine = await stack.http.get<{ items: Array<{ id: string }> }>('/v1/commission-plans', { token: org.agent1.accessToken });
      expect(mine.body.items.map((plan) => plan.id)).toEqual([tieredPlan]);
      expect((await stack.http.get(`/v1/commission-plans/${cappedPlan}`, { token: org.agent1.accessToken })).status).toBe(404);
      expect((await stack.http.get(`/v1/agents/${org.agent2.userId}/commission-plan`, { token: org.agent1.accessToken })).status).toBe(403);
      expect(
        (await stack.http.get(`/v1/agents/${org.agent1.userId}/commission-plan`, { token: org.agent1.accessToken })).body,
      ).toMatchObject({ planId: tieredPlan });
    });

    it('refuses both or neither of a rate and a flat fee, and a duplicate name', async () => {
      const both = await stack.http.post(
        '/v1/commission-plans',
        { name: 'Both', grossRateBps: 300, flatFeeCents: 1, agentSplitBps: 7000 },
        { token: org.owner.accessToken },
      );
      expect(both.status).toBe(400);
      expect(both.body.code).toBe('INVALID_COMMISSION_PLAN');
      const duplicate = await stack.http.post(
        '/v1/commission-plans',
        { name: 'tiered', grossRateBps: 300, agentSplitBps: 7000 },
        { token: org.owner.accessToken },
      );
      expect(duplicate.status).toBe(409);
    });

    it('is invisible to another organization (404) and cannot be assigned there', async () => {
      expect((await stack.http.get(`/v1/commission-plans/${tieredPlan}`, { token: other.accessToken })).status).toBe(404);
      expect((await stack.http.patch(`/v1/commission-plans/${tieredPlan}`, { name: 'x' }, { token: other.accessToken })).status).toBe(404);
      expect(
        (await stack.http.patch(`/v1/agents/${other.userId}/commission-plan`, { planId: tieredPlan }, { token: other.accessToken })).status,
      ).toBe(404);
    });
  });

  describe('GET /v1/reports/commissions', () => {
    async function allStatements(ids: string[]): Promise<Statement[]> {
      return Promise.all(ids.map(async (id) => (await statement(id)).body));
    }

    it('aggregates March per agent; totals equal the sum of the statements', async () => {
      const response = await stack.http.get<Report>('/v1/reports/commissions?month=2026-03', { token: org.owner.accessToken });
      expect(response.status).toBe(200);
      const statements = await allStatements([closed.a1, closed.a2, closed.b1, closed.b2]);
      const sum = (key: keyof Statement) => statements.reduce((total, s) => total + (s[key] as number), 0);
      expect(response.body.totals).toEqual({
        count: 4,
        volume: 170_000_000,
        gci: sum('gross'),
        referralFees: sum('referralFee'),
        agentShare: sum('agent'),
        brokerageShare: sum('brokerage'),
        fees: sum('fees'),
      });
      // By hand: agent1 GCI 1,500,000 + 1,200,000; agent share 1,010,500 + 940,500; brokerage 450,000 + 220,000.
      const agent1 = response.body.rows.find((row) => row.agentId === org.agent1.userId);
      expect(agent1).toMatchObject({
        count: 2,
        volume: 90_000_000,
        gci: 2_700_000,
        agentShare: 1_951_000,
        brokerageShare: 670_000,
        fees: 79_000,
      });
    });

    it('limits an agent to their own figures and refuses another agent’s (403)', async () => {
      const own = await stack.http.get<Report>('/v1/reports/commissions?month=2026-03', { token: org.agent2.accessToken });
      expect(own.body.rows.map((row) => row.agentId)).toEqual([org.agent2.userId]);
      expect(
        (await stack.http.get(`/v1/reports/commissions?month=2026-03&agentId=${org.agent1.userId}`, { token: org.agent2.accessToken }))
          .status,
      ).toBe(403);
      const manager = await stack.http.get<Report>('/v1/reports/commissions?month=2026-03', { token: org.manager.accessToken });
      expect(manager.body.rows.map((row) => row.agentId)).toEqual([org.agent1.userId]);
      const otherOrg = await stack.http.get<Report>('/v1/reports/commissions?month=2026-03', { token: other.accessToken });
      expect(otherOrg.body.rows).toEqual([]);
    });

    it('downloads CSV that parses back to the same figures', async () => {
      const response = await stack.http.get<string>('/v1/reports/commissions?month=2026-03&format=csv', { token: org.owner.accessToken });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="commissions-2026-03-01-to-2026-03-31.csv"');
      const records = parse(response.body, { columns: true }) as Array<Record<string, string>>;
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

    it('downloads a PDF whose text has the organization, the agents’ names and the totals', async () => {
      const response = await download(stack.http, '/v1/reports/commissions?month=2026-03&format=pdf', org.owner.accessToken);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/pdf');
      expect(response.headers.get('content-disposition')).toContain('.pdf"');
      const text = await pdfText(response.bytes);
      const agent1 = await stack.http.get<{ name: string }>(`/v1/users/${org.agent1.userId}`, { token: org.owner.accessToken });
      expect(text).toContain(agent1.body.name);
      expect(text).toContain('Cascade Homes NW');
      expect(text).toContain('Commission report');
      expect(text).toContain('$1,700,000.00');
      expect(text).toContain('$27,000.00');
    });

    it('refuses an empty or reversed period (400)', async () => {
      const response = await stack.http.get('/v1/reports/commissions?from=2026-04-01&to=2026-03-01', { token: org.owner.accessToken });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('INVALID_PERIOD');
    });
  });
});
