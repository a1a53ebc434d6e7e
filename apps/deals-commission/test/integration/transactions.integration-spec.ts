import { DealsCommissionSubjects, DealsTransactionSubjects as S, type TransactionView } from '@keyhouse/contracts';
import { startService, type TestService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startDealsCommission } from '../../src/main';
import { dealsContact, dealsOrg, dealsProperty, dealsUser, type DealsActor, type DealsOrg } from '../support/deals-org.fixture';
import { assignPlan, createPlan, createTransaction, dealsOutboxTypes } from '../support/deals-records.fixture';
import { startDirectoryStandIn, type DirectoryStandIn } from '../support/directory-stand-in.fixture';

/**
 * Transactions on the deals service alone (over NATS; what it asks identity, crm and listings
 * answered by a stand-in): pipeline stages and their rules, filters, timeline, offers, scopes and refusals.
 */
describe('deals: transactions (deals-commission over NATS)', () => {
  let deals: TestService;
  let directory: DirectoryStandIn;
  let org: DealsOrg;
  let other: DealsActor;

  beforeAll(async () => {
    deals = await startService(startDealsCommission);
    directory = await startDirectoryStandIn(deals);
    org = dealsOrg(directory);
    other = dealsUser(directory, newId(), 'owner');
    const planId = await createPlan(deals, org.owner, { name: 'Standard', grossRateBps: 300, agentSplitBps: 7000 });
    for (const agent of [org.agent1, org.agent2]) await assignPlan(deals, org.owner, agent.userId, planId);
  });

  afterAll(async () => {
    await directory?.stop();
    await deals?.stop();
  });

  describe('deals.transactions.create', () => {
    it('creates a deal in the first stage of the default pipeline with the stage probability', async () => {
      const created = await createTransaction(deals, org.agent1, {
        propertyId: dealsProperty(directory, org.orgId),
        buyerContactIds: [dealsContact(directory, org.agent1)],
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
      const pipelines = await deals.rpc.call(S.pipelineList, {}, org.agent1);
      expect(pipelines.items[0].stages.map((stage) => `${stage.key}:${stage.outcome}`)).toEqual([
        'contacted:open',
        'meeting:open',
        'offer:open',
        'accepted:open',
        'closed:won',
        'lost:lost',
      ]);
    });

    it('refuses an agent creating a deal for another agent (forbidden AGENT_OUT_OF_SCOPE)', async () => {
      await expect(createTransaction(deals, org.agent1, { price: 1, agentId: org.agent2.userId })).rejects.toMatchObject({
        kind: 'forbidden',
        code: 'AGENT_OUT_OF_SCOPE',
      });
    });

    it('refuses a manager creating a deal for an agent outside their teams, allows a team member', async () => {
      await expect(createTransaction(deals, org.manager, { price: 1, agentId: org.agent2.userId })).rejects.toMatchObject({
        kind: 'forbidden',
        code: 'AGENT_OUT_OF_SCOPE',
      });
      const inside = await createTransaction(deals, org.manager, { price: 1, agentId: org.agent1.userId });
      expect(inside).toMatchObject({ agentId: org.agent1.userId });
    });
  });

  describe('deals.transactions.update (stage changes)', () => {
    it('moves through stages, refuses an unknown stage, and a won stage without close price and date', async () => {
      const deal = await createTransaction(deals, org.agent1);
      const moved = await deals.rpc.call(S.update, { id: deal.id, stage: 'offer' }, org.agent1);
      expect(moved).toMatchObject({ stage: 'offer', probability: 50, status: 'open' });

      await expect(deals.rpc.call(S.update, { id: deal.id, stage: 'signed' }, org.agent1)).rejects.toMatchObject({
        kind: 'validation',
        code: 'UNKNOWN_STAGE',
      });

      const noClose = await refusalOf(deals.rpc.call(S.update, { id: deal.id, stage: 'closed' }, org.agent1));
      expect(noClose).toMatchObject({ kind: 'validation', code: 'WON_STAGE_NEEDS_CLOSE_PRICE_AND_DATE' });
      expect(noClose.errors!.map((error) => error.field).sort()).toEqual(['closeDate', 'closePrice']);

      const noDate = await refusalOf(deals.rpc.call(S.update, { id: deal.id, stage: 'closed', closePrice: 49_000_000 }, org.agent1));
      expect(noDate.kind).toBe('validation');
      expect(noDate.errors!.map((error) => error.field)).toEqual(['closeDate']);

      const closed = await deals.rpc.call(
        S.update,
        { id: deal.id, stage: 'closed', closePrice: 49_000_000, closeDate: '2026-11-02' },
        org.agent1,
      );
      expect(closed).toMatchObject({
        stage: 'closed',
        status: 'won',
        probability: 100,
        closePrice: 49_000_000,
        closeDate: '2026-11-02',
      });
      expect(closed.stageHistory.map((change) => change.to)).toEqual(['contacted', 'offer', 'closed']);

      const types = await dealsOutboxTypes(deals, deal.id);
      expect(types.filter((type) => type === 'deals.transaction.stage_changed')).toHaveLength(3);
      expect(types).toEqual(
        expect.arrayContaining(['deals.transaction.created', 'deals.transaction.closed', 'deals.commission.statement_created']),
      );

      const timeline = await deals.rpc.call(S.timeline, { id: deal.id }, org.agent1);
      expect(timeline.items.map((entry) => entry.kind)).toEqual(
        expect.arrayContaining(['created', 'stage_changed', 'updated', 'commission_computed']),
      );

      await expect(deals.rpc.call(S.delete, { id: deal.id }, org.agent1)).rejects.toMatchObject({
        kind: 'conflict',
        code: 'TRANSACTION_CLOSED',
      });
    });

    it('refuses closing when neither the deal nor its agent has a plan (unprocessable COMMISSION_PLAN_MISSING)', async () => {
      const deal = await createTransaction(deals, org.owner);
      await expect(
        deals.rpc.call(S.update, { id: deal.id, stage: 'closed', closePrice: 1_000, closeDate: '2026-11-02' }, org.owner),
      ).rejects.toMatchObject({ kind: 'unprocessable', code: 'COMMISSION_PLAN_MISSING' });
    });

    it('updates notes, participants and merges key dates; deletes an open deal', async () => {
      const deal = await createTransaction(deals, org.agent1, { keyDates: { inspection: '2026-12-01' } });
      const updated = await deals.rpc.call(
        S.update,
        {
          id: deal.id,
          notes: 'Buyer pre-approved',
          keyDates: { appraisal: '2026-12-05' },
          participants: [{ side: 'list', role: 'escrow_title', company: 'Title Co' }],
        },
        org.agent1,
      );
      expect(updated).toMatchObject({ notes: 'Buyer pre-approved', keyDates: { inspection: '2026-12-01', appraisal: '2026-12-05' } });
      await expect(deals.rpc.call(S.delete, { id: deal.id }, org.agent1)).resolves.toBeNull();
      await expect(deals.rpc.call(S.get, { id: deal.id }, org.agent1)).rejects.toMatchObject({ kind: 'not_found' });
      expect(await dealsOutboxTypes(deals, deal.id)).toContain('deals.transaction.deleted');
    });
  });

  describe('deals.transactions.list (filters, pagination)', () => {
    it('filters by side, price range and expected-close range, and pages with a cursor', async () => {
      const agent = org.agent2;
      for (const [price, date, side] of [
        [10_000_000, '2027-01-10', 'list'],
        [20_000_000, '2027-02-10', 'list'],
        [30_000_000, '2027-03-10', 'dual'],
      ] as const) {
        await createTransaction(deals, agent, { price, expectedCloseDate: date, side });
      }
      const byPrice = await deals.rpc.call(S.list, { priceMin: 15_000_000, priceMax: 30_000_000, side: 'list' }, agent);
      expect(byPrice.items.map((item) => item.price)).toEqual([20_000_000]);
      const byDate = await deals.rpc.call(S.list, { expectedCloseFrom: '2027-02-01', expectedCloseTo: '2027-03-31' }, agent);
      expect(byDate.items.map((item) => item.expectedCloseDate).sort()).toEqual(['2027-02-10', '2027-03-10']);
      const first = await deals.rpc.call(S.list, { limit: 2 }, agent);
      expect(first.items).toHaveLength(2);
      const second = await deals.rpc.call(S.list, { limit: 2, cursor: first.nextCursor! }, agent);
      expect(second.items).toHaveLength(1);
      expect(second.items[0].id).not.toBe(first.items[0].id);
      await expect(deals.rpc.call(S.list, { cursor: 'nonsense' }, agent)).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    });
  });

  describe('offers', () => {
    it('accepting one offer rejects the listing’s other open offers and moves the deal to accepted at the offer price', async () => {
      const listing = await createTransaction(deals, org.agent1, {
        side: 'list',
        propertyId: dealsProperty(directory, org.orgId),
        price: 60_000_000,
        stage: 'meeting',
      });
      const agent = org.agent1;
      const make = (amount: number, buyerName: string) =>
        deals.rpc.call(
          S.offerCreate,
          {
            transactionId: listing.id,
            amount,
            buyerName,
            earnestMoney: 1_000_000,
            financingType: 'conventional',
            contingencies: ['inspection', 'financing'],
          },
          agent,
        );
      const low = await make(58_000_000, 'Low Buyer');
      const high = await make(61_000_000, 'High Buyer');
      const withdrawn = await make(59_000_000, 'Gone Buyer');
      expect(await deals.rpc.call(S.offerUpdate, { id: withdrawn.id, status: 'withdrawn' }, agent)).toMatchObject({ status: 'withdrawn' });
      expect(await deals.rpc.call(S.offerUpdate, { id: low.id, amount: 59_500_000 }, agent)).toMatchObject({
        status: 'countered',
        amount: 59_500_000,
      });

      await expect(deals.rpc.call(S.offerAccept, { id: high.id }, org.agent2)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(S.offerAccept, { id: high.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      const accepted = await deals.rpc.call(S.offerAccept, { id: high.id }, agent);
      expect(accepted).toMatchObject({ status: 'accepted' });
      const offers = await deals.rpc.call(S.offerList, { transactionId: listing.id }, agent);
      expect(Object.fromEntries(offers.items.map((offer) => [offer.id, offer.status]))).toEqual({
        [low.id]: 'rejected',
        [high.id]: 'accepted',
        [withdrawn.id]: 'withdrawn',
      });
      const deal = await deals.rpc.call(S.get, { id: listing.id }, agent);
      expect(deal).toMatchObject({ stage: 'accepted', price: 61_000_000, probability: 80 });
      await expect(deals.rpc.call(S.offerAccept, { id: low.id }, agent)).rejects.toMatchObject({ code: 'OFFER_NOT_OPEN' });
      expect(await dealsOutboxTypes(deals, listing.id)).toEqual(
        expect.arrayContaining(['deals.offer.accepted', 'deals.offer.rejected', 'deals.offer.withdrawn']),
      );
      expect((await deals.rpc.call(S.offerList, { transactionId: listing.id }, org.agent2)).items).toEqual([]);
    });

    it('refuses an offer on a deal without a property (unprocessable) and an expired offer (conflict)', async () => {
      const noProperty = await createTransaction(deals, org.agent1);
      await expect(
        deals.rpc.call(S.offerCreate, { transactionId: noProperty.id, amount: 1, financingType: 'cash' }, org.agent1),
      ).rejects.toMatchObject({ kind: 'unprocessable', code: 'TRANSACTION_HAS_NO_PROPERTY' });
      const listing = await createTransaction(deals, org.agent1, { propertyId: dealsProperty(directory, org.orgId) });
      const expired = await deals.rpc.call(
        S.offerCreate,
        { transactionId: listing.id, amount: 1, financingType: 'cash', expiresAt: '2020-01-01T00:00:00Z' },
        org.agent1,
      );
      await expect(deals.rpc.call(S.offerAccept, { id: expired.id }, org.agent1)).rejects.toMatchObject({
        kind: 'conflict',
        code: 'OFFER_EXPIRED',
      });
    });
  });

  describe('scopes and refusals', () => {
    let deal1: TransactionView;

    beforeAll(async () => {
      deal1 = await createTransaction(deals, org.agent1, { notes: 'agent1 deal' });
    });

    it('agents see only their own deals; another agent gets not_found on read, write, delete, timeline and commission', async () => {
      const agent = org.agent2;
      const list = await deals.rpc.call(S.list, {}, agent);
      expect(list.items.every((item) => item.agentId === org.agent2.userId)).toBe(true);
      await expect(deals.rpc.call(S.get, { id: deal1.id }, agent)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(S.update, { id: deal1.id, notes: 'x' }, agent)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(S.delete, { id: deal1.id }, agent)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(S.timeline, { id: deal1.id }, agent)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(DealsCommissionSubjects.statementGet, { id: deal1.id }, agent)).rejects.toMatchObject({
        kind: 'not_found',
      });
      const agentList = await deals.rpc.call(S.list, { agentId: org.agent1.userId }, agent);
      expect(agentList.items).toEqual([]);
    });

    it('a manager sees their team’s deals, not deals of agents outside the team', async () => {
      const agent2Deal = await createTransaction(deals, org.agent2);
      const manager = org.manager;
      await expect(deals.rpc.call(S.get, { id: deal1.id }, manager)).resolves.toMatchObject({ id: deal1.id });
      await expect(deals.rpc.call(S.get, { id: agent2Deal.id }, manager)).rejects.toMatchObject({ kind: 'not_found' });
      const agentList = await deals.rpc.call(S.list, { agentId: org.agent1.userId }, manager);
      expect(agentList.items.length).toBeGreaterThan(0);
      expect(agentList.items.every((item) => item.agentId === org.agent1.userId)).toBe(true);
    });

    it('another organization gets not_found for the deal and an empty list', async () => {
      await expect(deals.rpc.call(S.get, { id: deal1.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(S.update, { id: deal1.id, notes: 'x' }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(S.delete, { id: deal1.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(S.timeline, { id: deal1.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await deals.rpc.call(S.list, {}, other)).items).toEqual([]);
      expect((await deals.rpc.call(S.list, { agentId: org.agent1.userId }, other)).items).toEqual([]);
    });

    it('only admins create pipelines (forbidden for a manager and an agent)', async () => {
      const body = {
        name: 'Rentals',
        stages: [
          { key: 'new', name: 'New', probability: 10, outcome: 'open' as const },
          { key: 'signed', name: 'Signed', probability: 100, outcome: 'won' as const },
        ],
      };
      await expect(deals.rpc.call(S.pipelineCreate, body, org.manager)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(deals.rpc.call(S.pipelineCreate, body, org.agent1)).rejects.toMatchObject({ kind: 'forbidden' });
      const created = await deals.rpc.call(S.pipelineCreate, body, org.owner);
      const deal = await createTransaction(deals, org.agent1, { pipelineId: created.id });
      expect(deal).toMatchObject({ pipelineId: created.id, stage: 'new' });
      await expect(createTransaction(deals, other, { price: 1, pipelineId: created.id })).rejects.toMatchObject({ kind: 'not_found' });
    });
  });
});
