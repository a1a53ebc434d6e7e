import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { CRM_EVENTS_TOPIC } from '@keyhouse/contracts';
import { createContact } from '../../support/crm-fixtures';
import { eventually } from '../../support/crm-activity-fixtures';
import {
  consumeDealsEvents,
  createPlan,
  createTransaction,
  crmOutboxEvent,
  redeliverAndWait,
  utcDate,
  type DealsEventLog,
} from '../../support/deals-fixtures';
import { createUser, registerOrganization, type Session } from '../../support/fixtures';
import { startStack, type TestStack } from '../../support/stack';

interface Participant {
  side: string;
  role: string;
  contactId?: string | null;
  name?: string | null;
  company?: string | null;
  email?: string | null;
  phone?: string | null;
}

/**
 * Issue 3 (privacy) in the deals service: `POST /v1/contacts/:id/erase` in crm emits
 * `crm.contact.erased`; the deals-commission consumer group `deals.contact-erasure` (real Kafka,
 * through the inbox) anonymises the contact's transaction participants, offers, invoice
 * addressee and timeline copies in that organization only, keeps amounts, stages and the
 * commission statement, and emits `deals.contact.erased` once, even when the event is redelivered.
 */
describe('crm.contact.erased → deals-commission erases the contact’s personal data', () => {
  let stack: TestStack;
  let owner: Session;
  let agent: Session;
  let rival: Session;
  let log: DealsEventLog;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'deals-commission'] });
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
    rival = await registerOrganization(stack.http, 'Rival Realty');
    agent = await createUser(stack.http, owner, 'agent');
    log = await consumeDealsEvents(stack);
  });

  afterAll(async () => {
    await log?.stop();
    await stack?.stop();
  });

  /** Rows of the deals schema straight from Postgres (what the API may not show, e.g. `updated_at`). */
  async function dealsQuery<T>(sql: string, params: unknown[]): Promise<T[]> {
    const client = new Client({ connectionString: stack.env.DEALS_COMMISSION_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`SET search_path TO "${stack.env.DEALS_COMMISSION_DATABASE_SCHEMA ?? 'deals'}"`);
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  it('anonymises participants, the offer’s buyer name, the invoice addressee and the timeline copies; keeps ids, amounts, stage and statement; emits deals.contact.erased once', async () => {
    const tag = randomBytes(3).toString('hex');
    const beaEmail = `bea.erasable.${tag}@example.test`;
    const bea = await createContact(stack.http, agent.accessToken, {
      firstName: 'Bea',
      lastName: `Erasable${tag}`,
      email: beaEmail,
      phone: '+12065550123',
    });
    const otto = await createContact(stack.http, agent.accessToken, {
      firstName: 'Otto',
      lastName: `Keeper${tag}`,
      email: `otto.${tag}@example.test`,
    });
    const beaName = `Bea Erasable${tag}`;
    const beaParticipant: Participant = {
      side: 'buy',
      role: 'other',
      contactId: bea.id,
      name: beaName,
      company: 'Bea Holdings',
      email: beaEmail,
      phone: '+12065550123',
    };
    const ottoParticipant: Participant = {
      side: 'list',
      role: 'other',
      contactId: otto.id,
      name: `Otto Keeper${tag}`,
      email: `otto.${tag}@example.test`,
    };
    const lender: Participant = { side: 'buy', role: 'lender', name: 'Lena Lender', company: 'First Bank', email: 'lena@bank.example' };

    const commissionPlanId = await createPlan(stack.http, owner, { name: `Flat ${tag}`, flatFeeCents: 900_000, agentSplitBps: 6000 });
    const deal = await createTransaction(stack.http, agent, {
      propertyId: randomUUID(),
      buyerContactIds: [bea.id],
      sellerContactIds: [otto.id],
      stage: 'offer',
      commissionPlanId,
      participants: [ottoParticipant, lender],
    });
    // Bea joins by a PATCH: the timeline's `updated` entry now holds a copy of her participant entry.
    const joined = await stack.http.patch(
      `/v1/transactions/${deal.id}`,
      { participants: [beaParticipant, ottoParticipant, lender] },
      { token: agent.accessToken },
    );
    expect(joined.status).toBe(200);
    const offer = await stack.http.post<{ id: string }>(
      '/v1/offers',
      {
        transactionId: deal.id,
        amount: 61_000_000,
        earnestMoney: 1_000_000,
        financingType: 'cash',
        buyerContactId: bea.id,
        buyerName: beaName,
      },
      { token: agent.accessToken },
    );
    expect(offer.status).toBe(201);
    expect((await stack.http.post(`/v1/offers/${offer.body.id}/accept`, {}, { token: agent.accessToken })).status).toBe(200);
    const closed = await stack.http.patch(
      `/v1/transactions/${deal.id}`,
      { stage: 'closed', closePrice: 61_000_000, closeDate: utcDate(0) },
      { token: agent.accessToken },
    );
    expect(closed.status).toBe(200);
    const invoice = await stack.http.post<{ id: string; total: number }>(
      '/v1/invoices',
      {
        transactionId: deal.id,
        billTo: { name: beaName, company: 'Bea Holdings', email: beaEmail, contactId: bea.id },
        issueDate: utcDate(0),
        dueDate: utcDate(30),
        lineItems: [{ description: 'Buyer broker fee', quantity: 1, unitAmount: 250_000 }],
      },
      { token: owner.accessToken },
    );
    expect(invoice.status).toBe(201);
    // Another organization's deal naming the same contact id (deals does not check ids against crm) is not touched.
    const rivalDeal = await createTransaction(stack.http, rival, { participants: [{ ...beaParticipant, name: 'Bea Elsewhere' }] });

    const statementBefore = await stack.http.get(`/v1/transactions/${deal.id}/commission`, { token: owner.accessToken });
    expect(statementBefore.status).toBe(200);
    const dealBefore = (await stack.http.get<Record<string, unknown>>(`/v1/transactions/${deal.id}`, { token: owner.accessToken })).body;
    expect(dealBefore).toMatchObject({ stage: 'closed', status: 'won', closePrice: 61_000_000 });

    expect((await stack.http.post(`/v1/contacts/${bea.id}/erase`, {}, { token: owner.accessToken })).status).toBe(204);

    const erased: Participant = {
      side: 'buy',
      role: 'other',
      contactId: bea.id,
      name: 'Erased contact',
      company: null,
      email: null,
      phone: null,
    };
    const dealAfter = await eventually(
      () =>
        stack.http
          .get<Record<string, unknown> & { participants: Participant[] }>(`/v1/transactions/${deal.id}`, { token: owner.accessToken })
          .then((r) => r.body),
      (body) => body.participants.some((entry) => entry.name === 'Erased contact'),
    );
    expect(dealAfter.participants).toEqual([erased, ottoParticipant, lender]);
    const { participants: _after, updatedAt: _updatedAfter, ...keptAfter } = dealAfter;
    const { participants: _before, updatedAt: _updatedBefore, ...keptBefore } = dealBefore;
    expect(keptAfter).toEqual(keptBefore); // contact ids, price, stage, status, close price, plan, team: unchanged
    expect(dealAfter.buyerContactIds).toEqual([bea.id]);

    const offers = await stack.http.get<{ items: Array<Record<string, unknown>> }>(`/v1/offers?transactionId=${deal.id}`, {
      token: owner.accessToken,
    });
    expect(offers.body.items).toEqual([
      expect.objectContaining({
        id: offer.body.id,
        buyerContactId: bea.id,
        buyerName: 'Erased contact',
        amount: 61_000_000,
        status: 'accepted',
      }),
    ]);

    const invoiceAfter = await stack.http.get<Record<string, unknown>>(`/v1/invoices/${invoice.body.id}`, { token: owner.accessToken });
    expect(invoiceAfter.body).toMatchObject({
      billTo: { name: 'Erased contact', company: null, email: null, contactId: bea.id },
      total: 250_000,
    });

    const timeline = await stack.http.get<{
      items: Array<{ kind: string; data: { changes?: { participants?: { from: Participant[]; to: Participant[] } } } }>;
    }>(`/v1/transactions/${deal.id}/timeline?limit=100`, { token: owner.accessToken });
    const participantChange = timeline.body.items.find((entry) => entry.data.changes?.participants)?.data.changes?.participants;
    expect(participantChange).toEqual({ from: [ottoParticipant, lender], to: [erased, ottoParticipant, lender] });

    const statementAfter = await stack.http.get(`/v1/transactions/${deal.id}/commission`, { token: owner.accessToken });
    expect(statementAfter.body).toEqual(statementBefore.body);

    // Nothing the deals API answers about this deal names Bea any more.
    const everything = JSON.stringify([dealAfter, offers.body, invoiceAfter.body, timeline.body]);
    for (const personal of [`Erasable${tag}`, beaEmail, '+12065550123', 'Bea Holdings']) expect(everything).not.toContain(personal);

    const rivalAfter = await stack.http.get<{ participants: Participant[] }>(`/v1/transactions/${rivalDeal.id}`, {
      token: rival.accessToken,
    });
    expect(rivalAfter.body.participants).toEqual([{ ...beaParticipant, name: 'Bea Elsewhere' }]);

    // The erasure is on deals.events, keyed by the contact, with ids and counts only.
    const crmErased = await crmOutboxEvent(stack, 'crm.contact.erased', bea.id);
    const published = await eventually(
      async () => log.events.filter((event) => event.type === 'deals.contact.erased' && event.key === bea.id),
      (events) => events.length > 0,
    );
    expect(published.map((event) => event.data)).toEqual([
      {
        contactId: bea.id,
        erasureEventId: crmErased.id,
        transactionIds: [deal.id],
        offerIds: [offer.body.id],
        invoiceIds: [invoice.body.id],
        activityEntries: 1,
      },
    ]);

    // A redelivered crm.contact.erased is applied once: no second event, no row touched again.
    const rowsBefore = await dealsQuery(
      `SELECT id, participants, updated_at FROM deal_transaction WHERE id = $1 UNION ALL SELECT id, to_jsonb(buyer_name), updated_at FROM offer WHERE id = $2`,
      [deal.id, offer.body.id],
    );
    await redeliverAndWait(stack, CRM_EVENTS_TOPIC, bea.id, crmErased, 'deals.contact-erasure');
    const rowsAfter = await dealsQuery(
      `SELECT id, participants, updated_at FROM deal_transaction WHERE id = $1 UNION ALL SELECT id, to_jsonb(buyer_name), updated_at FROM offer WHERE id = $2`,
      [deal.id, offer.body.id],
    );
    expect(rowsAfter).toEqual(rowsBefore);
    const outbox = await dealsQuery<{ count: number }>(
      `SELECT count(*)::int AS count FROM outbox_event WHERE event_type = 'deals.contact.erased' AND message_key = $1`,
      [bea.id],
    );
    expect(outbox).toEqual([{ count: 1 }]);
    const inbox = await dealsQuery<{ count: number }>(
      `SELECT count(*)::int AS count FROM inbox_event WHERE consumer = 'deals.contact-erasure' AND event_id = $1`,
      [crmErased.id],
    );
    expect(inbox).toEqual([{ count: 1 }]);

    // A client still holding the old participants list sends it back: Bea's entry is stored anonymised.
    const stale = await stack.http.patch<{ participants: Participant[] }>(
      `/v1/transactions/${deal.id}`,
      { participants: [beaParticipant, ottoParticipant, lender] },
      { token: agent.accessToken },
    );
    expect(stale.status).toBe(200);
    expect(stale.body.participants).toEqual([erased, ottoParticipant, lender]);
  });

  it('records an erasure of a contact the deals service holds nothing about (agent refused, other organization 404), then stores later writes naming it anonymised', async () => {
    const nobody = await createContact(stack.http, agent.accessToken, {
      firstName: 'Nora',
      lastName: 'Nodeal',
      email: `nora.${randomBytes(3).toString('hex')}@example.test`,
    });
    expect((await stack.http.post(`/v1/contacts/${nobody.id}/erase`, {}, { token: agent.accessToken })).status).toBe(403);
    expect((await stack.http.post(`/v1/contacts/${nobody.id}/erase`, {}, { token: rival.accessToken })).status).toBe(404);
    expect((await stack.http.post(`/v1/contacts/${nobody.id}/erase`, {}, { token: owner.accessToken })).status).toBe(204);
    const published = await eventually(
      async () => log.events.filter((event) => event.type === 'deals.contact.erased' && event.key === nobody.id),
      (events) => events.length > 0,
    );
    expect(published.map((event) => event.data)).toEqual([
      expect.objectContaining({ contactId: nobody.id, transactionIds: [], offerIds: [], invoiceIds: [], activityEntries: 0 }),
    ]);

    // Written after the erasure, naming the erased contact: stored anonymised (the contact id kept).
    const noraEntry: Participant = {
      side: 'buy',
      role: 'other',
      contactId: nobody.id,
      name: 'Nora Nodeal',
      email: nobody.email,
      phone: '+12065550199',
    };
    const deal = await createTransaction(stack.http, agent, {
      propertyId: randomUUID(),
      buyerContactIds: [nobody.id],
      stage: 'offer',
      participants: [noraEntry, { side: 'buy', role: 'inspector', name: 'Ivy Inspector' }],
    });
    expect(deal.participants).toEqual([
      { side: 'buy', role: 'other', contactId: nobody.id, name: 'Erased contact', company: null, email: null, phone: null },
      { side: 'buy', role: 'inspector', name: 'Ivy Inspector' },
    ]);
    const offer = await stack.http.post<Record<string, unknown>>(
      '/v1/offers',
      { transactionId: deal.id, amount: 40_000_000, financingType: 'conventional', buyerContactId: nobody.id, buyerName: 'Nora Nodeal' },
      { token: agent.accessToken },
    );
    expect(offer.body).toMatchObject({ buyerContactId: nobody.id, buyerName: 'Erased contact', amount: 40_000_000 });
    const invoice = await stack.http.post<{ id: string; billTo: Record<string, unknown> }>(
      '/v1/invoices',
      {
        transactionId: deal.id,
        billTo: { name: 'Someone Else', email: 'else@example.test' },
        issueDate: utcDate(0),
        dueDate: utcDate(10),
        lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 10_000 }],
      },
      { token: owner.accessToken },
    );
    expect(invoice.body.billTo).toEqual({ name: 'Someone Else', email: 'else@example.test' });
    const readdressed = await stack.http.patch<{ billTo: Record<string, unknown> }>(
      `/v1/invoices/${invoice.body.id}`,
      { billTo: { name: 'Nora Nodeal', company: 'Nodeal Inc', email: nobody.email, contactId: nobody.id } },
      { token: owner.accessToken },
    );
    expect(readdressed.body.billTo).toEqual({ name: 'Erased contact', company: null, email: null, contactId: nobody.id });
  });
});
