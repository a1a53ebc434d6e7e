import { rm } from 'node:fs/promises';
import type { Page } from '@keyhouse/contracts';
import { createContact, eventually, waitForUsersInCrm, type ProblemJson } from '../../support/crm.fixture';
import { createTransaction, uploadFile } from '../../support/deals.fixture';
import { createUser, login, mailSecrets, PASSWORD, registerOrganization, uniqueEmail, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

const FILE_DIR = `tmp/deal-files-portal-test-${process.pid}`;
const PDF = Buffer.from('%PDF-1.4\n% purchase and sale agreement\n%%EOF\n');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('internal photo')]);

interface PortalTransactionJson {
  id: string;
  stage: { key: string; name: string };
  [field: string]: unknown;
}
interface PortalDocumentJson {
  id: string;
  name: string;
  [field: string]: unknown;
}
interface PortalInvoiceJson {
  id: string;
  status: string;
  [field: string]: unknown;
}

/**
 * The client portal (issue 13 item 17) through the gateway: an agent's deal with contact C as
 * buyer, one of two files shared, a sent invoice billed to C and a draft; the client who registers
 * with C's address sees nothing until they verify it, then exactly their deal (the portal view,
 * without commission fields), the shared document (and its bytes through the signed URL) and the
 * sent invoice; another client of the brokerage and a client of another brokerage get 404s; the
 * client is refused the staff routes and staff the portal routes (403); unsharing hides the
 * document. The service's rules in detail: apps/deals-commission/test/integration/portal.
 */
describe('client portal (HTTP through the gateway)', () => {
  let stack: TestStack;
  let owner: Session & { publicFormKey: string };
  let agent: Session;
  let rival: Session & { publicFormKey: string };

  beforeAll(async () => {
    stack = await startStack({ DEALS_COMMISSION_FILE_DIR: FILE_DIR }, { services: ['crm', 'deals-commission'] });
    owner = await registerOrganization(stack.http, 'Harbor Homes');
    agent = await createUser(stack.http, owner, 'agent', { name: 'Ava Agent' });
    rival = await registerOrganization(stack.http, 'Rival Realty');
    await waitForUsersInCrm(stack, [{ userId: agent.userId }]);
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(FILE_DIR, { recursive: true, force: true });
  });

  /** Registers a client at `formKey` with `email` and logs them in (not verified). */
  async function registerClient(formKey: string, email: string, name: string): Promise<Session> {
    const registered = await stack.http.post('/v1/public/clients/register', { formKey, name, email, password: PASSWORD });
    expect(registered.status).toBe(201);
    return login(stack.http, email);
  }

  const get = <T>(path: string, token: string) => stack.http.get<T>(path, { token });
  /** `PUT …/sharing` (the test client has no `put`). */
  const putSharing = <T>(path: string, json: unknown, token: string) => stack.http.request<T>('PUT', path, { json, token });

  it('shows a verified client exactly their deal, the shared document and the sent invoice; nothing to anyone else', async () => {
    const email = uniqueEmail('casey');
    const contact = await createContact(stack.http, agent.accessToken, { firstName: 'Casey', lastName: 'Buyer', email });
    const deal = await createTransaction(stack.http, agent, {
      buyerContactIds: [contact.id],
      price: 72_500_000,
      stage: 'offer',
      expectedCloseDate: '2031-08-29',
      notes: 'Internal: buyer will stretch to 740k',
      participants: [{ side: 'buy', role: 'lender', name: 'Lena Lender', company: 'First Bank', email: 'lena@bank.example' }],
      keyDates: { inspection: '2031-08-01', closing: '2031-08-29' },
    });
    const shared = await uploadFile(stack.http, `/v1/transactions/${deal.id}/files`, agent.accessToken, {
      name: 'purchase-agreement.pdf',
      type: 'application/pdf',
      bytes: PDF,
    });
    const internal = await uploadFile(stack.http, `/v1/transactions/${deal.id}/files`, agent.accessToken, {
      name: 'internal.png',
      type: 'image/png',
      bytes: PNG,
    });
    expect([shared.status, internal.status]).toEqual([201, 201]);
    expect(shared.body.sharedWithClients).toBe(false);
    const sharing = await putSharing<{ sharedWithClients: boolean; sharedAt: string }>(
      `/v1/transactions/${deal.id}/files/${shared.body.id as string}/sharing`,
      { shared: true },
      agent.accessToken,
    );
    expect([sharing.status, sharing.body.sharedWithClients]).toEqual([200, true]);
    const badSharing = await putSharing<ProblemJson>(
      `/v1/transactions/${deal.id}/files/${shared.body.id as string}/sharing`,
      { shared: 'yes' },
      agent.accessToken,
    );
    expect(badSharing.status).toBe(400);

    const invoiceBody = {
      transactionId: deal.id,
      billTo: { name: 'Casey Buyer', email, contactId: contact.id },
      dueDate: '2031-09-15',
      lineItems: [{ description: 'Transaction coordination fee', quantity: 1, unitAmount: 39_500 }],
    };
    const sent = await stack.http.post<{ id: string; number: string }>('/v1/invoices', invoiceBody, { token: owner.accessToken });
    expect(sent.status).toBe(201);
    expect((await stack.http.post(`/v1/invoices/${sent.body.id}/send`, {}, { token: owner.accessToken })).status).toBe(200);
    const draft = await stack.http.post<{ id: string }>('/v1/invoices', invoiceBody, { token: owner.accessToken });
    expect(draft.status).toBe(201);

    // The client registers with C's address: before verifying it, nothing.
    const client = await registerClient(owner.publicFormKey, email, 'Casey Buyer');
    await waitForUsersInCrm(stack, [{ userId: client.userId }]);
    expect((await get<Page<unknown>>('/v1/portal/transactions', client.accessToken)).body).toEqual({ items: [], nextCursor: null });
    expect((await get<Page<unknown>>('/v1/portal/invoices', client.accessToken)).body).toEqual({ items: [], nextCursor: null });
    const early = await get<ProblemJson>(`/v1/portal/transactions/${deal.id}`, client.accessToken);
    expect([early.status, early.body.code]).toEqual([404, 'TRANSACTION_NOT_FOUND']);

    const verification = await mailSecrets(stack.env, email, 'email_verification');
    expect((await stack.http.post('/v1/auth/email/verify', { token: verification.token })).status).toBe(204);
    const page = await eventually(
      async () => (await get<Page<PortalTransactionJson>>('/v1/portal/transactions', client.accessToken)).body,
      (body) => body.items.length > 0,
    );
    expect(page.items).toEqual([
      {
        id: deal.id,
        side: 'buy',
        status: 'open',
        stage: { key: 'offer', name: 'Offer' },
        price: 72_500_000,
        property: null,
        expectedCloseDate: '2031-08-29',
        closeDate: null,
        keyDates: [
          { key: 'inspection', dueOn: '2031-08-01', doneAt: null },
          { key: 'closing', dueOn: '2031-08-29', doneAt: null },
        ],
        participants: [{ role: 'lender', name: 'Lena Lender', email: 'lena@bank.example', phone: null, company: 'First Bank' }],
        agents: [{ id: agent.userId, name: 'Ava Agent', email: agent.email }],
      },
    ]);
    const one = await get<PortalTransactionJson>(`/v1/portal/transactions/${deal.id}`, client.accessToken);
    expect([one.status, one.body]).toEqual([200, page.items[0]]);
    for (const field of ['commissionPlanId', 'team', 'probability', 'notes', 'stageHistory', 'buyerContactIds', 'closePrice']) {
      expect(one.body).not.toHaveProperty(field);
    }

    // The shared document only, its signed URL and bytes.
    const documents = await get<{ items: PortalDocumentJson[] }>(`/v1/portal/transactions/${deal.id}/documents`, client.accessToken);
    expect(documents.body.items.map((item) => [item.id, item.name, item.contentType, item.sizeBytes])).toEqual([
      [shared.body.id, 'purchase-agreement.pdf', 'application/pdf', PDF.length],
    ]);
    const url = await get<{ url: string; expiresAt: string }>(
      `/v1/portal/transactions/${deal.id}/documents/${shared.body.id as string}/download-url`,
      client.accessToken,
    );
    expect(url.status).toBe(200);
    const fetched = await fetch(url.body.url);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(PDF)).toBe(true);
    const hidden = await get<ProblemJson>(
      `/v1/portal/transactions/${deal.id}/documents/${internal.body.id as string}/download-url`,
      client.accessToken,
    );
    expect([hidden.status, hidden.body.code]).toEqual([404, 'FILE_NOT_FOUND']);

    // The sent invoice, never the draft.
    const invoices = await get<Page<PortalInvoiceJson>>('/v1/portal/invoices', client.accessToken);
    expect(invoices.body.items.map((invoice) => [invoice.id, invoice.number, invoice.status, invoice.total])).toEqual([
      [sent.body.id, sent.body.number, 'sent', 39_500],
    ]);
    expect((await get<PortalInvoiceJson>(`/v1/portal/invoices/${sent.body.id}`, client.accessToken)).body.status).toBe('sent');
    const draftRead = await get<ProblemJson>(`/v1/portal/invoices/${draft.body.id}`, client.accessToken);
    expect([draftRead.status, draftRead.body.code]).toEqual([404, 'INVOICE_NOT_FOUND']);

    // Another client of the brokerage (their own new contact) and a client of another brokerage: 404s, empty lists.
    const neighbourEmail = uniqueEmail('neighbour');
    const neighbour = await registerClient(owner.publicFormKey, neighbourEmail, 'Nico Neighbour');
    const neighbourVerification = await mailSecrets(stack.env, neighbourEmail, 'email_verification');
    await stack.http.post('/v1/auth/email/verify', { token: neighbourVerification.token });
    const stranger = await registerClient(rival.publicFormKey, uniqueEmail('stranger'), 'Sam Stranger');
    for (const other of [neighbour, stranger]) {
      expect((await get<Page<unknown>>('/v1/portal/transactions', other.accessToken)).body.items).toEqual([]);
      expect((await get<Page<unknown>>('/v1/portal/invoices', other.accessToken)).body.items).toEqual([]);
      for (const [path, code] of [
        [`/v1/portal/transactions/${deal.id}`, 'TRANSACTION_NOT_FOUND'],
        [`/v1/portal/transactions/${deal.id}/documents`, 'TRANSACTION_NOT_FOUND'],
        [`/v1/portal/transactions/${deal.id}/documents/${shared.body.id as string}/download-url`, 'TRANSACTION_NOT_FOUND'],
        [`/v1/portal/invoices/${sent.body.id}`, 'INVOICE_NOT_FOUND'],
      ]) {
        const refused = await get<ProblemJson>(path, other.accessToken);
        expect([path, refused.status, refused.body.code]).toEqual([path, 404, code]);
      }
    }

    // The client may not use staff routes, staff may not use the portal.
    for (const path of ['/v1/transactions', `/v1/transactions/${deal.id}`, '/v1/invoices', `/v1/invoices/${sent.body.id}`]) {
      expect([path, (await get(path, client.accessToken)).status]).toEqual([path, 403]);
    }
    for (const path of ['/v1/portal/transactions', `/v1/portal/transactions/${deal.id}`, '/v1/portal/invoices']) {
      expect([path, (await get(path, agent.accessToken)).status]).toEqual([path, 403]);
      expect([path, (await get(path, owner.accessToken)).status]).toEqual([path, 403]);
    }

    // Unsharing removes the document from the portal; the client cannot share.
    const clientSharing = await putSharing(
      `/v1/transactions/${deal.id}/files/${shared.body.id as string}/sharing`,
      { shared: false },
      client.accessToken,
    );
    expect(clientSharing.status).toBe(403);
    const unshared = await putSharing<{ sharedWithClients: boolean; sharedAt: string | null }>(
      `/v1/transactions/${deal.id}/files/${shared.body.id as string}/sharing`,
      { shared: false },
      agent.accessToken,
    );
    expect([unshared.status, unshared.body.sharedWithClients, unshared.body.sharedAt]).toEqual([200, false, null]);
    expect((await get<{ items: unknown[] }>(`/v1/portal/transactions/${deal.id}/documents`, client.accessToken)).body.items).toEqual([]);
  });
});
