import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { pdfText, propertyBody, waitFor } from '@keyhouse/testing';
import {
  createPlan,
  createTransaction,
  crmOutboxEvent,
  dealsOrg,
  dealsOutboxData,
  download,
  uploadFile,
  type DealsOrg,
} from '../../support/deals.fixture';
import { registerOrganization, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

const FILE_DIR = `tmp/deal-files-http-test-${process.pid}`;

/** A transaction participant as the API answers it. */
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
 * The HTTP side of the deals routes (statuses, problem bodies, DTO validation, query parsing,
 * route permissions, CSV / PDF downloads, multipart uploads), with the real identity behind the
 * tokens and the names and branding deals asks it for, a real listing for offers, and crm's
 * contact erasure reaching deals end to end. The deals service's rules themselves are tested on the service alone:
 * apps/deals-commission/test/integration.
 */
describe('deals routes (HTTP through the gateway)', () => {
  let stack: TestStack;
  let org: DealsOrg;
  let rival: Session;
  let planId: string;

  beforeAll(async () => {
    stack = await startStack(
      { DEALS_COMMISSION_FILE_DIR: FILE_DIR, DEALS_COMMISSION_FILE_MAX_BYTES: String(1_536 * 1024) },
      { services: ['crm', 'listings', 'deals-commission'] },
    );
    org = await dealsOrg(stack.http, 'Cascade Homes');
    rival = await registerOrganization(stack.http, 'Rival Realty');
    await stack.http.patch(
      '/v1/organizations/current',
      { branding: { displayName: 'Cascade Homes NW', primaryColor: '#0a5c36' } },
      { token: org.owner.accessToken },
    );
    planId = await createPlan(stack.http, org.owner, { name: 'Standard', grossRateBps: 300, agentSplitBps: 7000 });
    const assigned = await stack.http.patch(
      `/v1/agents/${org.agent1.userId}/commission-plan`,
      { planId },
      { token: org.owner.accessToken },
    );
    expect(assigned.status).toBe(200);
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(FILE_DIR, { recursive: true, force: true });
  });

  describe('/v1/transactions and /v1/offers', () => {
    it('refuses unknown fields, a bad side and a negative price', async () => {
      const response = await stack.http.post<{ errors: Array<{ field: string }> }>(
        '/v1/transactions',
        { side: 'rent', price: -1, commission: 5 },
        { token: org.agent1.accessToken },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error) => error.field)).toEqual(expect.arrayContaining(['side', 'price']));
    });

    it('answers 201 on create, 200 on change and accept, 403, 409 and 404 problems, and 204 on delete', async () => {
      const token = org.agent1.accessToken;
      // Whether the agent is in the manager's team, deals asks identity (on the manager's envelope).
      const outside = await stack.http.post(
        '/v1/transactions',
        { side: 'buy', price: 1, agentId: org.agent2.userId },
        { token: org.manager.accessToken },
      );
      expect(outside.status).toBe(403);
      expect(outside.body.code).toBe('AGENT_OUT_OF_SCOPE');
      const inside = await stack.http.post(
        '/v1/transactions',
        { side: 'buy', price: 1, agentId: org.agent1.userId },
        { token: org.manager.accessToken },
      );
      expect(inside.status).toBe(201);

      const property = await stack.http.post<{ id: string }>('/v1/properties', propertyBody(), { token });
      expect(property.status).toBe(201);
      const listing = await createTransaction(stack.http, org.agent1, { side: 'list', propertyId: property.body.id, stage: 'meeting' });
      const moved = await stack.http.patch(`/v1/transactions/${listing.id}`, { notes: 'Seller motivated' }, { token });
      expect(moved.status).toBe(200);
      const offer = await stack.http.post<{ id: string }>(
        '/v1/offers',
        { transactionId: listing.id, amount: 61_000_000, financingType: 'cash' },
        { token },
      );
      expect(offer.status).toBe(201);
      const accepted = await stack.http.post(`/v1/offers/${offer.body.id}/accept`, {}, { token });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({ status: 'accepted' });

      const closed = await stack.http.patch(
        `/v1/transactions/${listing.id}`,
        { stage: 'closed', closePrice: 61_000_000, closeDate: '2026-11-02' },
        { token },
      );
      expect(closed.status).toBe(200);
      const remove = await stack.http.delete(`/v1/transactions/${listing.id}`, { token });
      expect(remove.status).toBe(409);
      expect(remove.body.code).toBe('TRANSACTION_CLOSED');

      const open = await createTransaction(stack.http, org.agent1, {});
      expect(await stack.http.delete(`/v1/transactions/${open.id}`, { token })).toMatchObject({ status: 204 });
      const gone = await stack.http.get(`/v1/transactions/${open.id}`, { token });
      expect(gone.status).toBe(404);
      expect(gone.body.code).toBe('TRANSACTION_NOT_FOUND');
    });

    it('reads filters, limit and cursor from the query string', async () => {
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
        { token: agent.accessToken },
      );
      expect(second.body.items).toHaveLength(1);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
      const nonsense = await stack.http.get('/v1/transactions?cursor=nonsense', { token: agent.accessToken });
      expect(nonsense.status).toBe(400);
      expect(nonsense.body.code).toBe('INVALID_CURSOR');
    });
  });

  describe('commission plans and reports', () => {
    it('refuses plan writes and assignments to roles without commission-plans:write (403); what-if answers 200', async () => {
      const body = { name: 'Agent made', grossRateBps: 300, agentSplitBps: 10000 };
      expect((await stack.http.post('/v1/commission-plans', body, { token: org.agent1.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/commission-plans', body, { token: org.manager.accessToken })).status).toBe(403);
      expect(
        (await stack.http.patch(`/v1/commission-plans/${planId}`, { agentSplitBps: 10000 }, { token: org.agent1.accessToken })).status,
      ).toBe(403);
      expect(
        (await stack.http.patch(`/v1/agents/${org.agent1.userId}/commission-plan`, { planId }, { token: org.agent1.accessToken })).status,
      ).toBe(403);
      const whatIf = await stack.http.post(
        '/v1/commission-plans/what-if',
        { price: 10_002, plan: { grossRateBps: 2500, agentSplitBps: 7000 }, closeDate: '2025-06-01' },
        { token: org.agent1.accessToken },
      );
      expect(whatIf.status).toBe(200);
      expect(whatIf.body).toMatchObject({ gross: 2_500, brokerage: 750, agent: 1_750 });
    });

    it('answers a statement version from the query, and the report as JSON, a CSV and a PDF attachment named after the period', async () => {
      const deal = await createTransaction(stack.http, org.agent1, { price: 1 });
      const closed = await stack.http.patch(
        `/v1/transactions/${deal.id}`,
        { stage: 'closed', closePrice: 50_000_000, closeDate: '2026-03-10' },
        { token: org.agent1.accessToken },
      );
      expect(closed.status).toBe(200);
      // 50,000,000 × 3 % = 1,500,000; brokerage 30 % = 450,000; agent 1,050,000.
      const statement = await stack.http.get(`/v1/transactions/${deal.id}/commission?version=1`, { token: org.owner.accessToken });
      expect(statement.status).toBe(200);
      expect(statement.body).toMatchObject({ version: 1, gross: 1_500_000, brokerage: 450_000, agent: 1_050_000 });

      const json = await stack.http.get<{ totals: { count: number } }>('/v1/reports/commissions?month=2026-03', {
        token: org.owner.accessToken,
      });
      expect(json.status).toBe(200);
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(json.body.totals).toMatchObject({ count: 1 });

      const csv = await stack.http.get<string>('/v1/reports/commissions?month=2026-03&format=csv', { token: org.owner.accessToken });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(csv.headers.get('content-disposition')).toBe('attachment; filename="commissions-2026-03-01-to-2026-03-31.csv"');
      expect(csv.body).toContain(`${org.agent1.userId},`);

      // The PDF names the agent and the organization as identity knows them (deals asks identity over NATS).
      const pdf = await download(stack.http, '/v1/reports/commissions?month=2026-03&format=pdf', org.owner.accessToken);
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(pdf.headers.get('content-disposition')).toContain('.pdf"');
      const text = await pdfText(pdf.bytes);
      const agent1 = await stack.http.get<{ name: string }>(`/v1/users/${org.agent1.userId}`, { token: org.owner.accessToken });
      expect(text).toContain(agent1.body.name);
      expect(text).toContain('Cascade Homes NW');
      expect(text).toContain('$500,000.00');
    });
  });

  describe('deal settings, key dates and invoices', () => {
    it('refuses a deadline rule with an unknown day count and an unknown key date (400)', async () => {
      expect((await stack.http.get('/v1/deal-settings', { token: org.agent1.accessToken })).status).toBe(200);
      expect(
        (
          await stack.http.patch(
            '/v1/deal-settings',
            { deadlines: { inspection: { days: 10, count: 'weekly' } } },
            { token: org.owner.accessToken },
          )
        ).status,
      ).toBe(400);
      const deal = await createTransaction(stack.http, org.agent1, {});
      expect(
        (await stack.http.patch(`/v1/transactions/${deal.id}/key-dates/someday`, { done: true }, { token: org.agent1.accessToken })).status,
      ).toBe(400);
    });

    it('answers 201 and 200 for invoice writes, and 403 to roles without invoices:read or invoices:write', async () => {
      const token = org.owner.accessToken;
      const deal = await createTransaction(stack.http, org.agent1, {});
      const body = {
        transactionId: deal.id,
        billTo: { name: 'X' },
        dueDate: '2027-01-15',
        lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 100 }],
      };
      const created = await stack.http.post<{ id: string }>('/v1/invoices', body, { token });
      expect(created.status).toBe(201);
      const id = created.body.id;
      expect((await stack.http.post('/v1/invoices', body, { token: org.manager.accessToken })).status).toBe(403);
      expect((await stack.http.post(`/v1/invoices/${id}/send`, {}, { token: org.manager.accessToken })).status).toBe(403);
      expect((await stack.http.get(`/v1/invoices/${id}`, { token: org.manager.accessToken })).status).toBe(200);
      for (const agent of [org.agent1, org.agent2]) {
        expect((await stack.http.get(`/v1/invoices/${id}`, { token: agent.accessToken })).status).toBe(403);
        expect((await stack.http.get('/v1/invoices', { token: agent.accessToken })).status).toBe(403);
      }
      const sent = await stack.http.post(`/v1/invoices/${id}/send`, {}, { token });
      expect(sent.status).toBe(200);
      const payment = await stack.http.post(`/v1/invoices/${id}/payments`, { amount: 100, paidOn: '2027-01-02', method: 'ach' }, { token });
      expect(payment.status).toBe(201);
      expect(payment.body).toMatchObject({ status: 'paid', balance: 0 });
    });
  });

  describe('files', () => {
    const pdf = (size: number) => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + 7) % 251;
      Buffer.from('%PDF-1.7\n').copy(bytes);
      return bytes;
    };

    it('takes a multipart upload in chunks to the service (201), downloads it with its type and checksum headers, deletes it (204)', async () => {
      const deal = await createTransaction(stack.http, org.agent1, {});
      const bytes = pdf(700 * 1024);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const uploaded = await uploadFile(stack.http, `/v1/transactions/${deal.id}/files`, org.agent1.accessToken, {
        name: 'Purchase agreement.pdf',
        type: 'application/pdf',
        bytes,
      });
      expect(uploaded.status).toBe(201);
      expect(uploaded.body).toMatchObject({
        name: 'Purchase agreement.pdf',
        contentType: 'application/pdf',
        size: bytes.length,
        sha256,
        uploadedBy: org.agent1.userId,
      });
      const fileId = uploaded.body.id as string;
      for (const session of [org.agent1, org.manager]) {
        const got = await download(stack.http, `/v1/transactions/${deal.id}/files/${fileId}`, session.accessToken);
        expect(got.status).toBe(200);
        expect(createHash('sha256').update(got.bytes).digest('hex')).toBe(sha256);
        expect(got.headers.get('content-type')).toBe('application/pdf');
        expect(got.headers.get('x-checksum-sha256')).toBe(sha256);
      }
      expect((await download(stack.http, `/v1/transactions/${deal.id}/files/${fileId}`, org.agent2.accessToken)).status).toBe(404);
      const tooBig = await uploadFile(stack.http, `/v1/transactions/${deal.id}/files`, org.agent1.accessToken, {
        name: 'big.pdf',
        type: 'application/pdf',
        bytes: pdf(1_536 * 1024 + 1),
      });
      expect(tooBig.status).toBe(413);
      expect(tooBig.body.code).toBe('FILE_TOO_LARGE');
      expect((await stack.http.delete(`/v1/transactions/${deal.id}/files/${fileId}`, { token: org.agent1.accessToken })).status).toBe(204);
      expect((await download(stack.http, `/v1/transactions/${deal.id}/files/${fileId}`, org.agent1.accessToken)).status).toBe(404);
    });
  });

  describe('contact erasure across crm and deals', () => {
    // Issue 3 (privacy): crm's `POST /v1/contacts/:id/erase` emits `crm.contact.erased`, which reaches the
    // deals consumer group `deals.contact-erasure` over the real topic. What deals erases and keeps, exactly
    // once, is tested on the deals service alone (apps/deals-commission/test/integration/contact-erasure).
    it('erases a crm contact (agent refused, other organization 404) and deals anonymises the participant linked to it', async () => {
      const tag = randomBytes(3).toString('hex');
      const email = `bea.erasable.${tag}@example.test`;
      const agent = org.agent1;
      const contact = await stack.http.post<{ id: string }>(
        '/v1/contacts',
        { firstName: 'Bea', lastName: `Erasable${tag}`, email, phone: '+12065550123' },
        { token: agent.accessToken },
      );
      expect(contact.status).toBe(201);
      const bea = contact.body.id;
      const lender: Participant = { side: 'buy', role: 'lender', name: 'Lena Lender', company: 'First Bank', email: 'lena@bank.example' };
      const deal = await createTransaction(stack.http, agent, {
        buyerContactIds: [bea],
        participants: [{ side: 'buy', role: 'other', contactId: bea, name: `Bea Erasable${tag}`, email, phone: '+12065550123' }, lender],
      });

      expect((await stack.http.post(`/v1/contacts/${bea}/erase`, {}, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.post(`/v1/contacts/${bea}/erase`, {}, { token: rival.accessToken })).status).toBe(404);
      expect((await stack.http.post(`/v1/contacts/${bea}/erase`, {}, { token: org.owner.accessToken })).status).toBe(204);

      let participants: Participant[] = [];
      await waitFor(async () => {
        const response = await stack.http.get<{ participants: Participant[] }>(`/v1/transactions/${deal.id}`, {
          token: org.owner.accessToken,
        });
        participants = response.body.participants;
        return participants.some((entry) => entry.name === 'Erased contact');
      });
      expect(participants).toEqual([
        { side: 'buy', role: 'other', contactId: bea, name: 'Erased contact', company: null, email: null, phone: null },
        lender,
      ]);

      // deals.contact.erased names crm's erasure event: the one event crm put on crm.events.
      const crmErased = await crmOutboxEvent(stack, 'crm.contact.erased', bea);
      expect(await dealsOutboxData(stack, 'deals.contact.erased', bea)).toEqual([
        { contactId: bea, erasureEventId: crmErased.id, transactionIds: [deal.id], offerIds: [], invoiceIds: [], activityEntries: 0 },
      ]);
    });
  });
});
