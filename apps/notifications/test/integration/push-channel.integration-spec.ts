import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  CrmContactEvent,
  IdentityEvent,
  NotificationPreferencesSubjects as P,
  NotificationsSubjects,
  type Actor,
  type NotificationHistoryView,
} from '@keyhouse/contracts';
import { getQueueToken, type Queue } from '@keyhouse/platform/queue';
import { actorFor, apiKeyActorFor, refusalOf, startService, testEvent, waitFor, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startSandbox, type StartedSandbox } from '../../../provider-sandbox/test/support/provider-sandbox.fixture';
import { startNotifications } from '../../src/main';
import { PushSendJob } from '../../src/modules/push/push-send.job';
import { notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';

const PROJECT_ID = 'keyhouse-push-spec';

const codeOf = async (call: Promise<unknown>): Promise<string> => (await refusalOf(call)).code;
const newToken = () => `fcm-token-${newId()}`;

/** The push channel (issue 14): firebase-admin against the provider sandbox's FCM HTTP v1, devices over NATS. */
describe('notifications: push through FCM (the provider sandbox)', () => {
  let sandbox: StartedSandbox;
  let svc: TestService<NestFastifyApplication>;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    sandbox = await startSandbox({ autoEvents: false });
    svc = await startService(startNotifications, {
      FCM_PROJECT_ID: PROJECT_ID,
      FCM_BASE_URL: sandbox.url,
      FCM_RETRY_DELAY_MS: '50',
    });
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
    await sandbox?.close();
  });

  async function newAgent(orgId = newId()): Promise<Actor> {
    const agent = actorFor({ orgId, role: 'agent', permissions: ['notifications:read:own'] });
    await svc.publish('identity.events', [
      testEvent(IdentityEvent.userCreated, orgId, {
        userId: agent.userId!,
        email: `agent-${agent.userId!.slice(-12)}@example.test`,
        name: 'Agent',
        role: 'agent',
        status: 'active',
        teamIds: [],
      }),
    ]);
    await waitFor(async () => (await db.query('SELECT 1 FROM recipient WHERE user_id = $1', [agent.userId])).length === 1);
    return agent;
  }

  const register = (agent: Actor, token: string, name: string | null = null) =>
    svc.rpc.call(P.registerDevice, { token, platform: 'android', name }, agent);

  /** Assigns a new lead to `agent`; resolves with the notification once its `in_app` and `email` deliveries (and push, unless `pushSettles` is false) left `queued`. */
  async function assignLead(agent: Actor, pushSettles = true): Promise<NotificationHistoryView> {
    const contactId = newId();
    await svc.publish('crm.events', [
      testEvent(CrmContactEvent.contactAssigned, agent.orgId, {
        contactId,
        fromAgentId: null,
        toAgentId: agent.userId!,
        pondId: null,
        ruleId: null,
        strategy: 'round_robin',
        reason: 'rule',
        respondBy: null,
      }),
    ]);
    const channels = pushSettles ? ['in_app', 'email', 'push'] : ['in_app', 'email'];
    let found: NotificationHistoryView | null = null;
    await waitFor(async () => {
      const item = (await svc.rpc.call(NotificationsSubjects.history, {}, agent)).items.find((n) => n.data.contactId === contactId);
      if (item && channels.every((channel) => item.deliveries.some((d) => d.channel === channel && d.status !== 'queued'))) found = item;
      return found !== null;
    });
    return found!;
  }

  const pushOf = (notification: NotificationHistoryView) => notification.deliveries.find((d) => d.channel === 'push');

  describe('PushSendJob', () => {
    it('sends a lead alert to the agent’s device through firebase-admin and keeps FCM’s message name', async () => {
      const agent = await newAgent();
      const token = newToken();
      await register(agent, token, 'Pixel');

      const notification = await assignLead(agent);

      const push = pushOf(notification)!;
      expect(push).toMatchObject({ status: 'sent', reason: null, attempts: 1 });
      const messages = await sandbox.api.fcmMessages({ to: token });
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ name: push.providerMessageId, projectId: PROJECT_ID });
      expect(messages[0].message).toMatchObject({
        notification: { title: notification.title, body: notification.body },
        data: { notificationId: notification.id, deliveryId: push.id, type: 'lead_assigned', link: notification.link },
      });
    });

    it('removes a token FCM reports UNREGISTERED and still sends to the user’s other device', async () => {
      const agent = await newAgent();
      const stale = newToken();
      const fresh = newToken();
      await register(agent, stale);
      await register(agent, fresh);
      await sandbox.api.fcmInvalidToken(stale);

      const notification = await assignLead(agent);

      expect(pushOf(notification)).toMatchObject({ status: 'sent' });
      expect(await sandbox.api.fcmMessages({ to: fresh })).toHaveLength(1);
      expect(await db.query('SELECT token FROM push_device WHERE user_id = $1', [agent.userId])).toEqual([{ token: fresh }]);
    });

    it('blocks the delivery NO_DEVICE when every token is invalid, and uses no push channel once none is left', async () => {
      const agent = await newAgent();
      const stale = newToken();
      await register(agent, stale);
      await sandbox.api.fcmInvalidToken(stale);

      expect(pushOf(await assignLead(agent))).toMatchObject({ status: 'blocked', reason: 'NO_DEVICE' });
      expect(await db.query('SELECT 1 FROM push_device WHERE user_id = $1', [agent.userId])).toEqual([]);
      expect(pushOf(await assignLead(agent, false))).toBeUndefined();
    });

    it('retries a 500 and then sends to the failed token only: each device gets the notification exactly once', async () => {
      const agent = await newAgent();
      const first = newToken();
      const second = newToken();
      await register(agent, first);
      await register(agent, second);
      await sandbox.api.injectFault({ provider: 'fcm', status: 500, count: 1 });

      const notification = await assignLead(agent);

      expect(pushOf(notification)).toMatchObject({ status: 'sent', attempts: 2 });
      expect(await sandbox.api.fcmMessages({ to: first })).toHaveLength(1);
      expect(await sandbox.api.fcmMessages({ to: second })).toHaveLength(1);
    });

    it('defers a push inside quiet hours; a restart’s sweep adds no second job; the job then sends once', async () => {
      const agent = await newAgent();
      const token = newToken();
      await register(agent, token);
      await svc.rpc.call(P.updateMine, { preferences: [], quietHours: { start: '00:00', end: '23:59', timeZone: 'UTC' } }, agent);
      const day = new Date().toISOString().slice(0, 10);

      const push = pushOf(await assignLead(agent, false))!;

      expect(push).toMatchObject({ status: 'queued', reason: 'QUIET_HOURS_DEFERRED' });
      const [row] = await db.query<{ scheduled_for: Date }>('SELECT scheduled_for FROM delivery WHERE id = $1', [push.id]);
      expect(row.scheduled_for.toISOString()).toBe(`${day}T23:59:00.000Z`);
      await svc.app.get(PushSendJob).onApplicationBootstrap(); // what a restart runs
      const queue = svc.app.get<Queue>(getQueueToken('notifications.push'));
      const job = (await queue.getJob(push.id))!;
      expect(await job.isDelayed()).toBe(true);
      expect((await queue.getDelayed()).filter((delayed) => delayed.data.deliveryId === push.id)).toHaveLength(1);
      expect(await sandbox.api.fcmMessages({ to: token })).toEqual([]);

      await job.promote();
      await waitFor(async () => (await db.query(`SELECT 1 FROM delivery WHERE id = $1 AND status = 'sent'`, [push.id])).length === 1);
      expect(await sandbox.api.fcmMessages({ to: token })).toHaveLength(1);
    });

    it('records push switched off for the type as blocked PREFERENCE_OFF without calling FCM', async () => {
      const agent = await newAgent();
      const token = newToken();
      await register(agent, token);
      await svc.rpc.call(
        P.updateMine,
        { preferences: [{ type: 'lead_assigned', channel: 'push', enabled: false }], quietHours: null },
        agent,
      );

      expect(pushOf(await assignLead(agent))).toMatchObject({ status: 'blocked', reason: 'PREFERENCE_OFF' });
      expect(await sandbox.api.fcmMessages({ to: token })).toEqual([]);
    });
  });

  describe('PushDevicesService', () => {
    it('registers idempotently on the token, lists only the caller’s devices and never returns the token', async () => {
      const agent = await newAgent();
      const token = newToken();
      const first = await register(agent, token, 'Phone');
      const again = await register(agent, token, 'Renamed phone');

      expect(again.id).toBe(first.id);
      expect(again.name).toBe('Renamed phone');
      const colleague = await newAgent(agent.orgId);
      await register(colleague, newToken());
      const page = await svc.rpc.call(P.listDevices, {}, agent);
      expect(page.items).toEqual([again]);
      expect(JSON.stringify(page)).not.toContain(token);
    });

    it('deletes only the caller’s own device: another user’s or organization’s answers DEVICE_NOT_FOUND', async () => {
      const agent = await newAgent();
      const device = await register(agent, newToken());
      const colleague = await newAgent(agent.orgId);
      const stranger = actorFor({ orgId: newId(), role: 'owner', permissions: [], userId: agent.userId });

      expect(await codeOf(svc.rpc.call(P.deleteDevice, { id: device.id }, colleague))).toBe('DEVICE_NOT_FOUND');
      expect(await codeOf(svc.rpc.call(P.deleteDevice, { id: device.id }, stranger))).toBe('DEVICE_NOT_FOUND');
      await svc.rpc.call(P.deleteDevice, { id: device.id }, agent);
      expect((await svc.rpc.call(P.listDevices, {}, agent)).items).toEqual([]);
      expect(await codeOf(svc.rpc.call(P.deleteDevice, { id: device.id }, agent))).toBe('DEVICE_NOT_FOUND');
    });

    it('refuses API keys (USER_SESSION_REQUIRED)', async () => {
      const apiKey = apiKeyActorFor({ orgId: newId(), permissions: ['notifications:read:org'] });
      expect(await codeOf(svc.rpc.call(P.registerDevice, { token: newToken(), platform: 'web' }, apiKey))).toBe('USER_SESSION_REQUIRED');
      expect(await codeOf(svc.rpc.call(P.listDevices, {}, apiKey))).toBe('USER_SESSION_REQUIRED');
    });
  });
});
