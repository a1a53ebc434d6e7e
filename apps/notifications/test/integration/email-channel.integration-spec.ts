import { startService, type TestService } from '@keyhouse/testing';
import { startProviderSandbox, type RunningProviderSandbox } from '../../../provider-sandbox/src/main';
import { startNotifications } from '../../src/main';
import { assignLeadAndWaitForEmail, notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';

interface SandboxMessage {
  messageId: string;
  apiKey: string;
  from: string;
  subject: string | null;
  categories: string[];
  recipients: Array<{ email: string; customArgs: Record<string, string> }>;
  request: { content?: Array<{ type: string; value: string }> };
}

const API_KEY = 'SG.keyhouse-test-key';

/** The email channel with the real SDK (`@sendgrid/mail`) against the provider sandbox (apps/provider-sandbox). */
describe('notifications: email through SendGrid (the provider sandbox)', () => {
  let sandbox: RunningProviderSandbox;
  let svc: TestService;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    sandbox = await startProviderSandbox({ port: 0, settings: { autoEvents: false } });
    svc = await startService(startNotifications, {
      SENDGRID_API_KEY: API_KEY,
      SENDGRID_BASE_URL: sandbox.url,
      SENDGRID_RETRY_DELAY_MS: '50',
    });
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
    await sandbox?.close();
  });

  async function messagesTo(email: string): Promise<SandboxMessage[]> {
    const response = await fetch(`${sandbox.url}/sandbox/sendgrid/messages?to=${encodeURIComponent(email)}`);
    return (await response.json()) as SandboxMessage[];
  }

  async function fault(status: number, count = 1): Promise<void> {
    const response = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'sendgrid', status, count }),
    });
    expect(response.status).toBe(201);
  }

  const assignLead = () => assignLeadAndWaitForEmail(svc, db);

  it('sends with custom_args, the category and the default sender, and stores the X-Message-Id', async () => {
    const { email, notificationId, delivery } = await assignLead();
    expect(delivery).toMatchObject({ status: 'sent', reason: null, attempts: 1, to: email });
    const messages = await messagesTo(email);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      messageId: delivery.providerMessageId,
      apiKey: API_KEY,
      from: 'notifications@keyhouse.test',
      subject: 'New lead assigned to you',
      categories: ['lead_assigned'],
      recipients: [{ email, customArgs: { notificationId, deliveryId: delivery.id } }],
    });
    expect(messages[0].request.content?.map((part) => part.type)).toEqual(['text/plain', 'text/html']);
  });

  it('retries a 503 with backoff and sends once', async () => {
    await fault(503);
    const { email, delivery } = await assignLead();
    expect(delivery).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await messagesTo(email)).toHaveLength(1);
  });

  it('records a 400 as failed with PROVIDER_REJECTED and does not resend it', async () => {
    await fault(400);
    const { email, delivery } = await assignLead();
    expect(delivery).toMatchObject({ status: 'failed', reason: 'PROVIDER_REJECTED', attempts: 1, providerMessageId: null });
    expect(await messagesTo(email)).toEqual([]);
  });
});
