import {
  CrmContactSubjects as S,
  CrmTaskSubjects,
  DealsEvent,
  type Actor,
  type CloudEvent,
  type CrmTimelineEntry,
} from '@keyhouse/contracts';
import { startService, waitForConsumed } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { createContact, type CrmTestService } from '../support/crm-contacts.util';
import { identityEventsOf, seedIdentity, userOf } from '../support/crm-users.util';
import { dealCreatedEvents, dealEvent, dealMovedEvents, offerView, transactionView } from '../support/deals-events.util';

/** Polls `read` every 150 ms until `done(value)` holds, and returns that value; throws after `timeoutMs` with the last value. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * Activity on the contact timeline from other services and from crm's own work (issue 3), on the
 * crm service alone: `deals.events` as the deals service emits them (consumer group
 * `crm.deal-activity`) and crm's task events through Kafka (`crm.task-activity`). The erasure of
 * the linked client user in identity is a cross-service flow: apps/gateway/test/integration/crm.
 */
describe('crm activity from other services (crm service over NATS and Kafka)', () => {
  let crm: CrmTestService;
  const orgId = newId();
  const owner = userOf(orgId, 'owner');
  const rival = userOf(newId(), 'owner');
  const agent = userOf(orgId, 'agent');
  const otherAgent = userOf(orgId, 'agent');

  beforeAll(async () => {
    crm = await startService(startCrm);
    await seedIdentity(crm, [
      ...identityEventsOf(owner),
      ...identityEventsOf(rival),
      ...identityEventsOf(agent),
      ...identityEventsOf(otherAgent),
    ]);
  });

  afterAll(async () => {
    await crm?.stop();
  });

  let people = 0;
  const person = (label: string) => {
    people += 1;
    return { firstName: label, lastName: 'Activity', email: `${label.toLowerCase()}-${people}-${newId()}@example.test` };
  };
  const timelineOf = async (contactId: string, actor: Actor) =>
    (await crm.rpc.call(S.timeline, { id: contactId, limit: 100 }, actor)).items;
  const ofDeal = (items: CrmTimelineEntry[], transactionId: string) => items.filter((entry) => entry.data.transactionId === transactionId);
  /** Publishes deals events as the deals relay does and waits until crm's deal-activity consumer applied them. */
  const fromDeals = async (events: CloudEvent[]) => {
    await crm.publish('deals.events', events);
    await waitForConsumed(crm, { service: 'crm', group: 'crm.deal-activity', eventIds: events.map((event) => event.id) });
  };

  describe('deals.events → crm.contacts.timeline', () => {
    it('shows the deal created, each stage move (from → to) and the closing price on the buyer and seller contacts, without engagement points, and ignores another organization’s deal naming the contact', async () => {
      const buyer = await createContact(crm, agent, person('Bea'));
      const seller = await createContact(crm, agent, person('Sol'));
      const deal = transactionView(agent, {
        buyerContactIds: [buyer.id],
        sellerContactIds: [seller.id],
        stage: 'contacted',
        commissionPlanId: newId(),
      });
      await fromDeals([
        ...dealCreatedEvents(agent, deal),
        ...dealMovedEvents(agent, deal, 'contacted', 'meeting', 'open'),
        ...dealMovedEvents(agent, deal, 'meeting', 'closed', 'won', { closePrice: 49_500_000, closeDate: '2026-11-02' }),
      ]);

      const entries = ofDeal(await timelineOf(buyer.id, agent), deal.id).reverse(); // oldest first
      expect(entries.map((entry) => entry.kind)).toEqual([
        'deals.transaction.created',
        'deals.transaction.stage_changed',
        'deals.transaction.stage_changed',
        'deals.transaction.closed',
      ]);
      expect(entries[0].data).toMatchObject({ role: 'buyer', stage: 'contacted', price: 50_000_000, side: 'buy', agentId: agent.userId });
      expect(entries.slice(1, 3).map((entry) => [entry.data.from, entry.data.to, entry.data.outcome])).toEqual([
        ['contacted', 'meeting', 'open'],
        ['meeting', 'closed', 'won'],
      ]);
      expect(entries[3].data).toEqual({ transactionId: deal.id, role: 'buyer', closePrice: 49_500_000, closeDate: '2026-11-02' });
      expect(entries.every((entry) => entry.actorId === agent.userId)).toBe(true);

      const sellerEntries = ofDeal(await timelineOf(seller.id, agent), deal.id);
      expect(sellerEntries).toHaveLength(4);
      expect(sellerEntries.every((entry) => entry.data.role === 'seller')).toBe(true);

      // The agent's work on the deal is no engagement of the lead: no engagement points.
      const contact = await crm.rpc.call(S.get, { id: buyer.id }, agent);
      expect(contact.scoreReasons.find((reason) => reason.signal === 'engagement')).toBeUndefined();

      // Another organization's deal naming our contact id: consumed, but nothing lands on our contact.
      const foreign = transactionView(rival, { buyerContactIds: [buyer.id] });
      await fromDeals(dealCreatedEvents(rival, foreign));
      expect(ofDeal(await timelineOf(buyer.id, agent), foreign.id)).toEqual([]);
    });

    it('shows a buyer’s offer submitted and accepted on the buyer contact, the submission counting as engagement', async () => {
      const buyer = await createContact(crm, agent, person('Otto'));
      const deal = transactionView(agent, { buyerContactIds: [buyer.id], propertyId: newId(), stage: 'offer' });
      const submitted = offerView(deal, { amount: 51_250_000, earnestMoney: 1_000_000, financingType: 'cash' });
      const accepted = { ...submitted, status: 'accepted' as const, acceptedAt: new Date().toISOString() };
      await fromDeals([
        ...dealCreatedEvents(agent, deal),
        dealEvent(DealsEvent.offerSubmitted, agent, deal.id, { offer: submitted }),
        dealEvent(DealsEvent.offerAccepted, agent, deal.id, { offer: accepted }),
        ...dealMovedEvents(agent, deal, 'offer', 'accepted', 'open'),
      ]);
      const timeline = await timelineOf(buyer.id, agent);
      const offers = timeline.filter((entry) => entry.data.offerId === submitted.id);
      expect(offers.map((entry) => [entry.kind, entry.data.status, entry.data.amount])).toEqual([
        ['deals.offer.accepted', 'accepted', 51_250_000],
        ['deals.offer.submitted', 'submitted', 51_250_000],
      ]);
      expect(ofDeal(timeline, deal.id).find((entry) => entry.kind === 'deals.transaction.stage_changed')?.data).toMatchObject({
        from: 'offer',
        to: 'accepted',
      });
      // One engaging event (the submitted offer): 5 points (docs/adr/0009: 5 per event, at most 25).
      const contact = await crm.rpc.call(S.get, { id: buyer.id }, agent);
      expect(contact.scoreReasons.find((reason) => reason.signal === 'engagement')?.points).toBe(5);

      await fromDeals([
        dealEvent(DealsEvent.transactionDeleted, agent, deal.id, {
          transactionId: deal.id,
          buyerContactIds: deal.buyerContactIds,
          sellerContactIds: deal.sellerContactIds,
        }),
      ]);
      const afterDelete = await timelineOf(buyer.id, agent);
      expect(afterDelete[0]).toMatchObject({ kind: 'deals.transaction.deleted', data: { transactionId: deal.id, role: 'buyer' } });
    });

    it('refuses the timeline to an agent who does not own the contact and to another organization (not found), and shows it to the owner', async () => {
      const contact = await createContact(crm, agent, person('Pri'));
      await expect(crm.rpc.call(S.timeline, { id: contact.id }, otherAgent)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'CONTACT_NOT_FOUND',
      });
      await expect(crm.rpc.call(S.timeline, { id: contact.id }, rival)).rejects.toMatchObject({ kind: 'not_found' });
      await crm.rpc.call(S.timeline, { id: contact.id, limit: 100 }, owner);
    });
  });

  describe('crm.task.created / completed → timeline', () => {
    it('shows a task created for the contact and its completion', async () => {
      const contact = await createContact(crm, agent, person('Tia'));
      const task = await crm.rpc.call(
        CrmTaskSubjects.create,
        { title: 'Call about the pre-approval', type: 'call', contactId: contact.id, dueAt: '2026-12-01T17:00:00Z' },
        agent,
      );
      await crm.rpc.call(CrmTaskSubjects.complete, { id: task.id }, agent);
      const timeline = await eventually(
        () => timelineOf(contact.id, agent),
        (items) => items.some((entry) => entry.kind === 'crm.task.completed'),
      );
      const tasks = timeline.filter((entry) => entry.data.taskId === task.id);
      expect(tasks.map((entry) => [entry.kind, entry.data.status])).toEqual([
        ['crm.task.completed', 'completed'],
        ['crm.task.created', 'open'],
      ]);
      expect(tasks[1].data).toMatchObject({
        title: 'Call about the pre-approval',
        type: 'call',
        assigneeId: agent.userId,
        dueAt: '2026-12-01T17:00:00.000Z',
      });
    });
  });
});
