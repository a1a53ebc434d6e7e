import { randomUUID } from 'node:crypto';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';
import { fcmSandboxAgent } from '../support/fcm-sandbox-agent.fixture';
import { startSandbox, type StartedSandbox } from '../support/provider-sandbox.fixture';

const PROJECT_ID = 'keyhouse-sandbox';

describe('provider sandbox: FCM HTTP v1 through firebase-admin', () => {
  let sandbox: StartedSandbox;
  let app: App;

  beforeAll(async () => {
    sandbox = await startSandbox({ fcmInvalidTokens: ['token-from-settings'] });
    // A custom credential (firebase-admin's Credential interface) so no OAuth call is needed.
    app = initializeApp(
      {
        projectId: PROJECT_ID,
        credential: { getAccessToken: async () => ({ access_token: 'sandbox-access-token', expires_in: 3600 }) },
        httpAgent: fcmSandboxAgent(sandbox.url),
      },
      `sandbox-${randomUUID()}`,
    );
  });
  afterAll(async () => {
    await deleteApp(app);
    await sandbox.close();
  });
  beforeEach(() => sandbox.api.reset());

  it('sends to a token and records the message', async () => {
    const name = await getMessaging(app).send({
      token: 'device-token-1',
      notification: { title: 'New lead', body: 'Ann Buyer' },
      data: { leadId: 'l-1' },
    });

    expect(name).toMatch(new RegExp(`^projects/${PROJECT_ID}/messages/\\d+$`));
    const [recorded] = await sandbox.api.fcmMessages({ to: 'device-token-1' });
    expect(recorded).toMatchObject({ name, projectId: PROJECT_ID, token: 'device-token-1' });
    expect(recorded.message).toMatchObject({ notification: { title: 'New lead', body: 'Ann Buyer' }, data: { leadId: 'l-1' } });
  });

  it('answers UNREGISTERED for a token marked invalid at runtime or in the settings', async () => {
    await sandbox.api.fcmInvalidToken('stale-token');

    for (const token of ['stale-token', 'token-from-settings']) {
      const error = await getMessaging(app)
        .send({ token, data: { a: 'b' } })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'messaging/registration-token-not-registered' });
    }
    expect(await sandbox.api.fcmMessages()).toEqual([]);
  });

  it('answers an injected 500 as the SDK sees it, then sends again', async () => {
    await sandbox.api.injectFault({ provider: 'fcm', status: 500, count: 1 });

    const error = await getMessaging(app)
      .send({ topic: 'office-1', data: { a: 'b' } })
      .catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'messaging/internal-error' });
    await expect(getMessaging(app).send({ topic: 'office-1', data: { a: 'b' } })).resolves.toMatch(/^projects\//);
    expect(await sandbox.api.fcmMessages({ to: 'office-1' })).toHaveLength(1);
  });

  it('lets the SDK retry an injected 503 by itself (Retry-After: 0)', async () => {
    await sandbox.api.injectFault({ provider: 'fcm', status: 503, count: 1, retryAfterSeconds: 0 });

    await expect(getMessaging(app).send({ token: 'device-token-2', data: { a: 'b' } })).resolves.toMatch(/^projects\//);

    expect(await sandbox.api.fcmMessages({ to: 'device-token-2' })).toHaveLength(1);
  });

  it('refuses a request without a bearer token (401 UNAUTHENTICATED)', async () => {
    const response = await fetch(`${sandbox.url}/v1/projects/${PROJECT_ID}/messages:send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: { token: 't' } }),
    });

    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
  });
});
