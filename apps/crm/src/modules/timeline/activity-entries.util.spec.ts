import type { CloudEvent } from '@keyhouse/contracts';
import {
  DEAL_ACTIVITY_EVENTS,
  dealActivityEntries,
  LISTINGS_ACTIVITY_EVENTS,
  listingsActivityEntries,
  TASK_ACTIVITY_EVENTS,
  taskActivityEntries,
} from './activity-entries.util';

const BUYER = '0190f2a0-0000-7000-8000-000000000001';
const SELLER = '0190f2a0-0000-7000-8000-000000000002';
const DEAL = '0190f2a0-0000-7000-8000-0000000000d1';

const event = (type: string, data: unknown): CloudEvent => ({
  specversion: '1.0',
  id: '0190f2a0-0000-7000-8000-0000000000e1',
  source: 'keyhouse/deals-commission',
  type,
  subject: DEAL,
  time: '2026-11-21T10:00:00.000Z',
  datacontenttype: 'application/json',
  dataschema: `urn:keyhouse:event:${type}:v1`,
  orgid: '0190f2a0-0000-7000-8000-0000000000a1',
  actortype: 'user',
  data,
});

describe('dealActivityEntries', () => {
  it('puts a stage move on every buyer and seller contact once, with from/to and the side', () => {
    const entries = dealActivityEntries(
      event('deals.transaction.stage_changed', {
        transactionId: DEAL,
        pipelineId: 'p',
        from: 'lead',
        to: 'showing',
        outcome: 'open',
        agentId: 'a',
        closePrice: null,
        closeDate: null,
        buyerContactIds: [BUYER, BUYER, 'not-a-uuid'],
        sellerContactIds: [SELLER],
      }),
    );
    expect(entries.map((entry) => [entry.contactId, entry.data.role, entry.data.from, entry.data.to, entry.engages])).toEqual([
      [BUYER, 'buyer', 'lead', 'showing', false],
      [SELLER, 'seller', 'lead', 'showing', false],
    ]);
  });

  it('skips the creation stage event (from null) and events of older payloads without contact ids', () => {
    expect(
      dealActivityEntries(
        event('deals.transaction.stage_changed', {
          transactionId: DEAL,
          from: null,
          to: 'lead',
          buyerContactIds: [BUYER],
          sellerContactIds: [],
        }),
      ),
    ).toEqual([]);
    expect(
      dealActivityEntries(event('deals.transaction.closed', { transactionId: DEAL, closePrice: 100, closeDate: '2026-11-02' })),
    ).toEqual([]);
  });

  it('marks only contacts added by an update as linked', () => {
    const entries = dealActivityEntries(
      event('deals.transaction.updated', { transactionId: DEAL, changes: { buyerContactIds: { from: [BUYER], to: [BUYER, SELLER] } } }),
    );
    expect(entries).toEqual([
      { contactId: SELLER, kind: 'deals.transaction.contact_linked', engages: false, data: { transactionId: DEAL, role: 'buyer' } },
    ]);
  });

  it('puts offers on the buyer contact; a submitted one engages, an accepted one does not', () => {
    const offer = {
      id: 'o',
      transactionId: DEAL,
      propertyId: 'p',
      buyerContactId: BUYER,
      amount: 51_000_000,
      earnestMoney: 0,
      financingType: 'cash',
      status: 'submitted',
    };
    expect(dealActivityEntries(event('deals.offer.submitted', { offer }))).toMatchObject([
      { contactId: BUYER, engages: true, data: { amount: 51_000_000, role: 'buyer' } },
    ]);
    expect(dealActivityEntries(event('deals.offer.accepted', { offer: { ...offer, status: 'accepted' } }))).toMatchObject([
      { engages: false, data: { status: 'accepted' } },
    ]);
    expect(dealActivityEntries(event('deals.offer.submitted', { offer: { ...offer, buyerContactId: null } }))).toEqual([]);
  });

  it('puts a new deal on its contacts without counting it as engagement', () => {
    const transaction = {
      id: DEAL,
      buyerContactIds: [BUYER],
      sellerContactIds: [],
      side: 'buy',
      pipelineId: 'p',
      stage: 'contacted',
      price: 50_000_000,
      propertyId: null,
      agentId: 'a',
    };
    expect(dealActivityEntries(event('deals.transaction.created', { transaction }))).toEqual([
      {
        contactId: BUYER,
        kind: 'deals.transaction.created',
        engages: false,
        data: {
          transactionId: DEAL,
          role: 'buyer',
          side: 'buy',
          pipelineId: 'p',
          stage: 'contacted',
          price: 50_000_000,
          propertyId: null,
          agentId: 'a',
        },
      },
    ]);
  });

  it('puts a deleted deal on its contacts', () => {
    expect(
      dealActivityEntries(event('deals.transaction.deleted', { transactionId: DEAL, buyerContactIds: [], sellerContactIds: [SELLER] })),
    ).toEqual([{ contactId: SELLER, kind: 'deals.transaction.deleted', engages: false, data: { transactionId: DEAL, role: 'seller' } }]);
  });

  it('ignores deals events that concern no contact', () => {
    expect(dealActivityEntries(event('deals.invoice.created', { invoice: {} }))).toEqual([]);
  });
});

describe('taskActivityEntries', () => {
  it('records created and completed tasks of a contact, and nothing for other task events or tasks without a contact', () => {
    const task = {
      taskId: 't',
      title: 'Call back',
      type: 'call',
      contactId: BUYER,
      assigneeId: 'u',
      dueAt: '2026-11-22T09:00:00.000Z',
      priority: 'high',
      status: 'open',
    };
    expect(taskActivityEntries(event('crm.task.created', task))).toEqual([
      {
        contactId: BUYER,
        kind: 'crm.task.created',
        engages: false,
        data: {
          taskId: 't',
          title: 'Call back',
          type: 'call',
          assigneeId: 'u',
          dueAt: '2026-11-22T09:00:00.000Z',
          priority: 'high',
          status: 'open',
        },
      },
    ]);
    expect(
      taskActivityEntries(
        event('crm.task.completed', { ...task, status: 'completed', completedAt: '2026-11-21T12:00:00.000Z', nextOccurrenceId: null }),
      )[0].data,
    ).toMatchObject({
      status: 'completed',
      completedAt: '2026-11-21T12:00:00.000Z',
    });
    expect(taskActivityEntries(event('crm.task.updated', task))).toEqual([]);
    expect(taskActivityEntries(event('crm.task.created', { ...task, contactId: null }))).toEqual([]);
  });
});

describe('activity event lists', () => {
  it('subscribe each feed to its own topic only', () => {
    expect(new Set(LISTINGS_ACTIVITY_EVENTS.map((definition) => definition.topic))).toEqual(new Set(['listings.events']));
    expect(new Set(DEAL_ACTIVITY_EVENTS.map((definition) => definition.topic))).toEqual(new Set(['deals.events']));
    expect(new Set(TASK_ACTIVITY_EVENTS.map((definition) => definition.topic))).toEqual(new Set(['crm.events']));
  });

  it('name every listings and task type their mapper puts on a timeline', () => {
    for (const definition of LISTINGS_ACTIVITY_EVENTS)
      expect(listingsActivityEntries(event(definition.type, { contactId: BUYER }))).toHaveLength(1);
    const task = {
      taskId: 't',
      title: 'Call back',
      type: 'call',
      contactId: BUYER,
      assigneeId: 'u',
      dueAt: null,
      priority: 'normal',
      status: 'open',
    };
    for (const definition of TASK_ACTIVITY_EVENTS) expect(taskActivityEntries(event(definition.type, task))).toHaveLength(1);
    expect(listingsActivityEntries(event('listings.property.created', { contactId: BUYER }))).toEqual([]);
  });

  it('name every deals type their mapper puts on a timeline', () => {
    const offer = {
      id: 'o',
      transactionId: DEAL,
      propertyId: 'p',
      buyerContactId: BUYER,
      amount: 1,
      earnestMoney: 0,
      financingType: 'cash',
      status: 'submitted',
    };
    const contacts = { transactionId: DEAL, buyerContactIds: [BUYER], sellerContactIds: [] };
    const payloads: Record<string, unknown> = {
      'deals.transaction.created': { transaction: { id: DEAL, buyerContactIds: [BUYER], sellerContactIds: [] } },
      'deals.transaction.updated': { transactionId: DEAL, changes: { buyerContactIds: { from: [], to: [BUYER] } } },
      'deals.transaction.stage_changed': { ...contacts, from: 'lead', to: 'showing' },
      'deals.transaction.closed': contacts,
      'deals.transaction.deleted': contacts,
    };
    for (const definition of DEAL_ACTIVITY_EVENTS) {
      expect(dealActivityEntries(event(definition.type, payloads[definition.type] ?? { offer }))).toHaveLength(1);
    }
  });
});
