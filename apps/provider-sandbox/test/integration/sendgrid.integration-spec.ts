import { createPublicKey, verify } from 'node:crypto';
import { Client } from '@sendgrid/client';
import { MailService } from '@sendgrid/mail';
import { waitFor } from '@keyhouse/testing';
import { startSandbox, type StartedSandbox } from '../support/provider-sandbox.fixture';
import { startWebhookListener } from '../support/webhook-listener.fixture';

// SendGrid's published Event Webhook verification key (sendgrid-nodejs eventwebhook.spec.js), which
// the sandbox's default test signing key pairs with.
const SENDGRID_PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';

function verifies(headers: Record<string, string | string[] | undefined>, rawBody: string): boolean {
  const signature = String(headers['x-twilio-email-event-webhook-signature']);
  const timestamp = String(headers['x-twilio-email-event-webhook-timestamp']);
  const key = createPublicKey({ key: Buffer.from(SENDGRID_PUBLIC_KEY, 'base64'), format: 'der', type: 'spki' });
  return verify('sha256', Buffer.from(timestamp + rawBody), key, Buffer.from(signature, 'base64'));
}

/** The real SDK, pointed at the sandbox: baseUrl must be set after setApiKey (which resets it). */
function mailerFor(sandboxUrl: string, apiKey = 'SG.sandbox-test-key'): MailService {
  const client = new Client();
  client.setApiKey(apiKey);
  client.setDefaultRequest('baseUrl', `${sandboxUrl}/`);
  const mailer = new MailService();
  mailer.setClient(client);
  return mailer;
}

const MAIL = {
  to: 'buyer@example.com',
  from: 'agent@keyhouse.example',
  subject: 'Your showing',
  text: 'See you at 10.',
  categories: ['showing'],
  customArgs: { notification_id: 'n-1', organization_id: 'org-1' },
};

describe('provider sandbox: SendGrid through @sendgrid/mail', () => {
  let sandbox: StartedSandbox;
  let listener: Awaited<ReturnType<typeof startWebhookListener>>;

  beforeAll(async () => {
    listener = await startWebhookListener();
    sandbox = await startSandbox({ autoEventDelayMs: 10, webhookBackoffMs: 10 });
  });
  afterAll(async () => {
    await sandbox.close();
    await listener.close();
  });
  beforeEach(async () => {
    await sandbox.api.reset();
    await sandbox.api.updateSettings({
      sendgridEventsUrl: `${listener.url}/webhooks/sendgrid`,
      autoEventDelayMs: 10,
      webhookBackoffMs: 10,
    });
    listener.received.length = 0;
  });

  it('answers 202 with X-Message-Id and records the message under the API key', async () => {
    const [response] = await mailerFor(sandbox.url).send(MAIL);

    expect(response.statusCode).toBe(202);
    const messageId = response.headers['x-message-id'] as string;
    expect(messageId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const [recorded] = await sandbox.api.sendgridMessages({ to: 'buyer@example.com' });
    expect(recorded).toMatchObject({ messageId, apiKey: 'SG.sandbox-test-key', from: 'agent@keyhouse.example', subject: 'Your showing' });
    expect(await sandbox.api.sendgridMessages({ apiKey: 'SG.other' })).toEqual([]);
  });

  it('posts signed processed and delivered batches carrying custom_args as top-level keys', async () => {
    const [response] = await mailerFor(sandbox.url).send(MAIL);
    const messageId = response.headers['x-message-id'] as string;

    // Only this message's batches: a webhook of the previous test's message may still be in flight.
    const ours = () => listener.received.filter((request) => request.rawBody.includes(messageId));
    await waitFor(() => ours().length >= 2);
    const batches = ours().map((request) => JSON.parse(request.rawBody) as Array<Record<string, unknown>>);
    expect(batches.map((batch) => batch.map((event) => event.event))).toEqual([['processed'], ['delivered']]);
    for (const request of ours()) {
      expect(request.path).toBe('/webhooks/sendgrid');
      expect(verifies(request.headers, request.rawBody)).toBe(true);
      expect(verifies(request.headers, request.rawBody.replace('buyer', 'b0yer'))).toBe(false);
    }
    const [processed, delivered] = batches.map((batch) => batch[0]);
    expect(processed).toMatchObject({ email: 'buyer@example.com', notification_id: 'n-1', organization_id: 'org-1', category: 'showing' });
    expect(String(processed.sg_message_id).startsWith(`${messageId}.filter`)).toBe(true);
    expect(processed.sg_event_id).not.toBe(delivered.sg_event_id);
    expect(Number.isInteger(processed.timestamp)).toBe(true);
  });

  it('posts a chosen event for a recorded message, and the webhook log shows it', async () => {
    await sandbox.api.updateSettings({ autoEvents: false });
    const [response] = await mailerFor(sandbox.url).send(MAIL);
    const messageId = response.headers['x-message-id'] as string;

    const result = await sandbox.api.sendgridEvent({ messageId, event: 'click', url: 'https://keyhouse.example/listing/1' });

    expect(result.webhook).toMatchObject({ kind: 'sendgrid.events', statusCode: 200, delivered: true, attempts: 1 });
    const [request] = listener.received;
    expect(verifies(request.headers, request.rawBody)).toBe(true);
    expect(JSON.parse(request.rawBody)).toEqual([
      expect.objectContaining({ event: 'click', url: 'https://keyhouse.example/listing/1', notification_id: 'n-1' }),
    ]);
    const bounce = await sandbox.api.sendgridEvent({ messageId, event: 'blocked' });
    expect(bounce.events[0]).toMatchObject({ event: 'bounce', type: 'blocked' });
    expect(await sandbox.api.webhooks({ kind: 'sendgrid.events' })).toHaveLength(2);
  });

  it('retries a webhook the receiver refuses, with the same body signed again', async () => {
    await sandbox.api.updateSettings({ autoEvents: false });
    const [response] = await mailerFor(sandbox.url).send(MAIL);
    listener.failNext(500, 503);

    const result = await sandbox.api.sendgridEvent({ messageId: response.headers['x-message-id'] as string, event: 'open' });

    expect(result.webhook).toMatchObject({ attempts: 3, statusCode: 200, delivered: true });
    expect(listener.received).toHaveLength(3);
    expect(new Set(listener.received.map((request) => request.rawBody)).size).toBe(1);
    expect(listener.received.every((request) => verifies(request.headers, request.rawBody))).toBe(true);
  });

  it("surfaces SendGrid's 400 body through the SDK's ResponseError", async () => {
    const categories = Array.from({ length: 11 }, (_, index) => `c${index}`);

    const error = await mailerFor(sandbox.url)
      .send({ ...MAIL, categories })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 400 });
    const body = (error as { response: { body: { errors: Array<{ field: string; message: string }> } } }).response.body;
    expect(body.errors).toEqual([
      expect.objectContaining({ field: 'categories', message: expect.stringContaining('Too many categories') }),
    ]);
    expect(await sandbox.api.sendgridMessages()).toEqual([]);
  });

  it('refuses a send without a key (401) and checks the body like mail_send (400 with fields)', async () => {
    const unauthenticated = await fetch(`${sandbox.url}/v3/mail/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toEqual({ errors: [{ field: null, message: 'authorization required', help: null }] });

    const response = await fetch(`${sandbox.url}/v3/mail/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer SG.x' },
      body: JSON.stringify({
        personalizations: [{ to: [{ email: 'not-an-address' }], custom_args: { big: 'x'.repeat(10_001) } }],
        from: { email: 'John Doe' },
      }),
    });
    expect(response.status).toBe(400);
    const { errors } = (await response.json()) as { errors: Array<{ field: string; help: string }> };
    expect(errors.map((entry) => entry.field).sort()).toEqual(
      ['content', 'from', 'personalizations.0.custom_args', 'personalizations.0.to.0.email', 'subject'].sort(),
    );
  });

  it('answers an injected 429 with rate-limit headers, then accepts again', async () => {
    await sandbox.api.injectFault({ provider: 'sendgrid', status: 429, count: 1, retryAfterSeconds: 2 });
    const mailer = mailerFor(sandbox.url);

    const error = (await mailer.send(MAIL).catch((caught: unknown) => caught)) as {
      code: number;
      response: { headers: Record<string, string>; body: unknown };
    };

    expect(error.code).toBe(429);
    expect(error.response.headers['retry-after']).toBe('2');
    expect(error.response.headers['x-ratelimit-remaining']).toBe('0');
    expect(error.response.body).toEqual({ errors: [{ field: null, message: 'too many requests', help: null }] });
    const [response] = await mailer.send(MAIL);
    expect(response.statusCode).toBe(202);
  });
});
