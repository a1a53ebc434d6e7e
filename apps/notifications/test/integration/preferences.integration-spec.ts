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
import { notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';
import { TEST_TWILIO_AUTH_TOKEN } from '../support/twilio-signing.fixture';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const FROM = '+15005550006';

const codeOf = async (call: Promise<unknown>): Promise<string> => (await refusalOf(call)).code;

function newPhone(): string {
  return `+1415${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
}

/** `YYYY-MM-DD` of the instant `ms` in UTC. */
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Preferences, organization defaults, mandatory types and quiet hours at dispatch (issue 14;
 * docs/adr/0035 "Preferences, quiet hours and push"): the service alone, SMS through the sandbox.
 */
describe('notifications: preferences, organization settings and quiet hours', () => {
  let sandbox: StartedSandbox;
  let svc: TestService<NestFastifyApplication>;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    sandbox = await startSandbox({ autoEvents: false });
    svc = await startService(startNotifications, {
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
      TWILIO_FROM_NUMBER: FROM,
      TWILIO_BASE_URL: sandbox.url,
      TWILIO_RETRY_DELAY_MS: '50',
    });
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
    await sandbox?.close();
  });

  /** A new agent of a new organization (or of `orgId`), known to the read model, with an optional phone. */
  async function newAgent(options: { orgId?: string; phone?: string } = {}): Promise<Actor> {
    const orgId = options.orgId ?? newId();
    const agent = actorFor({ orgId, role: 'agent', permissions: ['notifications:read:own'] });
    await svc.publish('identity.events', [
      testEvent(IdentityEvent.userCreated, orgId, {
        userId: agent.userId!,
        email: `agent-${agent.userId!.slice(-12)}@example.test`,
        name: 'Agent',
        role: 'agent',
        status: 'active',
        teamIds: [],
        phone: options.phone ?? null,
      }),
    ]);
    await waitFor(async () => (await db.query('SELECT 1 FROM recipient WHERE user_id = $1', [agent.userId])).length === 1);
    return agent;
  }

  const adminOf = (orgId: string) =>
    actorFor({ orgId, role: 'admin', permissions: ['notifications:manage:org', 'notifications:read:org'] });

  /** Assigns a new lead to `agent` and resolves with the notification once every delivery of `settled` channels left `queued`. */
  async function assignLead(agent: Actor, settled: string[] = ['in_app', 'email']): Promise<NotificationHistoryView> {
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
    let found: NotificationHistoryView | null = null;
    await waitFor(async () => {
      const items = (await svc.rpc.call(NotificationsSubjects.history, {}, agent)).items;
      const item = items.find((notification) => notification.data.contactId === contactId);
      const done = settled.every((channel) => item?.deliveries.some((d) => d.channel === channel && d.status !== 'queued'));
      if (item && done) found = item;
      return found !== null;
    });
    return found!;
  }

  const deliveryOf = (notification: NotificationHistoryView, channel: string) => notification.deliveries.find((d) => d.channel === channel);

  describe('NotificationDispatchService.dispatch', () => {
    it('records a channel the user switched off as blocked PREFERENCE_OFF and still delivers in-app', async () => {
      const agent = await newAgent();
      await svc.rpc.call(
        P.updateMine,
        { preferences: [{ type: 'lead_assigned', channel: 'email', enabled: false }], quietHours: null },
        agent,
      );

      const notification = await assignLead(agent);

      expect(deliveryOf(notification, 'email')).toMatchObject({ status: 'blocked', reason: 'PREFERENCE_OFF', attempts: 0 });
      expect(deliveryOf(notification, 'in_app')).toMatchObject({ status: 'delivered' });
      expect(await db.query('SELECT 1 FROM local_email WHERE delivery_id = $1', [deliveryOf(notification, 'email')!.id])).toEqual([]);
    });

    it('takes the channel switches that changed in identity’s notificationPreferences as every-type switches', async () => {
      const agent = await newAgent();
      await svc.publish('identity.events', [
        testEvent(IdentityEvent.userUpdated, agent.orgId, {
          userId: agent.userId!,
          changes: {
            notificationPreferences: { from: { email: true, sms: false, inApp: true }, to: { email: true, sms: false, inApp: false } },
          },
        }),
      ]);
      await waitFor(async () => (await db.query('SELECT 1 FROM notification_preference WHERE user_id = $1', [agent.userId])).length === 1);

      const notification = await assignLead(agent);

      expect(deliveryOf(notification, 'in_app')).toMatchObject({ status: 'blocked', reason: 'PREFERENCE_OFF' });
      expect(deliveryOf(notification, 'email')).toMatchObject({ status: 'delivered', reason: 'LOCAL_SINK' });
      const view = await svc.rpc.call(P.getMine, {}, agent);
      const lead = view.types.find((type) => type.type === 'lead_assigned')!;
      expect(lead.channels.find((channel) => channel.channel === 'in_app')).toEqual({
        channel: 'in_app',
        enabled: false,
        defaultEnabled: true,
        source: 'identity',
      });
    });

    it('ignores a user’s off switch for a type the organization made mandatory, and refuses a new one 422', async () => {
      const agent = await newAgent();
      await svc.rpc.call(
        P.updateMine,
        { preferences: [{ type: 'lead_assigned', channel: 'email', enabled: false }], quietHours: null },
        agent,
      );
      await svc.rpc.call(P.updateSettings, { defaults: [], mandatoryTypes: ['lead_assigned'], timeZone: null }, adminOf(agent.orgId));

      const notification = await assignLead(agent);

      expect(deliveryOf(notification, 'email')).toMatchObject({ status: 'delivered', reason: 'LOCAL_SINK' });
      expect(
        await codeOf(
          svc.rpc.call(
            P.updateMine,
            { preferences: [{ type: 'lead_assigned', channel: 'in_app', enabled: false }], quietHours: null },
            agent,
          ),
        ),
      ).toBe('NOTIFICATION_TYPE_MANDATORY');
      const view = await svc.rpc.call(P.getMine, {}, agent);
      expect(view.types.find((type) => type.type === 'lead_assigned')).toMatchObject({ mandatory: true });
    });

    it('applies the organization’s defaults: a channel it switched off is not used at all, one it switched on is', async () => {
      const agent = await newAgent();
      await svc.rpc.call(
        P.updateSettings,
        {
          defaults: [
            { type: 'lead_assigned', channel: 'email', enabled: false },
            { type: 'lead_assigned', channel: 'in_app', enabled: true },
          ],
          mandatoryTypes: [],
          timeZone: null,
        },
        adminOf(agent.orgId),
      );

      const notification = await assignLead(agent, ['in_app']);

      expect(notification.deliveries.map((d) => d.channel)).toEqual(['in_app']);
    });

    it('defers an SMS inside quiet hours to the window’s end (queued, QUIET_HOURS_DEFERRED, a delayed job), not email or in-app; the job then sends once', async () => {
      const phone = newPhone();
      const agent = await newAgent({ phone });
      await svc.rpc.call(P.updateMine, { preferences: [], quietHours: { start: '00:00', end: '23:59', timeZone: 'UTC' } }, agent);
      const before = Date.now();

      const notification = await assignLead(agent);

      const sms = deliveryOf(notification, 'sms')!;
      expect(sms).toMatchObject({ status: 'queued', reason: 'QUIET_HOURS_DEFERRED', attempts: 0 });
      expect(deliveryOf(notification, 'email')).toMatchObject({ status: 'delivered' });
      const [row] = await db.query<{ scheduled_for: Date }>('SELECT scheduled_for FROM delivery WHERE id = $1', [sms.id]);
      expect(row.scheduled_for.toISOString()).toBe(`${utcDate(before)}T23:59:00.000Z`);
      const queue = svc.app.get<Queue>(getQueueToken('notifications.sms'));
      const job = (await queue.getJob(sms.id))!;
      expect(await job.isDelayed()).toBe(true);
      expect(await sandbox.api.twilioMessages({ to: phone })).toEqual([]);

      await job.promote(); // the night is over
      await waitFor(async () => (await db.query(`SELECT 1 FROM delivery WHERE id = $1 AND status = 'sent'`, [sms.id])).length === 1);

      expect(await sandbox.api.twilioMessages({ to: phone })).toHaveLength(1);
      const [sent] = await db.query<{ reason: string | null; scheduled_for: Date }>(
        'SELECT reason, scheduled_for FROM delivery WHERE id = $1',
        [sms.id],
      );
      expect(sent.reason).toBeNull();
      expect(sent.scheduled_for.toISOString()).toBe(`${utcDate(before)}T23:59:00.000Z`);
    });

    it('reads quiet hours without a zone in the user’s zone from identity (Asia/Tokyo, UTC+9)', async () => {
      const phone = newPhone();
      const agent = await newAgent({ phone });
      await svc.publish('identity.events', [
        testEvent(IdentityEvent.userUpdated, agent.orgId, {
          userId: agent.userId!,
          changes: { timezone: { from: 'UTC', to: 'Asia/Tokyo' } },
        }),
      ]);
      await waitFor(
        async () => (await db.query(`SELECT 1 FROM recipient WHERE user_id = $1 AND timezone = 'Asia/Tokyo'`, [agent.userId])).length === 1,
      );
      await svc.rpc.call(P.updateMine, { preferences: [], quietHours: { start: '00:00', end: '23:59', timeZone: null } }, agent);
      const before = Date.now();

      const notification = await assignLead(agent);

      const sms = deliveryOf(notification, 'sms')!;
      const [row] = await db.query<{ scheduled_for: Date }>('SELECT scheduled_for FROM delivery WHERE id = $1', [sms.id]);
      // 23:59 in Tokyo of Tokyo's current date = 14:59 UTC of that date.
      expect(row.scheduled_for.toISOString()).toBe(`${utcDate(before + 9 * 3_600_000)}T14:59:00.000Z`);
      expect((await svc.rpc.call(P.getMine, {}, agent)).effectiveTimeZone).toBe('Asia/Tokyo');
    });

    it('creates nothing more when the same event arrives twice (one notification, one delivery per channel)', async () => {
      const agent = await newAgent();
      await svc.rpc.call(
        P.updateMine,
        { preferences: [{ type: 'lead_assigned', channel: 'email', enabled: false }], quietHours: null },
        agent,
      );
      const contactId = newId();
      const assigned = () =>
        testEvent(
          CrmContactEvent.contactAssigned,
          agent.orgId,
          {
            contactId,
            fromAgentId: null,
            toAgentId: agent.userId!,
            pondId: null,
            ruleId: null,
            strategy: 'round_robin',
            reason: 'rule',
            respondBy: null,
          },
          { subject: contactId },
        );
      const event = assigned();
      // The same event twice, then another one on the same key (same partition: handled after both copies).
      await svc.publish('crm.events', [event, event, assigned()]);
      await waitFor(async () => (await svc.rpc.call(NotificationsSubjects.history, {}, agent)).items.length === 2);

      const rows = await db.query<{ channel: string; status: string; reason: string | null }>(
        `SELECT d.channel, d.status, d.reason FROM delivery d JOIN notification n ON n.id = d.notification_id
          WHERE n.recipient_user_id = $1 AND n.source_event_id = $2 ORDER BY d.channel`,
        [agent.userId, event.id],
      );
      expect(rows).toEqual([
        { channel: 'email', status: 'blocked', reason: 'PREFERENCE_OFF' },
        { channel: 'in_app', status: 'delivered', reason: null },
      ]);
    });
  });

  describe('NotificationPreferencesService', () => {
    it('refuses API keys (USER_SESSION_REQUIRED), unknown types and time zones (422), a pair listed twice (400)', async () => {
      const agent = await newAgent();
      const apiKey = apiKeyActorFor({ orgId: agent.orgId, permissions: ['notifications:read:org'] });
      expect(await codeOf(svc.rpc.call(P.getMine, {}, apiKey))).toBe('USER_SESSION_REQUIRED');
      expect(
        await codeOf(
          svc.rpc.call(
            P.updateMine,
            { preferences: [{ type: 'no_such_type', channel: 'email', enabled: false }], quietHours: null },
            agent,
          ),
        ),
      ).toBe('UNKNOWN_NOTIFICATION_TYPE');
      expect(
        await codeOf(
          svc.rpc.call(P.updateMine, { preferences: [], quietHours: { start: '21:00', end: '07:00', timeZone: 'Mars/Olympus' } }, agent),
        ),
      ).toBe('INVALID_TIME_ZONE');
      const twice = { type: 'lead_assigned', channel: 'email' as const, enabled: false };
      expect(await codeOf(svc.rpc.call(P.updateMine, { preferences: [twice, twice], quietHours: null }, agent))).toBe('VALIDATION_FAILED');
    });

    it('replaces the whole set on PUT and emits notifications.preferences.updated', async () => {
      const agent = await newAgent();
      await svc.rpc.call(
        P.updateMine,
        {
          preferences: [{ type: 'task_assigned', channel: 'email', enabled: false }],
          quietHours: { start: '22:00', end: '06:30', timeZone: 'Europe/Paris' },
        },
        agent,
      );
      const view = await svc.rpc.call(
        P.updateMine,
        { preferences: [{ type: 'lead_assigned', channel: 'sms', enabled: false }], quietHours: null },
        agent,
      );

      expect(view.quietHours).toBeNull();
      expect(view.effectiveTimeZone).toBe('UTC');
      const task = view.types.find((type) => type.type === 'task_assigned')!;
      expect(task.channels.find((channel) => channel.channel === 'email')).toMatchObject({ enabled: true, source: 'default' });
      const lead = view.types.find((type) => type.type === 'lead_assigned')!;
      expect(lead.channels.find((channel) => channel.channel === 'sms')).toMatchObject({ enabled: false, source: 'user' });
      const events = await db.query(
        `SELECT 1 FROM outbox_event WHERE event_type = 'notifications.preferences.updated' AND message_key = $1`,
        [agent.userId],
      );
      expect(events).toHaveLength(2);
    });

    it('lets only notifications:manage at org read or change the settings, and keeps each organization’s apart', async () => {
      const agent = await newAgent();
      expect(await codeOf(svc.rpc.call(P.getSettings, {}, agent))).toBe('FORBIDDEN');
      expect(await codeOf(svc.rpc.call(P.updateSettings, { defaults: [], mandatoryTypes: ['lead_assigned'], timeZone: null }, agent))).toBe(
        'FORBIDDEN',
      );
      const admin = adminOf(agent.orgId);
      await svc.rpc.call(
        P.updateSettings,
        {
          defaults: [{ type: 'task_assigned', channel: 'sms', enabled: true }],
          mandatoryTypes: ['task_assigned'],
          timeZone: 'America/Chicago',
        },
        admin,
      );

      const other = await svc.rpc.call(P.getSettings, {}, adminOf(newId()));
      expect(other).toMatchObject({ mandatoryTypes: [], timeZone: null, updatedAt: null });
      const own = await svc.rpc.call(P.getSettings, {}, admin);
      expect(own).toMatchObject({ mandatoryTypes: ['task_assigned'], timeZone: 'America/Chicago' });
      const task = own.types.find((type) => type.type === 'task_assigned')!;
      expect(task.channels.find((channel) => channel.channel === 'sms')).toMatchObject({ enabled: true, source: 'organization' });
      expect(await codeOf(svc.rpc.call(P.updateSettings, { defaults: [], mandatoryTypes: ['nope'], timeZone: null }, admin))).toBe(
        'UNKNOWN_NOTIFICATION_TYPE',
      );
      // The organization's zone is the default zone of its users' quiet hours.
      expect((await svc.rpc.call(P.getMine, {}, agent)).effectiveTimeZone).toBe('America/Chicago');
    });
  });
});
