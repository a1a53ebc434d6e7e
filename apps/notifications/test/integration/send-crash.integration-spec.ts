import type { Producer } from 'kafkajs';
import type { NatsConnection } from 'nats';
import { NotificationsSubjects, type CloudEvent } from '@keyhouse/contracts';
import { loadConfig, platformEnv } from '@keyhouse/platform/config';
import { cloudEventHeaders, connectNats, createKafka, createProducer, RpcClient } from '@keyhouse/platform/messaging';
import {
  createTestIsolation,
  freePort,
  serviceProcess,
  serviceSupervisor,
  waitFor,
  waitUntilReady,
  type TestIsolation,
} from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startSandbox, type StartedSandbox } from '../../../provider-sandbox/test/support/provider-sandbox.fixture';
import { assignedLeadEvents, type AssignedLeadEvents } from '../support/assigned-lead.fixture';
import { notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';
import { startSendgridForwarder } from '../support/sendgrid-forwarder.fixture';

const ACCOUNT_SID = `AC${'d'.repeat(32)}`;
const AUTH_TOKEN = 'send-crash-spec-token';
const FROM_NUMBER = '+15005550006';
const LEADS = 6;

interface DeliveryRow {
  id: string;
  channel: 'email' | 'sms';
  status: string;
  reason: string | null;
  provider_message_id: string | null;
  to_address: string | null;
  send_started_at: Date | null;
  recipient_user_id: string;
}

/**
 * Issue 14: the notifications worker is killed (SIGKILL) while email and SMS sends are in flight —
 * the provider sandbox has accepted and recorded them but answers only 2 s later — and
 * `deploy/supervisor.js` starts it again. The property is exactly-once AT THE PROVIDER: every
 * notification's email reaches the sandbox once (its deliveryId in the custom args) and its SMS
 * once (to the agent's number), and every delivery ends sent or delivered. How: the job claims a
 * send before calling the provider; the re-run of the killed job (Bull's stalled-job recovery)
 * finds the claim and moves the delivery to `unknown` instead of sending again; the email's
 * SendGrid events (posted by the sandbox and retried until the restarted service takes them, as
 * SendGrid retries) name the delivery and settle it, and the reconcile finds the SMS at Twilio
 * (`messages.list`) and records its SID. An email whose events never came within the grace would
 * be resent once (docs/adr/0035): not what this run does, and it would fail the count.
 */
describe('kill -9 of the notifications worker mid-send: each notification reaches the provider once', () => {
  const supervisor = serviceSupervisor();
  let isolation: TestIsolation;
  let sandbox: StartedSandbox;
  let forwarder: Awaited<ReturnType<typeof startSendgridForwarder>>;
  let db: NotificationsDatabase;
  let nats: NatsConnection;
  let producer: Producer;
  let topicPrefix: string;
  let healthUrl: string;

  beforeAll(async () => {
    isolation = await createTestIsolation();
    const platform = loadConfig(platformEnv, isolation.env);
    topicPrefix = platform.KAFKA_TOPIC_PREFIX;
    const natsOptions = {
      serviceName: 'send-crash-spec',
      servers: platform.NATS_URL,
      subjectPrefix: platform.NATS_SUBJECT_PREFIX,
      requestTimeoutMs: 5_000,
    };
    nats = await connectNats(natsOptions);
    const rpc = new RpcClient(nats, natsOptions);
    producer = createProducer(createKafka({ clientId: 'send-crash-spec', brokers: platform.KAFKA_BROKERS, topicPrefix }));
    await producer.connect();
    forwarder = await startSendgridForwarder((request) =>
      rpc.request(NotificationsSubjects.sendgridEvents, { actor: null, requestId: newId(), data: request }),
    );
    sandbox = await startSandbox({
      twilioAuthToken: AUTH_TOKEN,
      autoEvents: true,
      // SendGrid's events come 3 s after a send: those of the send cut by the kill reach a dead service first.
      autoEventDelayMs: 3_000,
      sendgridEventsUrl: forwarder.url,
      // SendGrid retries a batch it could not deliver; 10 attempts from 500 ms, doubling, outlast the restart.
      webhookAttempts: 10,
      webhookBackoffMs: 500,
      sendgridResponseDelayMs: 2_000,
      twilioResponseDelayMs: 2_000,
    });
    const healthPort = await freePort();
    healthUrl = `http://127.0.0.1:${healthPort}/health/ready`;
    const env: NodeJS.ProcessEnv = {
      ...isolation.env,
      HEALTH_PORT: String(healthPort),
      SENDGRID_API_KEY: 'SG.send-crash-spec',
      SENDGRID_BASE_URL: sandbox.url,
      SENDGRID_TIMEOUT_MS: '20000',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_BASE_URL: sandbox.url,
      TWILIO_FROM_NUMBER: FROM_NUMBER,
      TWILIO_TIMEOUT_MS: '20000',
      NOTIFICATIONS_RECONCILE_GRACE_MS: '20000',
      NOTIFICATIONS_RECONCILE_EVERY_MS: '2000',
    };
    supervisor.start('notifications', () => serviceProcess('notifications', 'startNotifications', env));
    await waitUntilReady(healthUrl, 120_000);
    db = await notificationsDatabase({ env: isolation.env, isolation });
  }, 180_000);

  afterAll(async () => {
    supervisor.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await db?.end();
    await producer?.disconnect().catch(() => undefined);
    if (nats && !nats.isClosed()) await nats.drain().catch(() => nats.close());
    await forwarder?.close();
    await sandbox?.close();
    await isolation?.drop();
  });

  async function publish(topic: string, events: CloudEvent[]): Promise<void> {
    await producer.send({
      topic: `${topicPrefix}${topic}`,
      acks: -1,
      messages: events.map((event) => ({ key: event.subject, value: JSON.stringify(event), headers: cloudEventHeaders(event) })),
    });
  }

  const deliveries = () =>
    db.query<DeliveryRow>(
      `SELECT d.id, d.channel, d.status, d.reason, d.provider_message_id, d.to_address, d.send_started_at, n.recipient_user_id
         FROM delivery d JOIN notification n ON n.id = d.notification_id
        WHERE d.channel IN ('email', 'sms') ORDER BY d.created_at`,
    );

  it('sends every email and SMS exactly once across the kill and the restart', async () => {
    const leads: AssignedLeadEvents[] = Array.from({ length: LEADS }, (_, index) => assignedLeadEvents(`+1555867${4100 + index}`));
    await publish(
      'identity.events',
      leads.map((lead) => lead.userCreated),
    );
    await waitFor(async () => (await db.query('SELECT 1 FROM recipient')).length === LEADS, 60_000);
    await publish(
      'crm.events',
      leads.map((lead) => lead.contactAssigned),
    );

    // Kill while both channels wait for an answer: the sandbox has recorded a second message of each
    // (it answers 2 s after recording, and each channel's worker sends one at a time).
    await waitFor(async () => {
      const [emails, sms] = await Promise.all([sandbox.api.sendgridMessages(), sandbox.api.twilioMessages()]);
      return emails.length >= 2 && sms.length >= 2;
    }, 60_000);
    const killed = supervisor.child('notifications')!;
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.once('exit', resolve));
    const inFlight = (await deliveries()).filter((row) => row.status === 'queued' && row.send_started_at !== null);
    // The kill did interrupt sends the provider had accepted: one claimed, unanswered delivery per channel.
    expect(inFlight.map((row) => row.channel).sort()).toEqual(['email', 'sms']);
    await sandbox.api.updateSettings({ sendgridResponseDelayMs: 0, twilioResponseDelayMs: 0 });

    await waitUntilReady(healthUrl, 120_000);
    expect(supervisor.restarts('notifications')).toBe(1);
    await waitFor(async () => {
      const rows = await deliveries();
      return rows.length === 2 * LEADS && rows.every((row) => row.status === 'sent' || row.status === 'delivered');
    }, 180_000);

    const rows = await deliveries();
    const emails = await sandbox.api.sendgridMessages();
    const sms = await sandbox.api.twilioMessages();
    for (const lead of leads) {
      const email = rows.find((row) => row.recipient_user_id === lead.agentId && row.channel === 'email')!;
      const text = rows.find((row) => row.recipient_user_id === lead.agentId && row.channel === 'sms')!;
      expect(emails.filter((message) => message.recipients.some((recipient) => recipient.customArgs.deliveryId === email.id))).toHaveLength(
        1,
      );
      const toPhone = sms.filter((message) => message.to === lead.phone);
      expect(toPhone).toHaveLength(1);
      expect(text.provider_message_id).toBe(toPhone[0].sid);
    }
    expect(emails).toHaveLength(LEADS);
    expect(sms).toHaveLength(LEADS);
    // The interrupted SMS went through `unknown` and was found at Twilio, not resent.
    const interruptedSms = inFlight.find((row) => row.channel === 'sms')!;
    const [history] = await db.query<{ moves: string[] }>(
      `SELECT array_agg((payload->'data'->>'from') || '>' || (payload->'data'->>'to') ORDER BY seq) AS moves
         FROM outbox_event WHERE event_type = 'notifications.delivery.status_changed' AND message_key = $1`,
      [interruptedSms.id],
    );
    expect(history.moves[0]).toBe('queued>unknown');
  }, 420_000);
});
