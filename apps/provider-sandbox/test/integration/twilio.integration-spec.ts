import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { waitFor } from '@keyhouse/testing';
import { startSandbox, type StartedSandbox } from '../support/provider-sandbox.fixture';
import { startWebhookListener } from '../support/webhook-listener.fixture';

const ACCOUNT_SID = `AC${'a'.repeat(32)}`;
const AUTH_TOKEN = 'twilio-spec-token';
const OUR_NUMBER = '+15017122661';
const BUYER = '+15558675310';

/**
 * The real twilio 5 SDK pointed at the sandbox: a RequestClient (the SDK's `httpClient` option)
 * that rewrites https://api.twilio.com to the sandbox's URL; everything else is the SDK's own path.
 */
function twilioFor(sandboxUrl: string, token = AUTH_TOKEN) {
  class SandboxRequestClient extends twilio.RequestClient {
    override request<TData>(options: RequestClient.RequestOptions<TData>) {
      return super.request<TData>({ ...options, uri: options.uri.replace(/^https:\/\/api\.twilio\.com/, sandboxUrl) });
    }
  }
  return twilio(ACCOUNT_SID, token, { httpClient: new SandboxRequestClient() });
}

function form(rawBody: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody));
}

describe('provider sandbox: Twilio through the twilio SDK', () => {
  let sandbox: StartedSandbox;
  let listener: Awaited<ReturnType<typeof startWebhookListener>>;

  beforeAll(async () => {
    listener = await startWebhookListener();
    sandbox = await startSandbox({ twilioAuthToken: AUTH_TOKEN });
  });
  afterAll(async () => {
    await sandbox.close();
    await listener.close();
  });
  beforeEach(async () => {
    await sandbox.api.reset();
    await sandbox.api.updateSettings({
      twilioInboundUrl: `${listener.url}/webhooks/twilio/sms`,
      autoEventDelayMs: 10,
      webhookBackoffMs: 10,
    });
    listener.received.length = 0;
  });

  it('creates a queued message (201) and posts signed sent then delivered callbacks', async () => {
    const statusCallback = `${listener.url}/webhooks/twilio/status?tenant=org-1`;

    const message = await twilioFor(sandbox.url).messages.create({ to: BUYER, from: OUR_NUMBER, body: 'Showing at 10?', statusCallback });

    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message).toMatchObject({ status: 'queued', to: BUYER, from: OUR_NUMBER, accountSid: ACCOUNT_SID, numSegments: '1' });
    await waitFor(() => listener.received.length >= 2);
    const callbacks = listener.received.map((request) => form(request.rawBody));
    expect(callbacks.map((params) => params.MessageStatus)).toEqual(['sent', 'delivered']);
    expect(callbacks[1]).toMatchObject({
      MessageSid: message.sid,
      SmsSid: message.sid,
      SmsStatus: 'delivered',
      AccountSid: ACCOUNT_SID,
      From: OUR_NUMBER,
      To: BUYER,
      ApiVersion: '2010-04-01',
    });
    expect(callbacks[1].RawDlrDoneDate).toMatch(/^\d{10}$/);
    for (const request of listener.received) {
      const signature = String(request.headers['x-twilio-signature']);
      expect(twilio.validateRequest(AUTH_TOKEN, signature, statusCallback, form(request.rawBody))).toBe(true);
      expect(twilio.validateRequest('another-token', signature, statusCallback, form(request.rawBody))).toBe(false);
    }
    const [recorded] = await sandbox.api.twilioMessages({ to: BUYER });
    expect(recorded).toMatchObject({ sid: message.sid, status: 'delivered', statuses: ['queued', 'sent', 'delivered'] });
    const fetched = await twilioFor(sandbox.url).messages(message.sid).fetch();
    expect(fetched.status).toBe('delivered');
  });

  it('posts a chosen status with its ErrorCode', async () => {
    await sandbox.api.updateSettings({ autoEvents: false });
    const statusCallback = `${listener.url}/webhooks/twilio/status`;
    const message = await twilioFor(sandbox.url).messages.create({ to: BUYER, from: OUR_NUMBER, body: 'Hi', statusCallback });

    const result = await sandbox.api.twilioStatus({ sid: message.sid, status: 'undelivered', errorCode: 30006 });

    expect(result.webhook).toMatchObject({ kind: 'twilio.status', statusCode: 200, delivered: true });
    const params = form(listener.received[0].rawBody);
    expect(params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30006' });
    expect(twilio.validateRequest(AUTH_TOKEN, String(listener.received[0].headers['x-twilio-signature']), statusCallback, params)).toBe(
      true,
    );
  });

  it('refuses with 21610 after the recipient texts STOP, and sends again after START', async () => {
    const client = twilioFor(sandbox.url);

    const inbound = await sandbox.api.twilioInbound({ from: BUYER, to: OUR_NUMBER, body: 'stop' });

    expect(inbound.params).toMatchObject({
      OptOutType: 'STOP',
      Body: 'stop',
      NumMedia: '0',
      NumSegments: '1',
      From: BUYER,
      To: OUR_NUMBER,
    });
    expect(inbound.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    const [request] = listener.received;
    expect(request.path).toBe('/webhooks/twilio/sms');
    expect(
      twilio.validateRequest(
        AUTH_TOKEN,
        String(request.headers['x-twilio-signature']),
        `${listener.url}/webhooks/twilio/sms`,
        form(request.rawBody),
      ),
    ).toBe(true);
    const refused = await client.messages.create({ to: BUYER, from: OUR_NUMBER, body: 'Still there?' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 400, code: 21610 });
    expect(await sandbox.api.twilioMessages({ to: BUYER })).toEqual([]);

    await sandbox.api.twilioInbound({ from: BUYER, to: OUR_NUMBER, body: 'START' });
    const message = await client.messages.create({ to: BUYER, from: OUR_NUMBER, body: 'Welcome back' });
    expect(message.status).toBe('queued');
  });

  it('posts a keyword-free inbound SMS without OptOutType and leaves the ledger alone', async () => {
    const inbound = await sandbox.api.twilioInbound({ from: BUYER, to: OUR_NUMBER, body: 'STOP PLEASE' });

    expect(inbound.params.OptOutType).toBeUndefined();
    expect(await sandbox.api.twilioOptOuts()).toEqual([]);
  });

  it.each([
    [{ to: '5551234567' }, 400, 21211],
    [{ to: '+15550100123' }, 400, 21614],
  ])('refuses %j with Twilio error %i/%i', async (override, status, code) => {
    const error = await twilioFor(sandbox.url)
      .messages.create({ from: OUR_NUMBER, body: 'x', ...override })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ status, code, moreInfo: `https://www.twilio.com/docs/errors/${code}` });
  });

  it('answers an injected 20429, then accepts again; a wrong auth token gets 401/20003', async () => {
    await sandbox.api.injectFault({ provider: 'twilio', status: 429, count: 1 });
    const client = twilioFor(sandbox.url);

    const error = await client.messages.create({ to: BUYER, from: OUR_NUMBER, body: 'x' }).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ status: 429, code: 20429 });
    expect((await client.messages.create({ to: BUYER, from: OUR_NUMBER, body: 'x' })).status).toBe('queued');
    const unauthorised = await twilioFor(sandbox.url, 'wrong-token')
      .messages.create({ to: BUYER, from: OUR_NUMBER, body: 'x' })
      .catch((caught: unknown) => caught);
    expect(unauthorised).toMatchObject({ status: 401, code: 20003 });
  });
  it('lists messages newest first through messages.list, filtered by To and From and paged', async () => {
    await sandbox.api.updateSettings({ autoEvents: false });
    const client = twilioFor(sandbox.url);
    const first = await client.messages.create({ to: BUYER, from: OUR_NUMBER, body: 'one' });
    const second = await client.messages.create({ to: BUYER, from: OUR_NUMBER, body: 'two' });
    await client.messages.create({ to: '+15558675399', from: OUR_NUMBER, body: 'someone else' });

    const listed = await client.messages.list({ to: BUYER, from: OUR_NUMBER, limit: 20 });

    expect(listed.map((message) => [message.sid, message.body])).toEqual([
      [second.sid, 'two'],
      [first.sid, 'one'],
    ]);
    const page = await client.messages.page({ to: BUYER, pageSize: 1 });
    expect(page.instances.map((message) => message.sid)).toEqual([second.sid]);
    const next = await page.nextPage();
    expect(next?.instances.map((message) => message.sid)).toEqual([first.sid]);
    // DateSent filters apply to date_sent: messages still queued have none and are left out.
    expect(await client.messages.list({ to: BUYER, dateSentAfter: new Date(Date.now() - 3_600_000) })).toEqual([]);
    await sandbox.api.twilioStatus({ sid: first.sid, status: 'sent' });
    const sent = await client.messages.list({ to: BUYER, dateSentAfter: new Date(Date.now() - 3_600_000) });
    expect(sent.map((message) => message.sid)).toEqual([first.sid]);
  });

  it('records an accepted message before a slow answer, so a client that gives up does not know it was sent', async () => {
    await sandbox.api.updateSettings({ autoEvents: false, twilioResponseDelayMs: 2_000 });
    class ImpatientRequestClient extends twilio.RequestClient {
      override request<TData>(options: RequestClient.RequestOptions<TData>) {
        return super.request<TData>({ ...options, uri: options.uri.replace(/^https:\/\/api\.twilio\.com/, sandbox.url) });
      }
    }
    const impatient = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient: new ImpatientRequestClient({ timeout: 200 }) });

    const error = await impatient.messages.create({ to: BUYER, from: OUR_NUMBER, body: 'in doubt' }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(Error);
    expect((await sandbox.api.twilioMessages({ to: BUYER })).map((message) => message.body)).toEqual(['in doubt']);
  });
});
