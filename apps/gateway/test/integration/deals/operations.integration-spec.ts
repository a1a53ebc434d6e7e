import { createHash, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { waitFor } from '@keyhouse/testing';
import { registerOrganization, type Session } from '../../support/fixtures';
import {
  consumeDealsEvents,
  createPlan,
  createTransaction,
  dealsOrg,
  dealsOutboxTypes,
  download,
  uploadFile,
  utcDate,
  type DealsEventLog,
  type DealsOrg,
} from '../../support/deals-fixtures';
import { startStack, type TestStack } from '../../support/stack';

interface KeyDate {
  key: string;
  date: string;
  origin: string;
  doneAt: string | null;
  missedAt: string | null;
  reminders: Array<{ offsetMinutes: number; remindAt: string; sentAt: string | null }>;
}

const FILE_DIR = `tmp/deal-files-test-${process.pid}`;

/**
 * Contract deadlines, key-date reminders and missed deadlines (the schedule job every 500 ms),
 * invoices with payments and the overdue job (every 1 s), transaction files; refusals across
 * organizations and for agents who do not own the deal (both 404: nothing to see).
 */
describe('deals: deadlines, reminders, invoices, files', () => {
  let stack: TestStack;
  let org: DealsOrg;
  let other: Session;
  let log: DealsEventLog;

  beforeAll(async () => {
    stack = await startStack(
      {
        DEALS_COMMISSION_SCHEDULE_EVERY_MS: '500',
        DEALS_COMMISSION_OVERDUE_EVERY_MS: '1000',
        DEALS_COMMISSION_FILE_DIR: FILE_DIR,
        DEALS_COMMISSION_FILE_MAX_BYTES: String(1_536 * 1024),
      },
      { services: ['deals-commission'] },
    );
    org = await dealsOrg(stack.http);
    other = await registerOrganization(stack.http, 'Other Realty');
    const planId = await createPlan(stack.http, org.owner, { name: 'Standard', grossRateBps: 300, agentSplitBps: 7000 });
    await stack.http.patch(`/v1/agents/${org.agent1.userId}/commission-plan`, { planId }, { token: org.owner.accessToken });
    log = await consumeDealsEvents(stack);
  });

  afterAll(async () => {
    await log?.stop();
    await stack?.stop();
    await rm(FILE_DIR, { recursive: true, force: true });
  });

  const eventsOf = (type: string, transactionId: string) =>
    log.events.filter((event) => event.type === type && event.key === transactionId);

  describe('deal settings', () => {
    it('gives defaults, lets only admins change them, refuses an unknown time zone, and keeps organizations apart', async () => {
      const defaults = await stack.http.get('/v1/deal-settings', { token: org.agent1.accessToken });
      expect(defaults.status).toBe(200);
      expect(defaults.body).toMatchObject({ timeZone: 'UTC', rollToBusinessDay: true, holidays: [], reminderOffsetsMinutes: [4320, 1440] });
      expect((defaults.body.deadlines as Record<string, unknown>).depositDue).toEqual({ days: 3, count: 'business' });

      expect((await stack.http.patch('/v1/deal-settings', { holidays: ['2026-12-25'] }, { token: org.agent1.accessToken })).status).toBe(
        403,
      );
      expect((await stack.http.patch('/v1/deal-settings', { holidays: ['2026-12-25'] }, { token: org.manager.accessToken })).status).toBe(
        403,
      );
      const badZone = await stack.http.patch<{ errors: Array<{ field: string }> }>(
        '/v1/deal-settings',
        { timeZone: 'Mars/Olympus' },
        { token: org.owner.accessToken },
      );
      expect(badZone.status).toBe(400);
      expect(badZone.body.errors[0].field).toBe('timeZone');
      expect(
        (
          await stack.http.patch(
            '/v1/deal-settings',
            { deadlines: { inspection: { days: 10, count: 'weekly' } } },
            { token: org.owner.accessToken },
          )
        ).status,
      ).toBe(400);

      const changed = await stack.http.patch(
        '/v1/deal-settings',
        {
          timeZone: 'UTC',
          rollToBusinessDay: false,
          holidays: ['2026-12-25', '2026-11-26'],
          reminderOffsetsMinutes: [2880, 10080],
          deadlines: {
            depositDue: { days: 3, count: 'calendar' },
            inspection: { days: 10, count: 'calendar' },
            finalWalkThrough: { days: 29, count: 'calendar' },
            closing: { days: 30, count: 'calendar' },
          },
        },
        { token: org.owner.accessToken },
      );
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({
        holidays: ['2026-11-26', '2026-12-25'],
        reminderOffsetsMinutes: [10080, 2880],
        rollToBusinessDay: false,
      });
      expect((changed.body.deadlines as Record<string, unknown>).appraisal).toEqual({ days: 17, count: 'calendar' });
      expect((await stack.http.get('/v1/deal-settings', { token: other.accessToken })).body).toMatchObject({
        holidays: [],
        reminderOffsetsMinutes: [4320, 1440],
      });
    });
  });

  describe('contract deadlines from an accepted offer', () => {
    it('sets the key dates by the organization’s rules, requests tasks for the participants concerned, and refuses others', async () => {
      const deal = await createTransaction(stack.http, org.agent1, {
        propertyId: randomUUID(),
        stage: 'offer',
        keyDates: { appraisal: utcDate(40) },
        participants: [
          { side: 'buy', role: 'inspector', name: 'Ivy Inspector', email: 'ivy@inspect.example' },
          { side: 'buy', role: 'lender', name: 'Pat Lender' },
          { side: 'list', role: 'escrow_title', company: 'Title Co' },
        ],
      });
      const offer = await stack.http.post<{ id: string }>(
        '/v1/offers',
        { transactionId: deal.id, amount: 61_000_000, earnestMoney: 1_000_000, financingType: 'cash', contingencies: ['inspection'] },
        { token: org.agent1.accessToken },
      );
      expect((await stack.http.post(`/v1/offers/${offer.body.id}/accept`, {}, { token: org.agent1.accessToken })).status).toBe(200);

      // Calendar days after today (UTC), no roll: deposit +3, inspection +10, walk-through +29, closing +30;
      // no financing deadline (not a contingency of this offer); the manual appraisal date stays.
      const view = await stack.http.get(`/v1/transactions/${deal.id}`, { token: org.agent1.accessToken });
      expect(view.body.keyDates).toEqual({
        depositDue: utcDate(3),
        inspection: utcDate(10),
        appraisal: utcDate(40),
        finalWalkThrough: utcDate(29),
        closing: utcDate(30),
      });
      const keyDates = await stack.http.get<{ items: KeyDate[] }>(`/v1/transactions/${deal.id}/key-dates`, {
        token: org.agent1.accessToken,
      });
      expect(Object.fromEntries(keyDates.body.items.map((item) => [item.key, item.origin]))).toEqual({
        depositDue: 'computed',
        inspection: 'computed',
        appraisal: 'manual',
        finalWalkThrough: 'computed',
        closing: 'computed',
      });

      await waitFor(() => eventsOf('deals.deadline.task_requested', deal.id).length === 4);
      const tasks = Object.fromEntries(eventsOf('deals.deadline.task_requested', deal.id).map((event) => [event.data.key, event.data]));
      expect(tasks.inspection).toMatchObject({ dueDate: utcDate(10), assigneeId: org.agent1.userId, offerId: offer.body.id });
      expect(tasks.inspection.participants).toEqual([
        expect.objectContaining({ role: 'inspector', name: 'Ivy Inspector', email: 'ivy@inspect.example' }),
      ]);
      expect(tasks.depositDue.participants).toEqual([expect.objectContaining({ role: 'escrow_title' })]);
      expect(tasks.finalWalkThrough.participants).toEqual([]);

      for (const token of [org.agent2.accessToken, other.accessToken]) {
        expect((await stack.http.get(`/v1/transactions/${deal.id}/key-dates`, { token })).status).toBe(404);
        expect((await stack.http.patch(`/v1/transactions/${deal.id}/key-dates/closing`, { done: true }, { token })).status).toBe(404);
      }
      expect(
        (
          await stack.http.patch(
            `/v1/transactions/${deal.id}/key-dates/financingContingency`,
            { done: true },
            { token: org.agent1.accessToken },
          )
        ).status,
      ).toBe(404);
      expect(
        (await stack.http.patch(`/v1/transactions/${deal.id}/key-dates/someday`, { done: true }, { token: org.agent1.accessToken })).status,
      ).toBe(400);
    });
  });

  describe('key-date reminders and missed deadlines (schedule job)', () => {
    it('sends each reminder once on Kafka, the nearest late one at once, and reschedules when the date moves', async () => {
      // Offsets 7 days and 2 days; inspection in 3 days: the 7-day reminder is already late (sent at the
      // next run), the 2-day one waits for today+1 00:00 UTC.
      const deal = await createTransaction(stack.http, org.agent1, { keyDates: { inspection: utcDate(3) } });
      await waitFor(() => eventsOf('deals.date.reminder_due', deal.id).length === 1);
      expect(eventsOf('deals.date.reminder_due', deal.id)[0].data).toMatchObject({
        transactionId: deal.id,
        key: 'inspection',
        date: utcDate(3),
        offsetMinutes: 10080,
        agentId: org.agent1.userId,
      });
      let [inspection] = (
        await stack.http.get<{ items: KeyDate[] }>(`/v1/transactions/${deal.id}/key-dates`, { token: org.agent1.accessToken })
      ).body.items;
      expect(inspection.reminders).toEqual([
        { offsetMinutes: 10080, remindAt: `${utcDate(-4)}T00:00:00.000Z`, sentAt: expect.any(String) },
        { offsetMinutes: 2880, remindAt: `${utcDate(1)}T00:00:00.000Z`, sentAt: null },
      ]);

      const moved = await stack.http.patch(
        `/v1/transactions/${deal.id}`,
        { keyDates: { inspection: utcDate(10) } },
        { token: org.agent1.accessToken },
      );
      expect(moved.status).toBe(200);
      [inspection] = (
        await stack.http.get<{ items: KeyDate[] }>(`/v1/transactions/${deal.id}/key-dates`, { token: org.agent1.accessToken })
      ).body.items;
      expect(inspection.reminders).toEqual([
        { offsetMinutes: 10080, remindAt: `${utcDate(3)}T00:00:00.000Z`, sentAt: null },
        { offsetMinutes: 2880, remindAt: `${utcDate(8)}T00:00:00.000Z`, sentAt: null },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(eventsOf('deals.date.reminder_due', deal.id)).toHaveLength(1);
    });

    it('raises deals.deadline.missed once for a passed date not done, never for one marked done', async () => {
      // Created lost (the job ignores deals that are not open), the inspection marked done, then reopened.
      const deal = await createTransaction(stack.http, org.agent1, {
        stage: 'lost',
        keyDates: { appraisal: '2020-01-02', inspection: utcDate(-1) },
      });
      const done = await stack.http.patch<KeyDate>(
        `/v1/transactions/${deal.id}/key-dates/inspection`,
        { done: true },
        { token: org.agent1.accessToken },
      );
      expect(done.status).toBe(200);
      expect(done.body.doneAt).toEqual(expect.any(String));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(eventsOf('deals.deadline.missed', deal.id)).toEqual([]);
      expect(
        (await stack.http.patch(`/v1/transactions/${deal.id}`, { stage: 'contacted' }, { token: org.agent1.accessToken })).status,
      ).toBe(200);
      await waitFor(() => eventsOf('deals.deadline.missed', deal.id).some((event) => event.data.key === 'appraisal'));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const missed = eventsOf('deals.deadline.missed', deal.id);
      expect(missed).toHaveLength(1);
      expect(missed[0].data).toEqual({ transactionId: deal.id, key: 'appraisal', dueDate: '2020-01-02', agentId: org.agent1.userId });
      const items = (
        await stack.http.get<{ items: KeyDate[] }>(`/v1/transactions/${deal.id}/key-dates`, { token: org.manager.accessToken })
      ).body.items;
      expect(items.find((item) => item.key === 'appraisal')!.missedAt).toEqual(expect.any(String));
      expect(await dealsOutboxTypes(stack, deal.id)).toContain('deals.key_date.completed');
    });
  });

  describe('invoices', () => {
    it('goes draft → sent → paid through partial payments, with totals and balances in cents, and refuses bad transitions', async () => {
      const deal = await createTransaction(stack.http, org.agent1, {});
      const token = org.owner.accessToken;
      const created = await stack.http.post<Record<string, unknown> & { id: string }>(
        '/v1/invoices',
        {
          transactionId: deal.id,
          billTo: { name: 'Jordan Buyer', email: 'jordan@example.com' },
          issueDate: utcDate(0),
          dueDate: utcDate(30),
          lineItems: [
            { description: 'Commission, 123 Pine St', quantity: 2, unitAmount: 150_000 },
            { description: 'Transaction fee', quantity: 1, unitAmount: 39_500 },
          ],
        },
        { token },
      );
      expect(created.status).toBe(201);
      // 2 × 1,500.00 + 395.00 = 3,395.00
      expect(created.body).toMatchObject({
        status: 'draft',
        total: 339_500,
        paid: 0,
        balance: 339_500,
        agentId: org.agent1.userId,
        number: expect.stringMatching(/^INV-\d{6}$/),
      });
      const id = created.body.id;

      expect(
        (await stack.http.post(`/v1/invoices/${id}/payments`, { amount: 1, paidOn: utcDate(0), method: 'check' }, { token })).body.code,
      ).toBe('INVOICE_TRANSITION_INVALID');
      const edited = await stack.http.patch(
        `/v1/invoices/${id}`,
        { lineItems: [{ description: 'Commission', quantity: 3, unitAmount: 100_000 }] },
        { token },
      );
      expect(edited.body).toMatchObject({ total: 300_000, balance: 300_000 });
      expect((await stack.http.post(`/v1/invoices/${id}/send`, {}, { token })).body).toMatchObject({
        status: 'sent',
        sentAt: expect.any(String),
      });
      expect((await stack.http.post(`/v1/invoices/${id}/send`, {}, { token })).status).toBe(409);
      expect((await stack.http.patch(`/v1/invoices/${id}`, { notes: 'late edit' }, { token })).body.code).toBe('INVOICE_NOT_DRAFT');

      const first = await stack.http.post(
        `/v1/invoices/${id}/payments`,
        { amount: 120_000, paidOn: utcDate(0), method: 'ach', reference: 'ACH-1' },
        { token },
      );
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ status: 'sent', paid: 120_000, balance: 180_000 });
      const over = await stack.http.post(`/v1/invoices/${id}/payments`, { amount: 180_001, paidOn: utcDate(0), method: 'wire' }, { token });
      expect(over.status).toBe(422);
      expect(over.body.code).toBe('PAYMENT_EXCEEDS_BALANCE');
      expect((await stack.http.post(`/v1/invoices/${id}/void`, {}, { token })).body.code).toBe('INVOICE_HAS_PAYMENTS');
      const last = await stack.http.post(
        `/v1/invoices/${id}/payments`,
        { amount: 180_000, paidOn: utcDate(0), method: 'check', reference: '1042' },
        { token },
      );
      expect(last.body).toMatchObject({ status: 'paid', paid: 300_000, balance: 0, paidAt: expect.any(String) });
      expect((last.body.payments as Array<{ amount: number }>).map((payment) => payment.amount)).toEqual([120_000, 180_000]);
      expect(
        (await stack.http.post(`/v1/invoices/${id}/payments`, { amount: 1, paidOn: utcDate(0), method: 'check' }, { token })).status,
      ).toBe(409);

      expect(await dealsOutboxTypes(stack, id)).toEqual([
        'deals.invoice.created',
        'deals.invoice.updated',
        'deals.invoice.sent',
        'deals.payment.recorded',
        'deals.payment.recorded',
        'deals.invoice.paid',
      ]);
    });

    it('marks a sent invoice past due overdue by the daily job, still payable; voids a draft once', async () => {
      const token = org.owner.accessToken;
      const deal = await createTransaction(stack.http, org.agent1, {});
      const late = await stack.http.post<{ id: string }>(
        '/v1/invoices',
        {
          transactionId: deal.id,
          billTo: { name: 'Late Payer' },
          issueDate: '2026-01-01',
          dueDate: '2026-01-15',
          lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 50_000 }],
        },
        { token },
      );
      const future = await stack.http.post<{ id: string }>(
        '/v1/invoices',
        {
          transactionId: deal.id,
          billTo: { name: 'On Time' },
          dueDate: utcDate(5),
          lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 50_000 }],
        },
        { token },
      );
      await stack.http.post(`/v1/invoices/${late.body.id}/send`, {}, { token });
      await stack.http.post(`/v1/invoices/${future.body.id}/send`, {}, { token });
      let status = '';
      const started = Date.now();
      while (status !== 'overdue' && Date.now() - started < 10_000) {
        status = (await stack.http.get<{ status: string }>(`/v1/invoices/${late.body.id}`, { token })).body.status;
        if (status !== 'overdue') await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(status).toBe('overdue');
      expect((await stack.http.get(`/v1/invoices/${future.body.id}`, { token })).body.status).toBe('sent');
      expect(await dealsOutboxTypes(stack, late.body.id)).toContain('deals.invoice.overdue');
      const paid = await stack.http.post(
        `/v1/invoices/${late.body.id}/payments`,
        { amount: 50_000, paidOn: utcDate(0), method: 'card' },
        { token },
      );
      expect(paid.body).toMatchObject({ status: 'paid', balance: 0 });

      const draft = await stack.http.post<{ id: string }>(
        '/v1/invoices',
        { billTo: { name: 'Anyone' }, dueDate: utcDate(5), lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 1 }] },
        { token },
      );
      expect((await stack.http.post(`/v1/invoices/${draft.body.id}/void`, {}, { token })).body).toMatchObject({
        status: 'void',
        voidedAt: expect.any(String),
      });
      expect((await stack.http.post(`/v1/invoices/${draft.body.id}/void`, {}, { token })).body.code).toBe('INVOICE_TRANSITION_INVALID');
      expect(await dealsOutboxTypes(stack, draft.body.id)).toEqual(['deals.invoice.created', 'deals.invoice.voided']);
    });

    it('lets managers read their team’s invoices only; agents have no invoice access; other organizations see nothing', async () => {
      const token = org.owner.accessToken;
      const teamDeal = await createTransaction(stack.http, org.agent1, {});
      const outsideDeal = await createTransaction(stack.http, org.agent2, {});
      const body = (transactionId: string) => ({
        transactionId,
        billTo: { name: 'X' },
        dueDate: utcDate(5),
        lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 100 }],
      });
      const team = await stack.http.post<{ id: string }>('/v1/invoices', body(teamDeal.id), { token });
      const outside = await stack.http.post<{ id: string }>('/v1/invoices', body(outsideDeal.id), { token });

      expect((await stack.http.get(`/v1/invoices/${team.body.id}`, { token: org.manager.accessToken })).status).toBe(200);
      expect((await stack.http.get(`/v1/invoices/${outside.body.id}`, { token: org.manager.accessToken })).status).toBe(404);
      const managerList = await stack.http.get<{ items: Array<{ id: string }> }>('/v1/invoices', { token: org.manager.accessToken });
      expect(managerList.body.items.map((item) => item.id)).toContain(team.body.id);
      expect(managerList.body.items.map((item) => item.id)).not.toContain(outside.body.id);
      expect((await stack.http.post('/v1/invoices', body(teamDeal.id), { token: org.manager.accessToken })).status).toBe(403);
      expect((await stack.http.post(`/v1/invoices/${team.body.id}/send`, {}, { token: org.manager.accessToken })).status).toBe(403);

      for (const agent of [org.agent1, org.agent2]) {
        expect((await stack.http.get(`/v1/invoices/${team.body.id}`, { token: agent.accessToken })).status).toBe(403);
        expect((await stack.http.get('/v1/invoices', { token: agent.accessToken })).status).toBe(403);
      }
      expect((await stack.http.get(`/v1/invoices/${team.body.id}`, { token: other.accessToken })).status).toBe(404);
      expect((await stack.http.post(`/v1/invoices/${team.body.id}/send`, {}, { token: other.accessToken })).status).toBe(404);
      expect((await stack.http.patch(`/v1/invoices/${team.body.id}`, { notes: 'x' }, { token: other.accessToken })).status).toBe(404);
      expect((await stack.http.post(`/v1/invoices/${team.body.id}/void`, {}, { token: other.accessToken })).status).toBe(404);
      expect(
        (
          await stack.http.post(
            `/v1/invoices/${team.body.id}/payments`,
            { amount: 1, paidOn: utcDate(0), method: 'ach' },
            { token: other.accessToken },
          )
        ).status,
      ).toBe(404);
      expect((await stack.http.post('/v1/invoices', body(teamDeal.id), { token: other.accessToken })).status).toBe(404);
      expect((await stack.http.get<{ items: unknown[] }>('/v1/invoices', { token: other.accessToken })).body.items).toEqual([]);
      const bad = await stack.http.post<{ errors: Array<{ field: string }> }>(
        '/v1/invoices',
        { ...body(teamDeal.id), issueDate: utcDate(5), dueDate: utcDate(1) },
        { token },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('dueDate');
    });
  });

  describe('files', () => {
    const pdf = (size: number) => {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + 7) % 251;
      Buffer.from('%PDF-1.7\n').copy(bytes);
      return bytes;
    };

    it('round-trips a multi-chunk upload by checksum, permission-checks downloads, deletes', async () => {
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

      const list = await stack.http.get<{ items: Array<{ id: string }> }>(`/v1/transactions/${deal.id}/files`, {
        token: org.agent1.accessToken,
      });
      expect(list.body.items.map((item) => item.id)).toEqual([fileId]);
      for (const session of [org.agent1, org.manager, org.owner]) {
        const got = await download(stack.http, `/v1/transactions/${deal.id}/files/${fileId}`, session.accessToken);
        expect(got.status).toBe(200);
        expect(createHash('sha256').update(got.bytes).digest('hex')).toBe(sha256);
        expect(got.headers.get('content-type')).toBe('application/pdf');
        expect(got.headers.get('x-checksum-sha256')).toBe(sha256);
      }
      // The local disk has no URL of its own: pre-signed URLs need the s3 storage (files-s3.integration-spec.ts).
      const signed = await stack.http.get<{ code: string }>(`/v1/transactions/${deal.id}/files/${fileId}/download-url`, {
        token: org.agent1.accessToken,
      });
      expect(signed.status).toBe(409);
      expect(signed.body.code).toBe('FILE_DOWNLOAD_URL_UNAVAILABLE');
      for (const session of [org.agent2, other]) {
        expect((await download(stack.http, `/v1/transactions/${deal.id}/files/${fileId}`, session.accessToken)).status).toBe(404);
        expect((await stack.http.get(`/v1/transactions/${deal.id}/files`, { token: session.accessToken })).status).toBe(404);
        expect(
          (await stack.http.get(`/v1/transactions/${deal.id}/files/${fileId}/download-url`, { token: session.accessToken })).status,
        ).toBe(404);
        expect((await stack.http.delete(`/v1/transactions/${deal.id}/files/${fileId}`, { token: session.accessToken })).status).toBe(404);
        expect(
          (
            await uploadFile(stack.http, `/v1/transactions/${deal.id}/files`, session.accessToken, {
              name: 'x.pdf',
              type: 'application/pdf',
              bytes: pdf(100),
            })
          ).status,
        ).toBe(404);
      }
      expect((await stack.http.delete(`/v1/transactions/${deal.id}/files/${fileId}`, { token: org.agent1.accessToken })).status).toBe(204);
      expect((await download(stack.http, `/v1/transactions/${deal.id}/files/${fileId}`, org.agent1.accessToken)).status).toBe(404);
      expect(await dealsOutboxTypes(stack, deal.id)).toEqual(expect.arrayContaining(['deals.file.uploaded', 'deals.file.deleted']));
    });

    it('refuses types outside the list, content that is not the declared type, and files over the limit', async () => {
      const deal = await createTransaction(stack.http, org.agent1, {});
      const path = `/v1/transactions/${deal.id}/files`;
      const text = await uploadFile(stack.http, path, org.agent1.accessToken, {
        name: 'notes.txt',
        type: 'text/plain',
        bytes: Buffer.from('hello'),
      });
      expect(text.status).toBe(400);
      expect(text.body.code).toBe('FILE_TYPE_NOT_ALLOWED');
      const disguised = await uploadFile(stack.http, path, org.agent1.accessToken, {
        name: 'script.pdf',
        type: 'application/pdf',
        bytes: Buffer.from('#!/bin/sh\necho hi\n'),
      });
      expect(disguised.status).toBe(400);
      expect(disguised.body.code).toBe('FILE_TYPE_NOT_ALLOWED');
      const big = await uploadFile(stack.http, path, org.agent1.accessToken, {
        name: 'big.pdf',
        type: 'application/pdf',
        bytes: pdf(1_536 * 1024 + 1),
      });
      expect(big.status).toBe(413);
      expect(big.body.code).toBe('FILE_TOO_LARGE');
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
      expect(
        (await uploadFile(stack.http, path, org.agent1.accessToken, { name: 'photo.png', type: 'image/png', bytes: png })).status,
      ).toBe(201);
      expect((await stack.http.get<{ items: unknown[] }>(path, { token: org.agent1.accessToken })).body.items).toHaveLength(1);
    });
  });
});
