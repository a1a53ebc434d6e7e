import { startSandbox, type StartedSandbox } from '../support/provider-sandbox.fixture';

const SENDGRID_TEST_PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';

describe('provider sandbox: its own API', () => {
  let sandbox: StartedSandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ twilioAuthToken: 'start-token', autoEvents: false, webhookAttempts: 2, webhookBackoffMs: 1 });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.api.reset());

  it('reports health and shows the settings with the SendGrid verification key', async () => {
    expect(await sandbox.api.health()).toMatchObject({ status: 'ok' });
    expect(await sandbox.api.settings()).toMatchObject({
      twilioAuthToken: 'start-token',
      sendgridVerificationKey: SENDGRID_TEST_PUBLIC_KEY,
      twilioLandlinePrefixes: ['+1555010'],
    });
  });

  it('changes settings at runtime, refuses bad ones, and restores the start settings on reset', async () => {
    await sandbox.api.updateSettings({ twilioAuthToken: 'changed', twilioLandlinePrefixes: ['+4420'] });
    expect((await sandbox.api.settings()).twilioAuthToken).toBe('changed');

    for (const patch of [
      { sendgridEventsUrl: 'ftp://x' },
      { webhookAttempts: 0 },
      { sendgridSigningKey: 'not-a-key' },
      { unknown: true },
    ]) {
      const response = await fetch(`${sandbox.url}/sandbox/settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(patch),
      });
      expect(response.status).toBe(400);
    }
    await sandbox.api.reset();
    expect(await sandbox.api.settings()).toMatchObject({ twilioAuthToken: 'start-token', twilioLandlinePrefixes: ['+1555010'] });
  });

  it('records a webhook that never got through, with its attempts', async () => {
    await sandbox.api.updateSettings({ twilioInboundUrl: 'http://127.0.0.1:9/unreachable' });

    const result = await sandbox.api.twilioInbound({ from: '+15558675310', to: '+15017122661', body: 'hello' });

    expect(result.webhook).toMatchObject({ kind: 'twilio.inbound', delivered: false, statusCode: null, attempts: 2 });
    expect(await sandbox.api.webhooks({ kind: 'twilio.inbound' })).toHaveLength(1);
    expect(await sandbox.api.webhooks({ kind: 'sendgrid.events' })).toEqual([]);
  });

  it('counts injected faults down and refuses malformed ones', async () => {
    await sandbox.api.injectFault({ provider: 'sendgrid', status: 500, count: 2 });
    const send = () =>
      fetch(`${sandbox.url}/v3/mail/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer SG.x' },
        body: JSON.stringify({
          personalizations: [{ to: [{ email: 'a@example.com' }] }],
          from: { email: 'b@example.com' },
          subject: 's',
          content: [{ type: 'text/plain', value: 'v' }],
        }),
      });

    expect([(await send()).status, (await send()).status, (await send()).status]).toEqual([500, 500, 202]);
    const bad = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'smtp', status: 500 }),
    });
    expect(bad.status).toBe(400);
  });

  it('answers 200 without recording in SendGrid sandbox mode', async () => {
    const response = await fetch(`${sandbox.url}/v3/mail/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer SG.x' },
      body: JSON.stringify({
        personalizations: [{ to: [{ email: 'a@example.com' }] }],
        from: { email: 'b@example.com' },
        subject: 's',
        content: [{ type: 'text/plain', value: 'v' }],
        mail_settings: { sandbox_mode: { enable: true } },
      }),
    });

    expect(response.status).toBe(200);
    expect(await sandbox.api.sendgridMessages()).toEqual([]);
  });
});
