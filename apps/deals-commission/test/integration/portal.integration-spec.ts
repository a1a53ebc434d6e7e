import {
  CRM_EVENTS_TOPIC,
  CrmContactEvent,
  DealsFileSubjects as F,
  DealsInvoiceSubjects as I,
  DealsPortalSubjects as P,
  DealsTransactionSubjects as S,
  IDENTITY_EVENTS_TOPIC,
  IdentityEvent,
  type CloudEvent,
} from '@keyhouse/contracts';
import { actorFor, seedReadModel, startService, testEvent, type TestService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startDealsCommission } from '../../src/main';
import { dealsContact, dealsOrg, dealsProperty, type DealsActor, type DealsOrg } from '../support/deals-org.fixture';
import { uploadFile } from '../support/deals-files.fixture';
import { createTransaction, dealsOutboxTypes, dealsQuery } from '../support/deals-records.fixture';
import { startDirectoryStandIn, type DirectoryStandIn } from '../support/directory-stand-in.fixture';

/** The client portal's consumer group over identity.events and crm.events, also the inbox's consumer name. */
const CLIENT_CONTACTS_GROUP = 'deals-commission.client-contacts';
const ERASURE_GROUP = 'deals.contact-erasure';

/** What the built-in `client` role holds (identity's built-in-roles.constant.ts). */
const CLIENT_PERMISSIONS = ['contacts:read:own', 'listings:read:own', 'portal:read:own'];

const PDF = Buffer.from('%PDF-1.4\n% purchase agreement\n%%EOF\n');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('inspection photo')]);

/**
 * The client portal (issue 13 item 17) in the deals service alone: identity's client events fill
 * `client_contact` through the consumer group `deals-commission.client-contacts`; a client sees,
 * over NATS, exactly the deals their contact is a buyer or seller on (the portal view: no
 * commission, plan, team, probability or notes), the files shared with clients, and the invoices
 * billed to them except drafts; another contact, another organization and a client not linked
 * yet see nothing (empty lists, 404s); merges move the link and the privacy erasure removes it.
 */
describe('PortalService (deals-commission over NATS and Kafka)', () => {
  let deals: TestService;
  let directory: DirectoryStandIn;
  let org: DealsOrg;
  let rivalOrg: DealsOrg;

  beforeAll(async () => {
    deals = await startService(startDealsCommission);
    directory = await startDirectoryStandIn(deals);
    org = dealsOrg(directory, 'Portal Realty');
    rivalOrg = dealsOrg(directory, 'Rival Realty');
  });

  afterAll(async () => {
    await directory?.stop();
    await deals?.stop();
  });

  /** A client user of `orgId` with the built-in client role's permissions. */
  const clientOf = (orgId: string): DealsActor => actorFor({ orgId, role: 'client', permissions: CLIENT_PERMISSIONS }) as DealsActor;

  /** Applies `events` on `topic` through `group`, resolving once it has (its inbox rows). */
  const apply = (topic: string, group: string, events: CloudEvent[]) =>
    seedReadModel(deals, { service: 'deals-commission', topic, group, events });

  /** identity's `identity.user.contact_linked` for a client who verified their address. */
  const linked = (client: DealsActor, contactId: string) =>
    testEvent(
      IdentityEvent.userContactLinked,
      client.orgId,
      { userId: client.userId, contactId, via: 'email_verification' },
      {
        subject: client.userId,
      },
    );

  /** A deal of agent1 with `contactId` as buyer, a lender and a closing key date, and a PDF and a PNG uploaded. */
  async function dealFor(contactId: string) {
    const deal = await createTransaction(deals, org.agent1, {
      buyerContactIds: [contactId],
      propertyId: dealsProperty(directory, org.orgId),
      price: 61_500_000,
      stage: 'offer',
      expectedCloseDate: '2031-06-30',
      notes: 'Internal: buyer is flexible on price',
      participants: [{ side: 'buy', role: 'lender', name: 'Lena Lender', company: 'First Bank', email: 'lena@bank.example' }],
      keyDates: { inspection: '2031-05-10', closing: '2031-06-30' },
    });
    const shared = await uploadFile(deals, org.agent1, deal.id, { name: 'purchase-agreement.pdf', type: 'application/pdf', bytes: PDF });
    const internal = await uploadFile(deals, org.agent1, deal.id, { name: 'notes.png', type: 'image/png', bytes: PNG });
    return { deal, shared, internal };
  }

  it('shows a linked client their deal, shared documents and invoices — nothing before the link, nothing of others', async () => {
    const contactId = dealsContact(directory, org.agent1);
    const { deal, shared, internal } = await dealFor(contactId);
    const otherDeal = await createTransaction(deals, org.agent1, { buyerContactIds: [dealsContact(directory, org.agent1)] });
    const sent = await deals.rpc.call(
      I.create,
      {
        transactionId: deal.id,
        billTo: { name: 'Casey Client', email: 'casey@example.test', contactId },
        dueDate: '2031-07-15',
        lineItems: [{ description: 'Transaction coordination fee', quantity: 1, unitAmount: 49_500 }],
        notes: 'internal: waive if they complain',
      },
      org.owner,
    );
    await deals.rpc.call(I.send, { id: sent.id }, org.owner);
    const draft = await deals.rpc.call(
      I.create,
      {
        transactionId: deal.id,
        billTo: { name: 'Casey Client', contactId },
        dueDate: '2031-07-15',
        lineItems: [{ description: 'Draft', quantity: 1, unitAmount: 100 }],
      },
      org.owner,
    );

    // Staff share one of the two files: the file view says so, the timeline and the outbox record it.
    const sharing = await deals.rpc.call(F.share, { transactionId: deal.id, fileId: shared.id, shared: true }, org.agent1);
    expect(sharing.sharedWithClients).toBe(true);
    expect(typeof sharing.sharedAt).toBe('string');
    expect((await deals.rpc.call(F.get, { transactionId: deal.id, fileId: internal.id }, org.agent1)).sharedWithClients).toBe(false);
    const again = await deals.rpc.call(F.share, { transactionId: deal.id, fileId: shared.id, shared: true }, org.agent1);
    expect(again.sharedAt).toBe(sharing.sharedAt);
    const timeline = await deals.rpc.call(S.timeline, { id: deal.id }, org.agent1);
    expect(timeline.items.filter((entry) => entry.kind === 'file_shared').map((entry) => entry.data)).toEqual([
      { fileId: shared.id, name: 'purchase-agreement.pdf' },
    ]);
    // agent2 cannot reach agent1's deal: sharing its file is a 404.
    expect((await refusalOf(deals.rpc.call(F.share, { transactionId: deal.id, fileId: shared.id, shared: false }, org.agent2))).code).toBe(
      'TRANSACTION_NOT_FOUND',
    );

    // Registered but not linked (address not verified): nothing, and ids answer 404.
    const client = clientOf(org.orgId);
    expect(await deals.rpc.call(P.transactionList, {}, client)).toEqual({ items: [], nextCursor: null });
    expect(await deals.rpc.call(P.invoiceList, {}, client)).toEqual({ items: [], nextCursor: null });
    expect((await refusalOf(deals.rpc.call(P.transactionGet, { id: deal.id }, client))).code).toBe('TRANSACTION_NOT_FOUND');
    expect((await refusalOf(deals.rpc.call(P.documentList, { transactionId: deal.id }, client))).code).toBe('TRANSACTION_NOT_FOUND');
    expect((await refusalOf(deals.rpc.call(P.invoiceGet, { id: sent.id }, client))).code).toBe('INVOICE_NOT_FOUND');

    await apply(IDENTITY_EVENTS_TOPIC, CLIENT_CONTACTS_GROUP, [linked(client, contactId)]);

    const page = await deals.rpc.call(P.transactionList, {}, client);
    expect(page.items.map((item) => item.id)).toEqual([deal.id]);
    expect(page.items[0]).toEqual({
      id: deal.id,
      side: 'buy',
      status: 'open',
      stage: { key: 'offer', name: 'Offer' },
      price: 61_500_000,
      property: { id: deal.propertyId, address: null },
      expectedCloseDate: '2031-06-30',
      closeDate: null,
      keyDates: [
        { key: 'inspection', dueOn: '2031-05-10', doneAt: null },
        { key: 'closing', dueOn: '2031-06-30', doneAt: null },
      ],
      participants: [{ role: 'lender', name: 'Lena Lender', email: 'lena@bank.example', phone: null, company: 'First Bank' }],
      agents: [{ id: org.agent1.userId, name: 'Alex Agent', email: `agent-${org.agent1.userId.slice(-8)}@example.test` }],
    });
    expect(await deals.rpc.call(P.transactionGet, { id: deal.id }, client)).toEqual(page.items[0]);
    expect(JSON.stringify(page)).not.toContain('flexible');
    expect((await deals.rpc.call(P.transactionList, { status: 'won' }, client)).items).toEqual([]);
    expect((await refusalOf(deals.rpc.call(P.transactionGet, { id: otherDeal.id }, client))).code).toBe('TRANSACTION_NOT_FOUND');

    // Documents: only the shared one; its URL is signed; the other file is a 404.
    const documents = await deals.rpc.call(P.documentList, { transactionId: deal.id }, client);
    expect(documents.items).toEqual([
      {
        id: shared.id,
        transactionId: deal.id,
        name: 'purchase-agreement.pdf',
        contentType: 'application/pdf',
        sizeBytes: PDF.length,
        sharedAt: sharing.sharedAt,
      },
    ]);
    const url = await deals.rpc.call(P.documentDownloadUrl, { transactionId: deal.id, fileId: shared.id }, client);
    expect(url.url).toMatch(new RegExp(`^/v1/transactions/${deal.id}/files/${shared.id}/signed\\?expires=\\d+&signature=`));
    const query = new URLSearchParams(url.url.split('?')[1]);
    const chunk = await deals.rpc.call(
      F.signedRead,
      { transactionId: deal.id, fileId: shared.id, expires: Number(query.get('expires')), signature: query.get('signature')!, index: 0 },
      null,
    );
    expect(Buffer.from(chunk.base64, 'base64').equals(PDF)).toBe(true);
    expect((await refusalOf(deals.rpc.call(P.documentDownloadUrl, { transactionId: deal.id, fileId: internal.id }, client))).code).toBe(
      'FILE_NOT_FOUND',
    );
    expect(await dealsOutboxTypes(deals, deal.id)).toEqual(
      expect.arrayContaining(['deals.file.shared', 'deals.portal.document_downloaded']),
    );
    const [downloaded] = await dealsQuery<{ data: Record<string, unknown>; actorid: string }>(
      deals,
      `SELECT payload->'data' AS data, payload->>'actorid' AS actorid FROM outbox_event WHERE event_type = 'deals.portal.document_downloaded' AND message_key = $1`,
      [deal.id],
    );
    expect(downloaded).toEqual({ data: { transactionId: deal.id, fileId: shared.id, contactId }, actorid: client.userId });

    // Invoices: the sent one with its lines, without agent or notes; never the draft.
    const invoices = await deals.rpc.call(P.invoiceList, {}, client);
    expect(invoices.items.map((invoice) => invoice.id)).toEqual([sent.id]);
    expect(invoices.items[0]).toMatchObject({
      number: sent.number,
      status: 'sent',
      transactionId: deal.id,
      dueDate: '2031-07-15',
      lineItems: [{ description: 'Transaction coordination fee', quantity: 1, unitAmount: 49_500, amount: 49_500 }],
      total: 49_500,
      paid: 0,
      balance: 49_500,
      payments: [],
    });
    expect(invoices.items[0]).not.toHaveProperty('notes');
    expect(invoices.items[0]).not.toHaveProperty('agentId');
    expect(await deals.rpc.call(P.invoiceGet, { id: sent.id }, client)).toEqual(invoices.items[0]);
    expect((await refusalOf(deals.rpc.call(P.invoiceGet, { id: draft.id }, client))).code).toBe('INVOICE_NOT_FOUND');

    // Unsharing hides the document again and is recorded.
    const unshared = await deals.rpc.call(F.share, { transactionId: deal.id, fileId: shared.id, shared: false }, org.agent1);
    expect([unshared.sharedWithClients, unshared.sharedAt]).toEqual([false, null]);
    expect((await deals.rpc.call(P.documentList, { transactionId: deal.id }, client)).items).toEqual([]);
    expect((await refusalOf(deals.rpc.call(P.documentDownloadUrl, { transactionId: deal.id, fileId: shared.id }, client))).code).toBe(
      'FILE_NOT_FOUND',
    );
    expect(await dealsOutboxTypes(deals, deal.id)).toContain('deals.file.unshared');

    // Another client of the organization (created with their own contact) and a client of another organization see none of it.
    const neighbour = clientOf(org.orgId);
    const neighbourContact = dealsContact(directory, org.agent1);
    await apply(IDENTITY_EVENTS_TOPIC, CLIENT_CONTACTS_GROUP, [
      testEvent(
        IdentityEvent.userCreated,
        org.orgId,
        {
          userId: neighbour.userId,
          email: 'n@example.test',
          name: 'Neighbour',
          role: 'client',
          status: 'active',
          teamIds: [],
          contactId: neighbourContact,
        },
        { subject: neighbour.userId },
      ),
    ]);
    expect((await deals.rpc.call(P.transactionList, {}, neighbour)).items).toEqual([]);
    expect((await deals.rpc.call(P.invoiceList, {}, neighbour)).items).toEqual([]);
    expect((await refusalOf(deals.rpc.call(P.transactionGet, { id: deal.id }, neighbour))).code).toBe('TRANSACTION_NOT_FOUND');
    expect((await refusalOf(deals.rpc.call(P.invoiceGet, { id: sent.id }, neighbour))).code).toBe('INVOICE_NOT_FOUND');
    const stranger = clientOf(rivalOrg.orgId);
    await apply(IDENTITY_EVENTS_TOPIC, CLIENT_CONTACTS_GROUP, [linked(stranger, contactId)]);
    expect((await deals.rpc.call(P.transactionList, {}, stranger)).items).toEqual([]);
    expect((await refusalOf(deals.rpc.call(P.transactionGet, { id: deal.id }, stranger))).code).toBe('TRANSACTION_NOT_FOUND');

    // Staff do not hold portal:read.
    expect((await refusalOf(deals.rpc.call(P.transactionList, {}, org.owner))).kind).toBe('forbidden');
  });

  it('moves the link to the surviving contact on crm.contact.merged and removes it on crm.contact.erased', async () => {
    const merged = dealsContact(directory, org.agent1);
    const survivor = dealsContact(directory, org.agent1);
    const deal = await createTransaction(deals, org.agent1, { sellerContactIds: [survivor], side: 'list' });
    const client = clientOf(org.orgId);
    await apply(IDENTITY_EVENTS_TOPIC, CLIENT_CONTACTS_GROUP, [linked(client, merged)]);
    expect((await deals.rpc.call(P.transactionList, {}, client)).items).toEqual([]);

    await apply(CRM_EVENTS_TOPIC, CLIENT_CONTACTS_GROUP, [
      testEvent(CrmContactEvent.contactMerged, org.orgId, { contactId: survivor, mergedId: merged }, { subject: survivor }),
    ]);
    expect((await deals.rpc.call(P.transactionList, {}, client)).items.map((item) => item.id)).toEqual([deal.id]);

    await apply(CRM_EVENTS_TOPIC, ERASURE_GROUP, [
      testEvent(CrmContactEvent.contactErased, org.orgId, { contactId: survivor }, { subject: survivor, actorid: newId() }),
    ]);
    expect((await deals.rpc.call(P.transactionList, {}, client)).items).toEqual([]);
    expect(await dealsQuery(deals, `SELECT user_id FROM client_contact WHERE user_id = $1`, [client.userId])).toEqual([]);
  });
});
