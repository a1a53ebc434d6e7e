import { rm } from 'node:fs/promises';
import {
  DealsFileSubjects as F,
  DealsInvoiceSubjects as I,
  DealsScheduleSubjects as D,
  DealsTransactionSubjects as S,
  type InvoiceCreateRequest,
} from '@keyhouse/contracts';
import { startService, waitFor, type TestService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startDealsCommission } from '../../src/main';
import { downloadFile, sha256Hex, uploadFile } from '../support/deals-files.fixture';
import { dealsOrg, dealsProperty, dealsUser, utcDate, type DealsActor, type DealsOrg } from '../support/deals-org.fixture';
import {
  assignPlan,
  consumeDealsEvents,
  createPlan,
  createTransaction,
  dealsOutboxTypes,
  type DealsEventLog,
} from '../support/deals-records.fixture';
import { startDirectoryStandIn, type DirectoryStandIn } from '../support/directory-stand-in.fixture';

const FILE_DIR = `tmp/deal-files-service-test-${process.pid}`;

/**
 * Contract deadlines, key-date reminders and missed deadlines (the schedule job every 500 ms),
 * invoices with payments and the overdue job (every 1 s), transaction files on the local disk, on
 * the deals service alone (over NATS; its events read back from `deals.events`); refusals across
 * organizations and for agents who do not own the deal (both not found: nothing to see).
 */
describe('deals: deadlines, reminders, invoices, files (deals-commission over NATS)', () => {
  let deals: TestService;
  let directory: DirectoryStandIn;
  let org: DealsOrg;
  let other: DealsActor;
  let log: DealsEventLog;

  beforeAll(async () => {
    deals = await startService(startDealsCommission, {
      DEALS_COMMISSION_SCHEDULE_EVERY_MS: '500',
      DEALS_COMMISSION_OVERDUE_EVERY_MS: '1000',
      DEALS_COMMISSION_FILE_DIR: FILE_DIR,
      DEALS_COMMISSION_FILE_MAX_BYTES: String(1_536 * 1024),
    });
    directory = await startDirectoryStandIn(deals);
    org = dealsOrg(directory);
    other = dealsUser(directory, newId(), 'owner');
    const planId = await createPlan(deals, org.owner, { name: 'Standard', grossRateBps: 300, agentSplitBps: 7000 });
    await assignPlan(deals, org.owner, org.agent1.userId, planId);
    log = await consumeDealsEvents(deals);
  });

  afterAll(async () => {
    await log?.stop();
    await directory?.stop();
    await deals?.stop();
    await rm(FILE_DIR, { recursive: true, force: true });
  });

  describe('deal settings', () => {
    it('gives defaults, lets only admins change them, refuses an unknown time zone, and keeps organizations apart', async () => {
      const defaults = await deals.rpc.call(D.settingsGet, {}, org.agent1);
      expect(defaults).toMatchObject({ timeZone: 'UTC', rollToBusinessDay: true, holidays: [], reminderOffsetsMinutes: [4320, 1440] });
      expect(defaults.deadlines.depositDue).toEqual({ days: 3, count: 'business' });

      await expect(deals.rpc.call(D.settingsUpdate, { holidays: ['2026-12-25'] }, org.agent1)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(deals.rpc.call(D.settingsUpdate, { holidays: ['2026-12-25'] }, org.manager)).rejects.toMatchObject({
        kind: 'forbidden',
      });
      const badZone = await refusalOf(deals.rpc.call(D.settingsUpdate, { timeZone: 'Mars/Olympus' }, org.owner));
      expect(badZone.kind).toBe('validation');
      expect(badZone.errors![0].field).toBe('timeZone');

      const changed = await deals.rpc.call(
        D.settingsUpdate,
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
        org.owner,
      );
      expect(changed).toMatchObject({
        holidays: ['2026-11-26', '2026-12-25'],
        reminderOffsetsMinutes: [10080, 2880],
        rollToBusinessDay: false,
      });
      expect(changed.deadlines.appraisal).toEqual({ days: 17, count: 'calendar' });
      expect(await deals.rpc.call(D.settingsGet, {}, other)).toMatchObject({ holidays: [], reminderOffsetsMinutes: [4320, 1440] });
    });
  });

  describe('contract deadlines from an accepted offer', () => {
    it('sets the key dates by the organization’s rules, requests tasks for the participants concerned, and refuses others', async () => {
      const deal = await createTransaction(deals, org.agent1, {
        propertyId: dealsProperty(directory, org.orgId),
        stage: 'offer',
        keyDates: { appraisal: utcDate(40) },
        participants: [
          { side: 'buy', role: 'inspector', name: 'Ivy Inspector', email: 'ivy@inspect.example' },
          { side: 'buy', role: 'lender', name: 'Pat Lender' },
          { side: 'list', role: 'escrow_title', company: 'Title Co' },
        ],
      });
      const offer = await deals.rpc.call(
        S.offerCreate,
        { transactionId: deal.id, amount: 61_000_000, earnestMoney: 1_000_000, financingType: 'cash', contingencies: ['inspection'] },
        org.agent1,
      );
      await expect(deals.rpc.call(S.offerAccept, { id: offer.id }, org.agent1)).resolves.toMatchObject({ status: 'accepted' });

      // Calendar days after today (UTC), no roll: deposit +3, inspection +10, walk-through +29, closing +30;
      // no financing deadline (not a contingency of this offer); the manual appraisal date stays.
      const view = await deals.rpc.call(S.get, { id: deal.id }, org.agent1);
      expect(view.keyDates).toEqual({
        depositDue: utcDate(3),
        inspection: utcDate(10),
        appraisal: utcDate(40),
        finalWalkThrough: utcDate(29),
        closing: utcDate(30),
      });
      const keyDates = await deals.rpc.call(D.keyDateList, { transactionId: deal.id }, org.agent1);
      expect(Object.fromEntries(keyDates.items.map((item) => [item.key, item.origin]))).toEqual({
        depositDue: 'computed',
        inspection: 'computed',
        appraisal: 'manual',
        finalWalkThrough: 'computed',
        closing: 'computed',
      });

      await waitFor(() => log.of('deals.deadline.task_requested', deal.id).length === 4);
      const tasks = Object.fromEntries(log.of('deals.deadline.task_requested', deal.id).map((event) => [event.data.key, event.data]));
      expect(tasks.inspection).toMatchObject({ dueDate: utcDate(10), assigneeId: org.agent1.userId, offerId: offer.id });
      expect(tasks.inspection.participants).toEqual([
        expect.objectContaining({ role: 'inspector', name: 'Ivy Inspector', email: 'ivy@inspect.example' }),
      ]);
      expect(tasks.depositDue.participants).toEqual([expect.objectContaining({ role: 'escrow_title' })]);
      expect(tasks.finalWalkThrough.participants).toEqual([]);

      for (const actor of [org.agent2, other]) {
        await expect(deals.rpc.call(D.keyDateList, { transactionId: deal.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(deals.rpc.call(D.keyDateUpdate, { transactionId: deal.id, key: 'closing', done: true }, actor)).rejects.toMatchObject({
          kind: 'not_found',
        });
      }
      await expect(
        deals.rpc.call(D.keyDateUpdate, { transactionId: deal.id, key: 'financingContingency', done: true }, org.agent1),
      ).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('key-date reminders and missed deadlines (schedule job)', () => {
    it('sends each reminder once on Kafka, the nearest late one at once, and reschedules when the date moves', async () => {
      // Offsets 7 days and 2 days; inspection in 3 days: the 7-day reminder is already late (sent at the
      // next run), the 2-day one waits for today+1 00:00 UTC.
      const deal = await createTransaction(deals, org.agent1, { keyDates: { inspection: utcDate(3) } });
      await waitFor(() => log.of('deals.date.reminder_due', deal.id).length === 1);
      expect(log.of('deals.date.reminder_due', deal.id)[0].data).toMatchObject({
        transactionId: deal.id,
        key: 'inspection',
        date: utcDate(3),
        offsetMinutes: 10080,
        agentId: org.agent1.userId,
      });
      let [inspection] = (await deals.rpc.call(D.keyDateList, { transactionId: deal.id }, org.agent1)).items;
      expect(inspection.reminders).toEqual([
        { offsetMinutes: 10080, remindAt: `${utcDate(-4)}T00:00:00.000Z`, sentAt: expect.any(String) },
        { offsetMinutes: 2880, remindAt: `${utcDate(1)}T00:00:00.000Z`, sentAt: null },
      ]);

      await deals.rpc.call(S.update, { id: deal.id, keyDates: { inspection: utcDate(10) } }, org.agent1);
      [inspection] = (await deals.rpc.call(D.keyDateList, { transactionId: deal.id }, org.agent1)).items;
      expect(inspection.reminders).toEqual([
        { offsetMinutes: 10080, remindAt: `${utcDate(3)}T00:00:00.000Z`, sentAt: null },
        { offsetMinutes: 2880, remindAt: `${utcDate(8)}T00:00:00.000Z`, sentAt: null },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(log.of('deals.date.reminder_due', deal.id)).toHaveLength(1);
    });

    it('raises deals.deadline.missed once for a passed date not done, never for one marked done', async () => {
      // Created lost (the job ignores deals that are not open), the inspection marked done, then reopened.
      const deal = await createTransaction(deals, org.agent1, {
        stage: 'lost',
        keyDates: { appraisal: '2020-01-02', inspection: utcDate(-1) },
      });
      const done = await deals.rpc.call(D.keyDateUpdate, { transactionId: deal.id, key: 'inspection', done: true }, org.agent1);
      expect(done.doneAt).toEqual(expect.any(String));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(log.of('deals.deadline.missed', deal.id)).toEqual([]);
      await expect(deals.rpc.call(S.update, { id: deal.id, stage: 'contacted' }, org.agent1)).resolves.toMatchObject({
        stage: 'contacted',
      });
      await waitFor(() => log.of('deals.deadline.missed', deal.id).some((event) => event.data.key === 'appraisal'));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const missed = log.of('deals.deadline.missed', deal.id);
      expect(missed).toHaveLength(1);
      expect(missed[0].data).toEqual({ transactionId: deal.id, key: 'appraisal', dueDate: '2020-01-02', agentId: org.agent1.userId });
      const items = (await deals.rpc.call(D.keyDateList, { transactionId: deal.id }, org.manager)).items;
      expect(items.find((item) => item.key === 'appraisal')!.missedAt).toEqual(expect.any(String));
      expect(await dealsOutboxTypes(deals, deal.id)).toContain('deals.key_date.completed');
    });
  });

  describe('invoices', () => {
    it('goes draft → sent → paid through partial payments, with totals and balances in cents, and refuses bad transitions', async () => {
      const deal = await createTransaction(deals, org.agent1);
      const owner = org.owner;
      const created = await deals.rpc.call(
        I.create,
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
        owner,
      );
      // 2 × 1,500.00 + 395.00 = 3,395.00
      expect(created).toMatchObject({
        status: 'draft',
        total: 339_500,
        paid: 0,
        balance: 339_500,
        agentId: org.agent1.userId,
        number: expect.stringMatching(/^INV-\d{6}$/),
      });
      const id = created.id;

      await expect(
        deals.rpc.call(I.paymentCreate, { invoiceId: id, amount: 1, paidOn: utcDate(0), method: 'check' }, owner),
      ).rejects.toMatchObject({ code: 'INVOICE_TRANSITION_INVALID' });
      const edited = await deals.rpc.call(
        I.update,
        { id, lineItems: [{ description: 'Commission', quantity: 3, unitAmount: 100_000 }] },
        owner,
      );
      expect(edited).toMatchObject({ total: 300_000, balance: 300_000 });
      expect(await deals.rpc.call(I.send, { id }, owner)).toMatchObject({ status: 'sent', sentAt: expect.any(String) });
      await expect(deals.rpc.call(I.send, { id }, owner)).rejects.toMatchObject({ kind: 'conflict' });
      await expect(deals.rpc.call(I.update, { id, notes: 'late edit' }, owner)).rejects.toMatchObject({ code: 'INVOICE_NOT_DRAFT' });

      const first = await deals.rpc.call(
        I.paymentCreate,
        { invoiceId: id, amount: 120_000, paidOn: utcDate(0), method: 'ach', reference: 'ACH-1' },
        owner,
      );
      expect(first).toMatchObject({ status: 'sent', paid: 120_000, balance: 180_000 });
      await expect(
        deals.rpc.call(I.paymentCreate, { invoiceId: id, amount: 180_001, paidOn: utcDate(0), method: 'wire' }, owner),
      ).rejects.toMatchObject({ kind: 'unprocessable', code: 'PAYMENT_EXCEEDS_BALANCE' });
      await expect(deals.rpc.call(I.void, { id }, owner)).rejects.toMatchObject({ code: 'INVOICE_HAS_PAYMENTS' });
      const last = await deals.rpc.call(
        I.paymentCreate,
        { invoiceId: id, amount: 180_000, paidOn: utcDate(0), method: 'check', reference: '1042' },
        owner,
      );
      expect(last).toMatchObject({ status: 'paid', paid: 300_000, balance: 0, paidAt: expect.any(String) });
      expect(last.payments.map((payment) => payment.amount)).toEqual([120_000, 180_000]);
      await expect(
        deals.rpc.call(I.paymentCreate, { invoiceId: id, amount: 1, paidOn: utcDate(0), method: 'check' }, owner),
      ).rejects.toMatchObject({ kind: 'conflict' });

      expect(await dealsOutboxTypes(deals, id)).toEqual([
        'deals.invoice.created',
        'deals.invoice.updated',
        'deals.invoice.sent',
        'deals.payment.recorded',
        'deals.payment.recorded',
        'deals.invoice.paid',
      ]);
    });

    it('marks a sent invoice past due overdue by the daily job, still payable; voids a draft once', async () => {
      const owner = org.owner;
      const deal = await createTransaction(deals, org.agent1);
      const late = await deals.rpc.call(
        I.create,
        {
          transactionId: deal.id,
          billTo: { name: 'Late Payer' },
          issueDate: '2026-01-01',
          dueDate: '2026-01-15',
          lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 50_000 }],
        },
        owner,
      );
      const future = await deals.rpc.call(
        I.create,
        {
          transactionId: deal.id,
          billTo: { name: 'On Time' },
          dueDate: utcDate(5),
          lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 50_000 }],
        },
        owner,
      );
      await deals.rpc.call(I.send, { id: late.id }, owner);
      await deals.rpc.call(I.send, { id: future.id }, owner);
      let status = '';
      const started = Date.now();
      while (status !== 'overdue' && Date.now() - started < 10_000) {
        status = (await deals.rpc.call(I.get, { id: late.id }, owner)).status;
        if (status !== 'overdue') await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(status).toBe('overdue');
      expect((await deals.rpc.call(I.get, { id: future.id }, owner)).status).toBe('sent');
      expect(await dealsOutboxTypes(deals, late.id)).toContain('deals.invoice.overdue');
      const paid = await deals.rpc.call(I.paymentCreate, { invoiceId: late.id, amount: 50_000, paidOn: utcDate(0), method: 'card' }, owner);
      expect(paid).toMatchObject({ status: 'paid', balance: 0 });

      const draft = await deals.rpc.call(
        I.create,
        { billTo: { name: 'Anyone' }, dueDate: utcDate(5), lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 1 }] },
        owner,
      );
      expect(await deals.rpc.call(I.void, { id: draft.id }, owner)).toMatchObject({ status: 'void', voidedAt: expect.any(String) });
      await expect(deals.rpc.call(I.void, { id: draft.id }, owner)).rejects.toMatchObject({ code: 'INVOICE_TRANSITION_INVALID' });
      expect(await dealsOutboxTypes(deals, draft.id)).toEqual(['deals.invoice.created', 'deals.invoice.voided']);
    });

    it('lets managers read their team’s invoices only; agents have no invoice access; other organizations see nothing', async () => {
      const owner = org.owner;
      const teamDeal = await createTransaction(deals, org.agent1);
      const outsideDeal = await createTransaction(deals, org.agent2);
      const body = (transactionId: string): InvoiceCreateRequest => ({
        transactionId,
        billTo: { name: 'X' },
        dueDate: utcDate(5),
        lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 100 }],
      });
      const team = await deals.rpc.call(I.create, body(teamDeal.id), owner);
      const outside = await deals.rpc.call(I.create, body(outsideDeal.id), owner);

      await expect(deals.rpc.call(I.get, { id: team.id }, org.manager)).resolves.toMatchObject({ id: team.id });
      await expect(deals.rpc.call(I.get, { id: outside.id }, org.manager)).rejects.toMatchObject({ kind: 'not_found' });
      const managerList = await deals.rpc.call(I.list, {}, org.manager);
      expect(managerList.items.map((item) => item.id)).toContain(team.id);
      expect(managerList.items.map((item) => item.id)).not.toContain(outside.id);
      await expect(deals.rpc.call(I.create, body(teamDeal.id), org.manager)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(deals.rpc.call(I.send, { id: team.id }, org.manager)).rejects.toMatchObject({ kind: 'forbidden' });

      for (const agent of [org.agent1, org.agent2]) {
        await expect(deals.rpc.call(I.get, { id: team.id }, agent)).rejects.toMatchObject({ kind: 'forbidden' });
        await expect(deals.rpc.call(I.list, {}, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      }
      await expect(deals.rpc.call(I.get, { id: team.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(I.send, { id: team.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(I.update, { id: team.id, notes: 'x' }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(I.void, { id: team.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(
        deals.rpc.call(I.paymentCreate, { invoiceId: team.id, amount: 1, paidOn: utcDate(0), method: 'ach' }, other),
      ).rejects.toMatchObject({ kind: 'not_found' });
      await expect(deals.rpc.call(I.create, body(teamDeal.id), other)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await deals.rpc.call(I.list, {}, other)).items).toEqual([]);
      const bad = await refusalOf(deals.rpc.call(I.create, { ...body(teamDeal.id), issueDate: utcDate(5), dueDate: utcDate(1) }, owner));
      expect(bad.kind).toBe('validation');
      expect(bad.errors![0].field).toBe('dueDate');
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
      const deal = await createTransaction(deals, org.agent1);
      const bytes = pdf(700 * 1024);
      const sha256 = sha256Hex(bytes);
      const uploaded = await uploadFile(deals, org.agent1, deal.id, { name: 'Purchase agreement.pdf', type: 'application/pdf', bytes });
      expect(uploaded).toMatchObject({
        name: 'Purchase agreement.pdf',
        contentType: 'application/pdf',
        size: bytes.length,
        sha256,
        uploadedBy: org.agent1.userId,
      });
      const fileId = uploaded.id;
      const ref = { transactionId: deal.id, fileId };

      const list = await deals.rpc.call(F.list, { transactionId: deal.id }, org.agent1);
      expect(list.items.map((item) => item.id)).toEqual([fileId]);
      for (const actor of [org.agent1, org.manager, org.owner]) {
        const got = await downloadFile(deals, actor, deal.id, fileId);
        expect(sha256Hex(got.bytes)).toBe(sha256);
        expect(got.file.contentType).toBe('application/pdf');
        expect(got.file.sha256).toBe(sha256);
      }
      // The local disk's URL is the gateway's signed, expiring route (issue 13 item 13; s3: a pre-signed URL, files-s3 spec).
      const signed = await deals.rpc.call(F.downloadUrl, ref, org.agent1);
      expect(signed.url).toMatch(new RegExp(`/v1/transactions/${deal.id}/files/${fileId}/signed\\?expires=\\d+&signature=[\\w-]+$`));
      expect(Date.parse(signed.expiresAt) - Date.now()).toBeGreaterThan(200_000);
      expect(Date.parse(signed.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
      for (const actor of [org.agent2, other]) {
        await expect(downloadFile(deals, actor, deal.id, fileId)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(deals.rpc.call(F.read, { ...ref, index: 0 }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(deals.rpc.call(F.list, { transactionId: deal.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(deals.rpc.call(F.downloadUrl, ref, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(deals.rpc.call(F.delete, ref, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(uploadFile(deals, actor, deal.id, { name: 'x.pdf', type: 'application/pdf', bytes: pdf(100) })).rejects.toMatchObject({
          kind: 'not_found',
        });
      }
      await expect(deals.rpc.call(F.delete, ref, org.agent1)).resolves.toBeNull();
      await expect(downloadFile(deals, org.agent1, deal.id, fileId)).rejects.toMatchObject({ kind: 'not_found' });
      expect(await dealsOutboxTypes(deals, deal.id)).toEqual(expect.arrayContaining(['deals.file.uploaded', 'deals.file.deleted']));
    });

    it('refuses types outside the list, content that is not the declared type, and files over the limit', async () => {
      const deal = await createTransaction(deals, org.agent1);
      const agent = org.agent1;
      await expect(
        uploadFile(deals, agent, deal.id, { name: 'notes.txt', type: 'text/plain', bytes: Buffer.from('hello') }),
      ).rejects.toMatchObject({ kind: 'validation', code: 'FILE_TYPE_NOT_ALLOWED' });
      await expect(
        uploadFile(deals, agent, deal.id, { name: 'script.pdf', type: 'application/pdf', bytes: Buffer.from('#!/bin/sh\necho hi\n') }),
      ).rejects.toMatchObject({ kind: 'validation', code: 'FILE_TYPE_NOT_ALLOWED' });
      await expect(
        uploadFile(deals, agent, deal.id, { name: 'big.pdf', type: 'application/pdf', bytes: pdf(1_536 * 1024 + 1) }),
      ).rejects.toMatchObject({ kind: 'payload_too_large', code: 'FILE_TOO_LARGE' });
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
      await expect(uploadFile(deals, agent, deal.id, { name: 'photo.png', type: 'image/png', bytes: png })).resolves.toMatchObject({
        contentType: 'image/png',
      });
      expect((await deals.rpc.call(F.list, { transactionId: deal.id }, agent)).items).toHaveLength(1);
    });
  });
});
