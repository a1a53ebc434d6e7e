import { randomBytes } from 'node:crypto';
import {
  CRM_EVENTS_TOPIC,
  CrmContactEvent,
  DealsCommissionSubjects as C,
  DealsInvoiceSubjects as I,
  DealsTransactionSubjects as S,
  type CloudEvent,
  type CrmContactErasedData,
  type TransactionParticipant,
} from '@keyhouse/contracts';
import { seedReadModel, startService, testEvent, waitFor, waitForConsumed, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startDealsCommission } from '../../src/main';
import { dealsContact, dealsProperty, dealsUser, utcDate, type DealsActor } from '../support/deals-org.fixture';
import {
  assignPlan,
  consumeDealsEvents,
  createPlan,
  createTransaction,
  dealsQuery,
  type DealsEventLog,
} from '../support/deals-records.fixture';
import { startDirectoryStandIn, type DirectoryStandIn } from '../support/directory-stand-in.fixture';

/** The consumer group of `crm.contact.erased` in deals, also the inbox's consumer name. */
const ERASURE_GROUP = 'deals.contact-erasure';

/**
 * Issue 3 (privacy) in the deals service alone: crm's `crm.contact.erased`, published on
 * `crm.events` as crm's relay would, reaches the consumer group `deals.contact-erasure` (real
 * Kafka, through the inbox), which anonymises the contact's transaction participants, offers,
 * invoice addressee and timeline copies in that organization only, keeps amounts, stages and the
 * commission statement, and emits `deals.contact.erased` once, even when the event is redelivered.
 * (The crm side, `POST /v1/contacts/:id/erase` emitting the event, is proven end to end in the
 * gateway's deals-http spec.)
 */
describe('crm.contact.erased → deals-commission erases the contact’s personal data (deals-commission over Kafka and NATS)', () => {
  let deals: TestService;
  let directory: DirectoryStandIn;
  let owner: DealsActor;
  let agent: DealsActor;
  let rival: DealsActor;
  let log: DealsEventLog;

  beforeAll(async () => {
    deals = await startService(startDealsCommission);
    directory = await startDirectoryStandIn(deals);
    const orgId = newId();
    owner = dealsUser(directory, orgId, 'owner');
    agent = dealsUser(directory, orgId, 'agent');
    rival = dealsUser(directory, newId(), 'owner');
    log = await consumeDealsEvents(deals);
  });

  afterAll(async () => {
    await log?.stop();
    await directory?.stop();
    await deals?.stop();
  });

  /** Applies `events` of crm through the consumer group `deals.contact-erasure`, resolving once it has (its inbox rows). */
  function applyCrmEvents(events: CloudEvent[]): Promise<void> {
    return seedReadModel(deals, { service: 'deals-commission', topic: CRM_EVENTS_TOPIC, group: ERASURE_GROUP, events });
  }

  /** `crm.contact.erased` for `contactId` as crm writes it (keyed by the contact, the erasing admin as actor). */
  function contactErased(actor: DealsActor, contactId: string, subject = contactId): CloudEvent<CrmContactErasedData> {
    return testEvent(
      CrmContactEvent.contactErased,
      actor.orgId,
      { contactId },
      { subject, actortype: 'user', actorid: actor.userId, actorrole: actor.role },
    );
  }

  /** The `deals.contact.erased` events published for `contactId`, once there is at least one. */
  async function publishedErasures(contactId: string): Promise<Array<Record<string, unknown>>> {
    await waitFor(() => log.of('deals.contact.erased', contactId).length > 0);
    return log.of('deals.contact.erased', contactId).map((event) => event.data);
  }

  it('anonymises participants, the offer’s buyer name, the invoice addressee and the timeline copies; keeps ids, amounts, stage and statement; emits deals.contact.erased once', async () => {
    const tag = randomBytes(3).toString('hex');
    const beaId = dealsContact(directory, agent);
    const ottoId = dealsContact(directory, agent);
    const beaEmail = `bea.erasable.${tag}@example.test`;
    const beaName = `Bea Erasable${tag}`;
    const beaParticipant: TransactionParticipant = {
      side: 'buy',
      role: 'other',
      contactId: beaId,
      name: beaName,
      company: 'Bea Holdings',
      email: beaEmail,
      phone: '+12065550123',
    };
    const ottoParticipant: TransactionParticipant = {
      side: 'list',
      role: 'other',
      contactId: ottoId,
      name: `Otto Keeper${tag}`,
      email: `otto.${tag}@example.test`,
    };
    const lender: TransactionParticipant = {
      side: 'buy',
      role: 'lender',
      name: 'Lena Lender',
      company: 'First Bank',
      email: 'lena@bank.example',
    };

    await assignPlan(
      deals,
      owner,
      agent.userId,
      await createPlan(deals, owner, { name: `Flat ${tag}`, flatFeeCents: 900_000, agentSplitBps: 6000 }),
    );
    const deal = await createTransaction(deals, agent, {
      propertyId: dealsProperty(directory, agent.orgId),
      buyerContactIds: [beaId],
      sellerContactIds: [ottoId],
      stage: 'offer',
      participants: [ottoParticipant, lender],
    });
    // Bea joins by an update: the timeline's `updated` entry now holds a copy of her participant entry.
    await deals.rpc.call(S.update, { id: deal.id, participants: [beaParticipant, ottoParticipant, lender] }, agent);
    const offer = await deals.rpc.call(
      S.offerCreate,
      {
        transactionId: deal.id,
        amount: 61_000_000,
        earnestMoney: 1_000_000,
        financingType: 'cash',
        buyerContactId: beaId,
        buyerName: beaName,
      },
      agent,
    );
    await deals.rpc.call(S.offerAccept, { id: offer.id }, agent);
    await deals.rpc.call(S.update, { id: deal.id, stage: 'closed', closePrice: 61_000_000, closeDate: utcDate(0) }, agent);
    const invoice = await deals.rpc.call(
      I.create,
      {
        transactionId: deal.id,
        billTo: { name: beaName, company: 'Bea Holdings', email: beaEmail, contactId: beaId },
        issueDate: utcDate(0),
        dueDate: utcDate(30),
        lineItems: [{ description: 'Buyer broker fee', quantity: 1, unitAmount: 250_000 }],
      },
      owner,
    );
    // Another organization cannot name Bea on its deals (issue 13 item 13: crm is asked), so her erasure can reach no deal of theirs.
    await expect(createTransaction(deals, rival, { participants: [{ ...beaParticipant, name: 'Bea Elsewhere' }] })).rejects.toMatchObject({
      kind: 'validation',
      code: 'CONTACT_NOT_FOUND',
      errors: [expect.objectContaining({ field: 'participants[0].contactId' })],
    });

    const statementBefore = await deals.rpc.call(C.statementGet, { id: deal.id }, owner);
    const dealBefore = await deals.rpc.call(S.get, { id: deal.id }, owner);
    expect(dealBefore).toMatchObject({ stage: 'closed', status: 'won', closePrice: 61_000_000 });

    const erasure = contactErased(owner, beaId);
    await applyCrmEvents([erasure]);

    const erased: TransactionParticipant = {
      side: 'buy',
      role: 'other',
      contactId: beaId,
      name: 'Erased contact',
      company: null,
      email: null,
      phone: null,
    };
    const dealAfter = await deals.rpc.call(S.get, { id: deal.id }, owner);
    expect(dealAfter.participants).toEqual([erased, ottoParticipant, lender]);
    const { participants: _after, updatedAt: _updatedAfter, ...keptAfter } = dealAfter;
    const { participants: _before, updatedAt: _updatedBefore, ...keptBefore } = dealBefore;
    expect(keptAfter).toEqual(keptBefore); // contact ids, price, stage, status, close price, plan, team: unchanged
    expect(dealAfter.buyerContactIds).toEqual([beaId]);

    const offers = await deals.rpc.call(S.offerList, { transactionId: deal.id }, owner);
    expect(offers.items).toEqual([
      expect.objectContaining({ id: offer.id, buyerContactId: beaId, buyerName: 'Erased contact', amount: 61_000_000, status: 'accepted' }),
    ]);

    const invoiceAfter = await deals.rpc.call(I.get, { id: invoice.id }, owner);
    expect(invoiceAfter).toMatchObject({
      billTo: { name: 'Erased contact', company: null, email: null, contactId: beaId },
      total: 250_000,
    });

    const timeline = await deals.rpc.call(S.timeline, { id: deal.id, limit: 100 }, owner);
    const changes = (entry: (typeof timeline.items)[number]) =>
      (entry.data as { changes?: { participants?: { from: TransactionParticipant[]; to: TransactionParticipant[] } } }).changes;
    const participantChange = timeline.items.find((entry) => changes(entry)?.participants);
    expect(participantChange && changes(participantChange)!.participants).toEqual({
      from: [ottoParticipant, lender],
      to: [erased, ottoParticipant, lender],
    });

    expect(await deals.rpc.call(C.statementGet, { id: deal.id }, owner)).toEqual(statementBefore);

    // Nothing the deals service answers about this deal names Bea any more.
    const everything = JSON.stringify([dealAfter, offers, invoiceAfter, timeline]);
    for (const personal of [`Erasable${tag}`, beaEmail, '+12065550123', 'Bea Holdings']) expect(everything).not.toContain(personal);

    // The erasure is on deals.events, keyed by the contact, with ids and counts only.
    expect(await publishedErasures(beaId)).toEqual([
      {
        contactId: beaId,
        erasureEventId: erasure.id,
        transactionIds: [deal.id],
        offerIds: [offer.id],
        invoiceIds: [invoice.id],
        activityEntries: 1,
      },
    ]);

    // A redelivered crm.contact.erased is applied once: no second event, no row touched again. A later
    // event of the same key (same partition) proves the redelivery was consumed before it.
    const rowsQuery = `SELECT id, participants, updated_at FROM deal_transaction WHERE id = $1 UNION ALL SELECT id, to_jsonb(buyer_name), updated_at FROM offer WHERE id = $2`;
    const rowsBefore = await dealsQuery(deals, rowsQuery, [deal.id, offer.id]);
    const markerContactId = newId();
    const marker = contactErased(owner, markerContactId, beaId);
    await deals.publish(CRM_EVENTS_TOPIC, [erasure, marker]);
    await waitForConsumed(deals, { service: 'deals-commission', group: ERASURE_GROUP, eventIds: [marker.id] });
    const rowsAfter = await dealsQuery(deals, rowsQuery, [deal.id, offer.id]);
    expect(rowsAfter).toEqual(rowsBefore);
    const outbox = await dealsQuery<{ count: number }>(
      deals,
      `SELECT count(*)::int AS count FROM outbox_event WHERE event_type = 'deals.contact.erased' AND message_key = $1`,
      [beaId],
    );
    expect(outbox).toEqual([{ count: 1 }]);
    const inbox = await dealsQuery<{ count: number }>(
      deals,
      `SELECT count(*)::int AS count FROM inbox_event WHERE consumer = $1 AND event_id = $2`,
      [ERASURE_GROUP, erasure.id],
    );
    expect(inbox).toEqual([{ count: 1 }]);

    // A client still holding the old participants list sends it back: Bea's entry is stored anonymised.
    const stale = await deals.rpc.call(S.update, { id: deal.id, participants: [beaParticipant, ottoParticipant, lender] }, agent);
    expect(stale.participants).toEqual([erased, ottoParticipant, lender]);
  });

  it('records an erasure of a contact the deals service holds nothing about, then stores later writes naming it anonymised', async () => {
    const noraId = dealsContact(directory, agent);
    const noraEmail = `nora.${randomBytes(3).toString('hex')}@example.test`;
    await applyCrmEvents([contactErased(owner, noraId)]);
    expect(await publishedErasures(noraId)).toEqual([
      expect.objectContaining({ contactId: noraId, transactionIds: [], offerIds: [], invoiceIds: [], activityEntries: 0 }),
    ]);

    // Written after the erasure, naming the erased contact: stored anonymised (the contact id kept).
    const noraEntry: TransactionParticipant = {
      side: 'buy',
      role: 'other',
      contactId: noraId,
      name: 'Nora Nodeal',
      email: noraEmail,
      phone: '+12065550199',
    };
    const deal = await createTransaction(deals, agent, {
      propertyId: dealsProperty(directory, agent.orgId),
      buyerContactIds: [noraId],
      stage: 'offer',
      participants: [noraEntry, { side: 'buy', role: 'inspector', name: 'Ivy Inspector' }],
    });
    expect(deal.participants).toEqual([
      { side: 'buy', role: 'other', contactId: noraId, name: 'Erased contact', company: null, email: null, phone: null },
      { side: 'buy', role: 'inspector', name: 'Ivy Inspector' },
    ]);
    const offer = await deals.rpc.call(
      S.offerCreate,
      { transactionId: deal.id, amount: 40_000_000, financingType: 'conventional', buyerContactId: noraId, buyerName: 'Nora Nodeal' },
      agent,
    );
    expect(offer).toMatchObject({ buyerContactId: noraId, buyerName: 'Erased contact', amount: 40_000_000 });
    const invoice = await deals.rpc.call(
      I.create,
      {
        transactionId: deal.id,
        billTo: { name: 'Someone Else', email: 'else@example.test' },
        issueDate: utcDate(0),
        dueDate: utcDate(10),
        lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 10_000 }],
      },
      owner,
    );
    expect(invoice.billTo).toEqual({ name: 'Someone Else', email: 'else@example.test' });
    const readdressed = await deals.rpc.call(
      I.update,
      { id: invoice.id, billTo: { name: 'Nora Nodeal', company: 'Nodeal Inc', email: noraEmail, contactId: noraId } },
      owner,
    );
    expect(readdressed.billTo).toEqual({ name: 'Erased contact', company: null, email: null, contactId: noraId });
  });
});
