import { randomUUID } from 'node:crypto';
import { registerOrganization, type Session } from '../../support/fixtures';
import { createPlan, createTransaction, dealsOrg, dealsOutboxTypes, type DealsOrg } from '../../support/deals-fixtures';
import { startStack, type TestStack } from '../../support/stack';

/** Transactions through the gateway: pipeline stages and their rules, filters, timeline, scopes and refusals. */
describe('deals: transactions', () => {
  let stack: TestStack;
  let org: DealsOrg;
  let other: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['deals-commission'] });
    org = await dealsOrg(stack.http);
    other = await registerOrganization(stack.http, 'Other Realty');
    const planId = await createPlan(stack.http, org.owner, { name: 'Standard', grossRateBps: 300, agentSplitBps: 7000 });
    for (const agent of [org.agent1, org.agent2]) {
      await stack.http.patch(`/v1/agents/${agent.userId}/commission-plan`, { planId }, { token: org.owner.accessToken });
    }
  });

  afterAll(() => stack?.stop());

  describe('POST /v1/transactions', () => {
    it('creates a deal in the first stage of the default pipeline with the stage probability', async () => {
      const created = await createTransaction(stack.http, org.agent1, {
        propertyId: randomUUID(),
        buyerContactIds: [randomUUID()],
        expectedCloseDate: '2026-12-15',
        participants: [{ side: 'buy', role: 'lender', name: 'Pat Lender', company: 'First Bank', email: 'pat@bank.example' }],
        keyDates: { inspection: '2026-12-01' },
      });
      expect(created).toMatchObject({
        agentId: org.agent1.userId,
        stage: 'contacted',
        status: 'open',
        probability: 10,
        price: 50_000_000,
        side: 'buy',
      });
      expect(created.participants).toEqual([expect.objectContaining({ role: 'lender', name: 'Pat Lender' })]);
      expect(created.keyDates).toEqual({ inspection: '2026-12-01' });
      expect(created.stageHistory).toEqual([expect.objectContaining({ from: null, to: 'contacted', by: org.agent1.userId })]);
      const pipelines = await stack.http.get<{ items: Array<{ stages: Array<{ key: string; outcome: string }> }> }>('/v1/pipelines', {
        token: org.agent1.accessToken,
      });
      expect(pipelines.body.items[0].stages.map((stage) => `${stage.key}:${stage.outcome}`)).toEqual([
        'contacted:open',
        'meeting:open',
        'offer:open',
        'accepted:open',
        'closed:won',
        'lost:lost',
      ]);
    });

    it('refuses unknown fields, a bad side and a negative price', async () => {
      const response = await stack.http.post<{ errors: Array<{ field: string }> }>(
        '/v1/transactions',
        { side: 'rent', price: -1, commission: 5 },
        { token: org.agent1.accessToken },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error) => error.field)).toEqual(expect.arrayContaining(['side', 'price']));
    });

    it('refuses an agent creating a deal for another agent (403 AGENT_OUT_OF_SCOPE)', async () => {
      const response = await stack.http.post(
        '/v1/transactions',
        { side: 'buy', price: 1, agentId: org.agent2.userId },
        { token: org.agent1.accessToken },
      );
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('AGENT_OUT_OF_SCOPE');
    });

    it('refuses a manager creating a deal for an agent outside their teams, allows a team member', async () => {
      const outside = await stack.http.post(
        '/v1/transactions',
        { side: 'buy', price: 1, agentId: org.agent2.userId },
        { token: org.manager.accessToken },
      );
      expect(outside.status).toBe(403);
      const inside = await stack.http.post(
        '/v1/transactions',
        { side: 'buy', price: 1, agentId: org.agent1.userId },
        { token: org.manager.accessToken },
      );
      expect(inside.status).toBe(201);
    });
  });

  describe('PATCH /v1/transactions/:id (stage changes)', () => {
    it('moves through stages, refuses an unknown stage, and a won stage without close price and date', async () => {
      const deal = await createTransaction(stack.http, org.agent1, {});
      const moved = await stack.http.patch(`/v1/transactions/${deal.id}`, { stage: 'offer' }, { token: org.agent1.accessToken });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ stage: 'offer', probability: 50, status: 'open' });

      const unknown = await stack.http.patch(`/v1/transactions/${deal.id}`, { stage: 'signed' }, { token: org.agent1.accessToken });
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('UNKNOWN_STAGE');

      const noClose = await stack.http.patch<{ code: string; errors: Array<{ field: string }> }>(
        `/v1/transactions/${deal.id}`,
        { stage: 'closed' },
        { token: org.agent1.accessToken },
      );
      expect(noClose.status).toBe(400);
      expect(noClose.body.code).toBe('WON_STAGE_NEEDS_CLOSE_PRICE_AND_DATE');
      expect(noClose.body.errors.map((error) => error.field).sort()).toEqual(['closeDate', 'closePrice']);

      const noDate = await stack.http.patch<{ errors: Array<{ field: string }> }>(
        `/v1/transactions/${deal.id}`,
        { stage: 'closed', closePrice: 49_000_000 },
        { token: org.agent1.accessToken },
      );
      expect(noDate.status).toBe(400);
      expect(noDate.body.errors.map((error) => error.field)).toEqual(['closeDate']);

      const closed = await stack.http.patch(
        `/v1/transactions/${deal.id}`,
        { stage: 'closed', closePrice: 49_000_000, closeDate: '2026-11-02' },
        { token: org.agent1.accessToken },
      );
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({
        stage: 'closed',
        status: 'won',
        probability: 100,
        closePrice: 49_000_000,
        closeDate: '2026-11-02',
      });
      expect((closed.body.stageHistory as Array<{ to: string }>).map((change) => change.to)).toEqual(['contacted', 'offer', 'closed']);

      const types = await dealsOutboxTypes(stack, deal.id);
      expect(types.filter((type) => type === 'deals.transaction.stage_changed')).toHaveLength(3);
      expect(types).toEqual(
        expect.arrayContaining(['deals.transaction.created', 'deals.transaction.closed', 'deals.commission.statement_created']),
      );

      const timeline = await stack.http.get<{ items: Array<{ kind: string }> }>(`/v1/transactions/${deal.id}/timeline`, {
        token: org.agent1.accessToken,
      });
      expect(timeline.body.items.map((entry) => entry.kind)).toEqual(
        expect.arrayContaining(['created', 'stage_changed', 'updated', 'commission_computed']),
      );

      const remove = await stack.http.delete(`/v1/transactions/${deal.id}`, { token: org.agent1.accessToken });
      expect(remove.status).toBe(409);
      expect(remove.body.code).toBe('TRANSACTION_CLOSED');
    });

    it('refuses closing when neither the deal nor its agent has a plan (422 COMMISSION_PLAN_MISSING)', async () => {
      const deal = await createTransaction(stack.http, org.owner, {});
      const response = await stack.http.patch(
        `/v1/transactions/${deal.id}`,
        { stage: 'closed', closePrice: 1_000, closeDate: '2026-11-02' },
        { token: org.owner.accessToken },
      );
      expect(response.status).toBe(422);
      expect(response.body.code).toBe('COMMISSION_PLAN_MISSING');
    });

    it('updates notes, participants and merges key dates; deletes an open deal', async () => {
      const deal = await createTransaction(stack.http, org.agent1, { keyDates: { inspection: '2026-12-01' } });
      const response = await stack.http.patch(
        `/v1/transactions/${deal.id}`,
        {
          notes: 'Buyer pre-approved',
          keyDates: { appraisal: '2026-12-05' },
          participants: [{ side: 'list', role: 'escrow_title', company: 'Title Co' }],
        },
        { token: org.agent1.accessToken },
      );
      expect(response.body).toMatchObject({ notes: 'Buyer pre-approved', keyDates: { inspection: '2026-12-01', appraisal: '2026-12-05' } });
      expect(await stack.http.delete(`/v1/transactions/${deal.id}`, { token: org.agent1.accessToken })).toMatchObject({ status: 204 });
      expect((await stack.http.get(`/v1/transactions/${deal.id}`, { token: org.agent1.accessToken })).status).toBe(404);
      expect(await dealsOutboxTypes(stack, deal.id)).toContain('deals.transaction.deleted');
    });
  });

  describe('GET /v1/transactions (filters, pagination)', () => {
    it('filters by side, price range and expected-close range, and pages with a cursor', async () => {
      const agent = org.agent2;
      for (const [price, date, side] of [
        [10_000_000, '2027-01-10', 'list'],
        [20_000_000, '2027-02-10', 'list'],
        [30_000_000, '2027-03-10', 'dual'],
      ] as const) {
        await createTransaction(stack.http, agent, { price, expectedCloseDate: date, side });
      }
      const byPrice = await stack.http.get<{ items: Array<{ price: number }> }>(
        '/v1/transactions?priceMin=15000000&priceMax=30000000&side=list',
        { token: agent.accessToken },
      );
      expect(byPrice.body.items.map((item) => item.price)).toEqual([20_000_000]);
      const byDate = await stack.http.get<{ items: Array<{ expectedCloseDate: string }> }>(
        '/v1/transactions?expectedCloseFrom=2027-02-01&expectedCloseTo=2027-03-31',
        { token: agent.accessToken },
      );
      expect(byDate.body.items.map((item) => item.expectedCloseDate).sort()).toEqual(['2027-02-10', '2027-03-10']);
      const first = await stack.http.get<{ items: Array<{ id: string }>; nextCursor: string }>('/v1/transactions?limit=2', {
        token: agent.accessToken,
      });
      expect(first.body.items).toHaveLength(2);
      const second = await stack.http.get<{ items: Array<{ id: string }>; nextCursor: string | null }>(
        `/v1/transactions?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
        {
          token: agent.accessToken,
        },
      );
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
      expect((await stack.http.get('/v1/transactions?cursor=nonsense', { token: agent.accessToken })).body.code).toBe('INVALID_CURSOR');
    });
  });

  describe('offers', () => {
    it('accepting one offer rejects the listing’s other open offers and moves the deal to accepted at the offer price', async () => {
      const listing = await createTransaction(stack.http, org.agent1, {
        side: 'list',
        propertyId: randomUUID(),
        price: 60_000_000,
        stage: 'meeting',
      });
      const token = org.agent1.accessToken;
      const make = async (amount: number, buyerName: string) => {
        const response = await stack.http.post<{ id: string; status: string }>(
          '/v1/offers',
          {
            transactionId: listing.id,
            amount,
            buyerName,
            earnestMoney: 1_000_000,
            financingType: 'conventional',
            contingencies: ['inspection', 'financing'],
          },
          { token },
        );
        expect(response.status).toBe(201);
        return response.body;
      };
      const low = await make(58_000_000, 'Low Buyer');
      const high = await make(61_000_000, 'High Buyer');
      const withdrawn = await make(59_000_000, 'Gone Buyer');
      expect((await stack.http.patch(`/v1/offers/${withdrawn.id}`, { status: 'withdrawn' }, { token })).body).toMatchObject({
        status: 'withdrawn',
      });
      expect((await stack.http.patch(`/v1/offers/${low.id}`, { amount: 59_500_000 }, { token })).body).toMatchObject({
        status: 'countered',
        amount: 59_500_000,
      });

      expect((await stack.http.post(`/v1/offers/${high.id}/accept`, {}, { token: org.agent2.accessToken })).status).toBe(404);
      expect((await stack.http.post(`/v1/offers/${high.id}/accept`, {}, { token: other.accessToken })).status).toBe(404);
      const accepted = await stack.http.post(`/v1/offers/${high.id}/accept`, {}, { token });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({ status: 'accepted' });
      const offers = await stack.http.get<{ items: Array<{ id: string; status: string }> }>(`/v1/offers?transactionId=${listing.id}`, {
        token,
      });
      expect(Object.fromEntries(offers.body.items.map((offer) => [offer.id, offer.status]))).toEqual({
        [low.id]: 'rejected',
        [high.id]: 'accepted',
        [withdrawn.id]: 'withdrawn',
      });
      const deal = await stack.http.get(`/v1/transactions/${listing.id}`, { token });
      expect(deal.body).toMatchObject({ stage: 'accepted', price: 61_000_000, probability: 80 });
      expect((await stack.http.post(`/v1/offers/${low.id}/accept`, {}, { token })).body.code).toBe('OFFER_NOT_OPEN');
      expect(await dealsOutboxTypes(stack, listing.id)).toEqual(
        expect.arrayContaining(['deals.offer.accepted', 'deals.offer.rejected', 'deals.offer.withdrawn']),
      );
      expect(
        (await stack.http.get<{ items: unknown[] }>(`/v1/offers?transactionId=${listing.id}`, { token: org.agent2.accessToken })).body
          .items,
      ).toEqual([]);
    });

    it('refuses an offer on a deal without a property (422) and an expired offer (409)', async () => {
      const noProperty = await createTransaction(stack.http, org.agent1, {});
      const response = await stack.http.post(
        '/v1/offers',
        { transactionId: noProperty.id, amount: 1, financingType: 'cash' },
        { token: org.agent1.accessToken },
      );
      expect(response.status).toBe(422);
      expect(response.body.code).toBe('TRANSACTION_HAS_NO_PROPERTY');
      const listing = await createTransaction(stack.http, org.agent1, { propertyId: randomUUID() });
      const expired = await stack.http.post<{ id: string }>(
        '/v1/offers',
        { transactionId: listing.id, amount: 1, financingType: 'cash', expiresAt: '2020-01-01T00:00:00Z' },
        { token: org.agent1.accessToken },
      );
      const accept = await stack.http.post(`/v1/offers/${expired.body.id}/accept`, {}, { token: org.agent1.accessToken });
      expect(accept.status).toBe(409);
      expect(accept.body.code).toBe('OFFER_EXPIRED');
    });
  });

  describe('scopes and refusals', () => {
    let deal1: { id: string };

    beforeAll(async () => {
      deal1 = await createTransaction(stack.http, org.agent1, { notes: 'agent1 deal' });
    });

    it('agents see only their own deals; another agent gets 404 on read, write, delete, timeline and commission', async () => {
      const list = await stack.http.get<{ items: Array<{ agentId: string }> }>('/v1/transactions', { token: org.agent2.accessToken });
      expect(list.body.items.every((item) => item.agentId === org.agent2.userId)).toBe(true);
      const token = org.agent2.accessToken;
      expect((await stack.http.get(`/v1/transactions/${deal1.id}`, { token })).status).toBe(404);
      expect((await stack.http.patch(`/v1/transactions/${deal1.id}`, { notes: 'x' }, { token })).status).toBe(404);
      expect((await stack.http.delete(`/v1/transactions/${deal1.id}`, { token })).status).toBe(404);
      expect((await stack.http.get(`/v1/transactions/${deal1.id}/timeline`, { token })).status).toBe(404);
      expect((await stack.http.get(`/v1/transactions/${deal1.id}/commission`, { token })).status).toBe(404);
      const agentList = await stack.http.get<{ items: unknown[] }>(`/v1/agents/${org.agent1.userId}/transactions`, { token });
      expect(agentList.body.items).toEqual([]);
    });

    it('a manager sees their team’s deals, not deals of agents outside the team', async () => {
      const agent2Deal = await createTransaction(stack.http, org.agent2, {});
      const token = org.manager.accessToken;
      expect((await stack.http.get(`/v1/transactions/${deal1.id}`, { token })).status).toBe(200);
      expect((await stack.http.get(`/v1/transactions/${agent2Deal.id}`, { token })).status).toBe(404);
      const agentList = await stack.http.get<{ items: Array<{ agentId: string }> }>(`/v1/agents/${org.agent1.userId}/transactions`, {
        token,
      });
      expect(agentList.body.items.length).toBeGreaterThan(0);
      expect(agentList.body.items.every((item) => item.agentId === org.agent1.userId)).toBe(true);
    });

    it('another organization gets 404 for the deal and an empty list', async () => {
      const token = other.accessToken;
      expect((await stack.http.get(`/v1/transactions/${deal1.id}`, { token })).status).toBe(404);
      expect((await stack.http.patch(`/v1/transactions/${deal1.id}`, { notes: 'x' }, { token })).status).toBe(404);
      expect((await stack.http.delete(`/v1/transactions/${deal1.id}`, { token })).status).toBe(404);
      expect((await stack.http.get(`/v1/transactions/${deal1.id}/timeline`, { token })).status).toBe(404);
      expect((await stack.http.get<{ items: unknown[] }>('/v1/transactions', { token })).body.items).toEqual([]);
      expect((await stack.http.get<{ items: unknown[] }>(`/v1/agents/${org.agent1.userId}/transactions`, { token })).body.items).toEqual(
        [],
      );
    });

    it('only admins create pipelines (403 for a manager and an agent)', async () => {
      const body = {
        name: 'Rentals',
        stages: [
          { key: 'new', name: 'New', probability: 10, outcome: 'open' },
          { key: 'signed', name: 'Signed', probability: 100, outcome: 'won' },
        ],
      };
      expect((await stack.http.post('/v1/pipelines', body, { token: org.manager.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/pipelines', body, { token: org.agent1.accessToken })).status).toBe(403);
      const created = await stack.http.post<{ id: string }>('/v1/pipelines', body, { token: org.owner.accessToken });
      expect(created.status).toBe(201);
      const deal = await createTransaction(stack.http, org.agent1, { pipelineId: created.body.id });
      expect(deal).toMatchObject({ pipelineId: created.body.id, stage: 'new' });
      const otherOrg = await stack.http.post(
        '/v1/transactions',
        { side: 'buy', price: 1, pipelineId: created.body.id },
        { token: other.accessToken },
      );
      expect(otherOrg.status).toBe(404);
    });
  });
});
