import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createContact, type ContactJson } from '../../support/crm-fixtures';
import { eventually, identityOutboxEvents, identityUserRow, timelineOf, type TimelineEntryJson } from '../../support/crm-activity-fixtures';
import { createPlan, createTransaction } from '../../support/deals-fixtures';
import { createUser, login, PASSWORD, registerOrganization, uniqueEmail, type Session } from '../../support/fixtures';
import { startStack, type TestStack } from '../../support/stack';

/**
 * Issue 3, timeline and privacy across services: deals events and crm's own task events on the
 * contact timeline (crm consumer groups crm.deal-activity and crm.task-activity, real Kafka), and
 * crm.contact.erased erasing the linked client user in identity (group identity.contact-erasure).
 */
describe('CRM activity from other services and erasure across services', () => {
  let stack: TestStack;
  let owner: Session & { publicFormKey: string };
  let agent: Session;
  let otherAgent: Session;
  let rival: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'deals-commission'] });
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
    rival = await registerOrganization(stack.http, 'Rival Realty');
    agent = await createUser(stack.http, owner, 'agent');
    otherAgent = await createUser(stack.http, owner, 'agent');
  });

  afterAll(async () => {
    await stack.stop();
  });

  const person = (label: string) => ({ firstName: label, lastName: 'Activity', email: uniqueEmail(label.toLowerCase()) });
  const ofDeal = (items: TimelineEntryJson[], transactionId: string) => items.filter((entry) => entry.data.transactionId === transactionId);

  /** Whether the crm consumer `consumer` has applied the deals event of `type` about `transactionId` (its inbox row). */
  async function crmConsumed(consumer: string, transactionId: string, type: string): Promise<boolean> {
    const deals = new Client({ connectionString: stack.env.DEALS_COMMISSION_DATABASE_URL });
    const crm = new Client({ connectionString: stack.env.CRM_DATABASE_URL });
    await Promise.all([deals.connect(), crm.connect()]);
    try {
      const { rows } = await deals.query<{ id: string }>(
        `SELECT payload->>'id' AS id FROM "${stack.env.DEALS_COMMISSION_DATABASE_SCHEMA ?? 'deals'}".outbox_event WHERE message_key = $1 AND event_type = $2`,
        [transactionId, type],
      );
      if (!rows[0]) return false;
      const inbox = await crm.query(
        `SELECT 1 FROM "${stack.env.CRM_DATABASE_SCHEMA ?? 'crm'}".inbox_event WHERE consumer = $1 AND event_id = $2`,
        [consumer, rows[0].id],
      );
      return inbox.rowCount === 1;
    } finally {
      await Promise.all([deals.end(), crm.end()]);
    }
  }

  describe('deals.events → GET /v1/contacts/:id/timeline', () => {
    it('shows the deal created, each stage move (from → to) and the closing price on the buyer and seller contacts, without engagement points, and ignores another organization’s deal naming the contact', async () => {
      const buyer = await createContact(stack.http, agent.accessToken, person('Bea'));
      const seller = await createContact(stack.http, agent.accessToken, person('Sol'));
      const commissionPlanId = await createPlan(stack.http, owner, { name: 'Flat', flatFeeCents: 500_000, agentSplitBps: 5000 });
      const deal = await createTransaction(stack.http, agent, {
        buyerContactIds: [buyer.id],
        sellerContactIds: [seller.id],
        stage: 'contacted',
        commissionPlanId,
      });
      const patch = (body: Record<string, unknown>) => stack.http.patch(`/v1/transactions/${deal.id}`, body, { token: agent.accessToken });
      expect((await patch({ stage: 'meeting' })).status).toBe(200);
      expect((await patch({ stage: 'closed', closePrice: 49_500_000, closeDate: '2026-11-02' })).status).toBe(200);

      const buyerTimeline = await eventually(
        () => timelineOf(stack, buyer.id, agent.accessToken),
        (t) => ofDeal(t.items, deal.id).some((entry) => entry.kind === 'deals.transaction.closed'),
      );
      const entries = ofDeal(buyerTimeline.items, deal.id).reverse(); // oldest first
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

      const sellerTimeline = await eventually(
        () => timelineOf(stack, seller.id, agent.accessToken),
        (t) => ofDeal(t.items, deal.id).length === 4,
      );
      expect(ofDeal(sellerTimeline.items, deal.id).every((entry) => entry.data.role === 'seller')).toBe(true);

      // The agent's work on the deal is no engagement of the lead: no engagement points.
      const contact = await stack.http.get<ContactJson>(`/v1/contacts/${buyer.id}`, { token: agent.accessToken });
      expect(contact.body.scoreReasons.find((reason) => reason.signal === 'engagement')).toBeUndefined();

      // Another organization's deal naming our contact id: consumed, but nothing lands on our contact.
      const foreign = await createTransaction(stack.http, rival, { buyerContactIds: [buyer.id] });
      await eventually(() => crmConsumed('crm.deal-activity', foreign.id, 'deals.transaction.created'), Boolean);
      expect(ofDeal((await timelineOf(stack, buyer.id, agent.accessToken)).items, foreign.id)).toEqual([]);
    });

    it('shows a buyer’s offer submitted and accepted on the buyer contact, the submission counting as engagement', async () => {
      const buyer = await createContact(stack.http, agent.accessToken, person('Otto'));
      // The deals service does not check the listing id against listings (not in this stack).
      const deal = await createTransaction(stack.http, agent, { buyerContactIds: [buyer.id], propertyId: randomUUID(), stage: 'offer' });
      const offer = await stack.http.post<{ id: string }>(
        '/v1/offers',
        { transactionId: deal.id, buyerContactId: buyer.id, amount: 51_250_000, earnestMoney: 1_000_000, financingType: 'cash' },
        { token: agent.accessToken },
      );
      expect(offer.status).toBe(201);
      expect((await stack.http.post(`/v1/offers/${offer.body.id}/accept`, {}, { token: agent.accessToken })).status).toBe(200);
      const timeline = await eventually(
        () => timelineOf(stack, buyer.id, agent.accessToken),
        (t) => t.items.some((entry) => entry.kind === 'deals.offer.accepted'),
      );
      const offers = timeline.items.filter((entry) => entry.data.offerId === offer.body.id);
      expect(offers.map((entry) => [entry.kind, entry.data.status, entry.data.amount])).toEqual([
        ['deals.offer.accepted', 'accepted', 51_250_000],
        ['deals.offer.submitted', 'submitted', 51_250_000],
      ]);
      expect(ofDeal(timeline.items, deal.id).find((entry) => entry.kind === 'deals.transaction.stage_changed')?.data).toMatchObject({
        from: 'offer',
        to: 'accepted',
      });
      // One engaging event (the submitted offer): 5 points (docs/adr/0009: 5 per event, at most 25).
      const contact = await eventually(
        () => stack.http.get<ContactJson>(`/v1/contacts/${buyer.id}`, { token: agent.accessToken }),
        (response) => response.body.scoreReasons.some((reason) => reason.signal === 'engagement'),
      );
      expect(contact.body.scoreReasons.find((reason) => reason.signal === 'engagement')?.points).toBe(5);

      expect((await stack.http.delete(`/v1/transactions/${deal.id}`, { token: agent.accessToken })).status).toBe(204);
      const afterDelete = await eventually(
        () => timelineOf(stack, buyer.id, agent.accessToken),
        (t) => t.items.some((entry) => entry.kind === 'deals.transaction.deleted'),
      );
      expect(afterDelete.items[0]).toMatchObject({ kind: 'deals.transaction.deleted', data: { transactionId: deal.id, role: 'buyer' } });
    });

    it('refuses the timeline to an agent who does not own the contact and to another organization (404), and shows it to the owner', async () => {
      const contact = await createContact(stack.http, agent.accessToken, person('Pri'));
      const byOtherAgent = await stack.http.get<{ code: string }>(`/v1/contacts/${contact.id}/timeline`, { token: otherAgent.accessToken });
      expect(byOtherAgent.status).toBe(404);
      expect(byOtherAgent.body.code).toBe('CONTACT_NOT_FOUND');
      expect((await stack.http.get(`/v1/contacts/${contact.id}/timeline`, { token: rival.accessToken })).status).toBe(404);
      expect((await timelineOf(stack, contact.id, owner.accessToken)).status).toBe(200);
    });
  });

  describe('crm.task.created / completed → timeline', () => {
    it('shows a task created for the contact and its completion', async () => {
      const contact = await createContact(stack.http, agent.accessToken, person('Tia'));
      const task = await stack.http.post<{ id: string }>(
        '/v1/tasks',
        { title: 'Call about the pre-approval', type: 'call', contactId: contact.id, dueAt: '2026-12-01T17:00:00Z' },
        { token: agent.accessToken },
      );
      expect(task.status).toBe(201);
      expect((await stack.http.post(`/v1/tasks/${task.body.id}/complete`, {}, { token: agent.accessToken })).status).toBe(200);
      const timeline = await eventually(
        () => timelineOf(stack, contact.id, agent.accessToken),
        (t) => t.items.some((entry) => entry.kind === 'crm.task.completed'),
      );
      const tasks = timeline.items.filter((entry) => entry.data.taskId === task.body.id);
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

  describe('POST /v1/contacts/:id/erase → identity', () => {
    it('erases the self-registered client user of the contact: login refused, tokens revoked, personal fields gone, identity.user.erased emitted', async () => {
      const email = uniqueEmail('client');
      const registered = await stack.http.post<{ userId: string; contactId: string }>('/v1/public/clients/register', {
        formKey: owner.publicFormKey,
        name: 'Cleo Client',
        email,
        password: PASSWORD,
        phone: '+12065550123',
      });
      expect(registered.status).toBe(201);
      const { userId, contactId } = registered.body;
      const client = await login(stack.http, email);
      expect(await identityUserRow(stack, userId)).toMatchObject({ name: 'Cleo Client', email, contact_id: contactId, status: 'active' });

      expect((await stack.http.post(`/v1/contacts/${contactId}/erase`, {}, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.post(`/v1/contacts/${contactId}/erase`, {}, { token: owner.accessToken })).status).toBe(204);

      const row = await eventually(
        () => identityUserRow(stack, userId),
        (value) => value?.erased_at != null,
      );
      expect(row).toMatchObject({
        name: 'Erased user',
        email: `erased-${userId}@erased.invalid`,
        phone: null,
        password_hash: null,
        status: 'deactivated',
      });
      expect((await stack.http.post('/v1/auth/login', { email, password: PASSWORD })).status).toBe(401);
      await eventually(
        () => stack.http.get('/v1/users/me', { token: client.accessToken }).then((r) => r.status),
        (status) => status === 401,
        10_000,
      );

      const erased = await identityOutboxEvents<{ userId: string; contactId: string }>(stack, 'identity.user.erased');
      expect(erased.map((event) => event.data)).toEqual([{ userId, contactId }]);
      expect(erased[0]).toMatchObject({ subject: userId, orgid: owner.orgId, actorid: owner.userId });
      const updated = await identityOutboxEvents<{ userId: string; changes: Record<string, { from: unknown; to: unknown }> }>(
        stack,
        'identity.user.updated',
      );
      expect(updated.find((event) => event.data.userId === userId)?.data.changes).toEqual({
        name: { from: '[redacted]', to: 'Erased user' },
        email: { from: '[redacted]', to: `erased-${userId}@erased.invalid` },
      });
    });
  });
});
