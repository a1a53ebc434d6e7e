import { NotificationsSubjects } from '@keyhouse/contracts';
import { startService, waitFor, type TestService } from '@keyhouse/testing';
import { startSandbox, type StartedSandbox } from '../../../provider-sandbox/test/support/provider-sandbox.fixture';
import { startNotifications } from '../../src/main';
import { DeliveryReconcileJob } from '../../src/modules/reconcile/delivery-reconcile.job';
import { assignedLeadEvents, type AssignedLeadEvents } from '../support/assigned-lead.fixture';
import { notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';
import { startSendgridForwarder } from '../support/sendgrid-forwarder.fixture';

const ACCOUNT_SID = `AC${'c'.repeat(32)}`;
const AUTH_TOKEN = 'reconcile-spec-token';
const FROM_NUMBER = '+15005550006';

interface DeliveryRow {
  id: string;
  status: string;
  reason: string | null;
  provider_message_id: string | null;
  attempts: number;
  reconcile_attempts: number;
}

/**
 * The reconcile of `unknown` sends (docs/adr/0035 "Reconcile of unknown sends") against the
 * provider sandbox through the real SDKs: a send whose answer never came (the sandbox accepts and
 * records it, then answers after the client's timeout) is `unknown`; after the grace an SMS is
 * looked up at Twilio (found → recorded, never resent), an email is resent once with the same
 * custom args, and a resend that is unknown too ends `failed` `PROVIDER_OUTCOME_UNRESOLVED`.
 * The repeatable job's schedule is an hour here: each test runs the job itself.
 */
describe('notifications: reconcile of unknown sends', () => {
  let sandbox: StartedSandbox;
  let forwarder: Awaited<ReturnType<typeof startSendgridForwarder>>;
  let svc: TestService<Awaited<ReturnType<typeof startNotifications>>>;
  let db: NotificationsDatabase;
  let job: DeliveryReconcileJob;

  beforeAll(async () => {
    sandbox = await startSandbox({ autoEvents: false, twilioAuthToken: AUTH_TOKEN });
    svc = await startService(startNotifications, {
      SENDGRID_API_KEY: 'SG.reconcile-spec',
      SENDGRID_BASE_URL: sandbox.url,
      SENDGRID_TIMEOUT_MS: '300',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_BASE_URL: sandbox.url,
      TWILIO_FROM_NUMBER: FROM_NUMBER,
      TWILIO_TIMEOUT_MS: '300',
      NOTIFICATIONS_RECONCILE_GRACE_MS: '1000',
      NOTIFICATIONS_RECONCILE_EVERY_MS: '3600000',
    });
    db = await notificationsDatabase(svc);
    job = svc.app.get(DeliveryReconcileJob);
    forwarder = await startSendgridForwarder((request) => svc.rpc.call(NotificationsSubjects.sendgridEvents, request));
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
    await forwarder?.close();
    await sandbox?.close();
  });

  beforeEach(async () => {
    await sandbox.api.updateSettings({
      autoEvents: false,
      sendgridResponseDelayMs: 0,
      twilioResponseDelayMs: 0,
      sendgridEventsUrl: null,
    });
  });

  async function delivery(notificationOf: AssignedLeadEvents, channel: 'email' | 'sms'): Promise<DeliveryRow | undefined> {
    const [row] = await db.query<DeliveryRow>(
      `SELECT d.id, d.status, d.reason, d.provider_message_id, d.attempts, d.reconcile_attempts
         FROM delivery d JOIN notification n ON n.id = d.notification_id
        WHERE n.recipient_user_id = $1 AND d.channel = $2`,
      [notificationOf.agentId, channel],
    );
    return row;
  }

  /** Publishes a lead for a new agent and waits until its `channel` delivery has left `queued`. */
  async function assignLead(channel: 'email' | 'sms'): Promise<{ lead: AssignedLeadEvents; row: DeliveryRow }> {
    const lead = assignedLeadEvents(channel === 'sms' ? `+1555867${String(Math.floor(Math.random() * 9000) + 1000)}` : null);
    await svc.publish('identity.events', [lead.userCreated]);
    await waitFor(async () => (await db.query('SELECT 1 FROM recipient WHERE user_id = $1', [lead.agentId])).length === 1);
    await svc.publish('crm.events', [lead.contactAssigned]);
    let row: DeliveryRow | undefined;
    await waitFor(async () => {
      row = await delivery(lead, channel);
      return row !== undefined && row.status !== 'queued';
    });
    return { lead, row: row! };
  }

  /** Runs the reconcile until the delivery of `lead` on `channel` satisfies `done` (the grace must pass first). */
  async function reconcileUntil(lead: AssignedLeadEvents, channel: 'email' | 'sms', done: (row: DeliveryRow) => boolean) {
    let row: DeliveryRow | undefined;
    await waitFor(async () => {
      await job.reconcile();
      row = await delivery(lead, channel);
      return row !== undefined && done(row);
    });
    return row!;
  }

  it('finds an SMS Twilio accepted but never answered for, records its SID, and does not send it again', async () => {
    await sandbox.api.updateSettings({ twilioResponseDelayMs: 1_500 });
    const { lead, row } = await assignLead('sms');
    expect(row).toMatchObject({ status: 'unknown', reason: 'PROVIDER_OUTCOME_UNKNOWN', provider_message_id: null, attempts: 1 });
    const [atTwilio] = await sandbox.api.twilioMessages({ to: lead.phone! });

    const settled = await reconcileUntil(lead, 'sms', (current) => current.status !== 'unknown');

    expect(settled).toMatchObject({ status: 'sent', provider_message_id: atTwilio.sid, attempts: 1, reconcile_attempts: 0 });
    // One more run changes nothing, and Twilio still holds exactly the one message.
    await job.reconcile();
    expect(await delivery(lead, 'sms')).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await sandbox.api.twilioMessages({ to: lead.phone! })).toHaveLength(1);
  });

  it('resends an SMS Twilio does not hold exactly once', async () => {
    await sandbox.api.updateSettings({ twilioResponseDelayMs: 1_500 });
    const { lead, row } = await assignLead('sms');
    expect(row.status).toBe('unknown');
    // Twilio lost it: the sandbox forgets everything it received.
    await sandbox.api.reset();
    await sandbox.api.updateSettings({ autoEvents: false, twilioAuthToken: AUTH_TOKEN });

    const settled = await reconcileUntil(lead, 'sms', (current) => current.status === 'sent');

    const messages = await sandbox.api.twilioMessages({ to: lead.phone! });
    expect(messages).toHaveLength(1);
    expect(settled).toMatchObject({ provider_message_id: messages[0].sid, attempts: 2, reconcile_attempts: 1 });
    await job.reconcile();
    await job.reconcile();
    expect(await sandbox.api.twilioMessages({ to: lead.phone! })).toHaveLength(1);
  });

  it('leaves an email settled by its late processed event alone', async () => {
    await sandbox.api.updateSettings({ sendgridResponseDelayMs: 1_500 });
    const { lead, row } = await assignLead('email');
    expect(row).toMatchObject({ status: 'unknown', provider_message_id: null });
    const [accepted] = await sandbox.api.sendgridMessages({ to: lead.email });
    await sandbox.api.updateSettings({ sendgridEventsUrl: forwarder.url });

    // SendGrid's processed event names our deliveryId (custom args): it settles the delivery by itself.
    await sandbox.api.sendgridEvent({ messageId: accepted.messageId, event: 'processed' });
    await waitFor(async () => (await delivery(lead, 'email'))?.status === 'sent');
    await job.reconcile();

    expect(await delivery(lead, 'email')).toMatchObject({ status: 'sent', reconcile_attempts: 0, attempts: 1 });
    expect(await sandbox.api.sendgridMessages({ to: lead.email })).toHaveLength(1);
  });

  it('resends an email still unknown after the grace once, with the same custom args, then fails it PROVIDER_OUTCOME_UNRESOLVED', async () => {
    await sandbox.api.updateSettings({ sendgridResponseDelayMs: 1_500 });
    const { lead, row } = await assignLead('email');
    expect(row.status).toBe('unknown');

    // The resend is unknown too (the sandbox still answers late): the reconcile gives up on it.
    const settled = await reconcileUntil(lead, 'email', (current) => current.status === 'failed');

    expect(settled).toMatchObject({ reason: 'PROVIDER_OUTCOME_UNRESOLVED', attempts: 2, reconcile_attempts: 1 });
    const messages = await sandbox.api.sendgridMessages({ to: lead.email });
    expect(messages).toHaveLength(2);
    expect(messages.map((message) => message.recipients[0].customArgs)).toEqual([
      messages[0].recipients[0].customArgs,
      messages[0].recipients[0].customArgs,
    ]);
    expect(messages[0].recipients[0].customArgs.deliveryId).toBe(row.id);
    await job.reconcile();
    expect(await sandbox.api.sendgridMessages({ to: lead.email })).toHaveLength(2);
  });

  it('a resend that gets an answer records sent with its X-Message-Id', async () => {
    await sandbox.api.updateSettings({ sendgridResponseDelayMs: 1_500 });
    const { lead, row } = await assignLead('email');
    expect(row.status).toBe('unknown');
    await sandbox.api.updateSettings({ sendgridResponseDelayMs: 0 });

    const settled = await reconcileUntil(lead, 'email', (current) => current.status === 'sent');

    const messages = await sandbox.api.sendgridMessages({ to: lead.email });
    expect(messages).toHaveLength(2);
    expect(settled).toMatchObject({ provider_message_id: messages[1].messageId, attempts: 2, reconcile_attempts: 1 });
  });
});
