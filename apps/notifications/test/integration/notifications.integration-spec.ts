import {
  CrmContactEvent,
  CrmTaskEvent,
  IdentityEvent,
  NotificationsSubjects,
  type Actor,
  type CrmContactAssignedData,
  type CrmTaskCreatedData,
  type NotificationHistoryView,
} from '@keyhouse/contracts';
import { actorFor, apiKeyActorFor, startService, testEvent, waitFor, type TestService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startNotifications } from '../../src/main';
import { notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';

/** The code a call was refused with. */
const codeOf = async (call: Promise<unknown>): Promise<string> => (await refusalOf(call)).code;

function assignment(toAgentId: string | null, contactId = newId()): CrmContactAssignedData {
  return { contactId, fromAgentId: null, toAgentId, pondId: null, ruleId: null, strategy: 'round_robin', reason: 'rule', respondBy: null };
}

function task(assigneeId: string, title = 'Call the buyer'): CrmTaskCreatedData {
  return {
    taskId: newId(),
    title,
    type: 'call',
    contactId: null,
    dealId: null,
    listingId: null,
    assigneeId,
    dueAt: '2026-12-24T10:00:00.000Z',
    status: 'open',
    priority: 'normal',
    recurrence: null,
    seriesId: null,
    previousOccurrenceId: null,
  };
}

/** The notifications service alone: identity and crm events in over Kafka, the in-app API and the history over NATS. */
describe('notifications: recipients, triggers, in-app notifications and history (service over NATS and Kafka)', () => {
  let svc: TestService;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    // Short backoff: an email whose recipient is not in the read model is retried before it is blocked.
    svc = await startService(startNotifications, { SENDGRID_RETRY_DELAY_MS: '20', NOTIFICATIONS_EMAIL_ATTEMPTS: '3' });
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
  });

  /** A user of `orgId` known to the recipients read model (published as `identity.user.created`, awaited). */
  async function user(
    orgId: string,
    role: string,
    permissions: string[],
    teamIds: string[] = [],
  ): Promise<Actor & { userId: string; email: string }> {
    const actor = actorFor({ orgId, role, permissions, teamIds });
    const email = `${role}-${actor.userId!.slice(-12)}@example.test`;
    await svc.publish('identity.events', [
      testEvent(IdentityEvent.userCreated, orgId, { userId: actor.userId!, email, name: `The ${role}`, role, status: 'active', teamIds }),
    ]);
    await waitFor(async () => (await db.query('SELECT 1 FROM recipient WHERE user_id = $1', [actor.userId])).length === 1);
    return { ...actor, userId: actor.userId!, email };
  }

  async function notificationsOf(actor: Actor) {
    return (await svc.rpc.call(NotificationsSubjects.list, {}, actor)).items;
  }

  async function historyOf(actor: Actor, filters: Record<string, string> = {}): Promise<NotificationHistoryView[]> {
    return (await svc.rpc.call(NotificationsSubjects.history, filters, actor)).items;
  }

  it('keeps the recipients read model from identity.user.created, updated and deactivated', async () => {
    const orgId = newId();
    const agent = await user(orgId, 'agent', []);
    // Keyed by the user like identity's outbox, so one partition applies them in order.
    const key = { subject: agent.userId };
    await svc.publish('identity.events', [
      testEvent(
        IdentityEvent.userUpdated,
        orgId,
        { userId: agent.userId, changes: { email: { from: agent.email, to: 'renamed@example.test' } } },
        key,
      ),
      testEvent(IdentityEvent.userDeactivated, orgId, { userId: agent.userId }, key),
    ]);
    await waitFor(
      async () => (await db.query(`SELECT 1 FROM recipient WHERE user_id = $1 AND status = 'deactivated'`, [agent.userId])).length === 1,
    );
    const [row] = await db.query<{ email: string; role: string; name: string }>(
      'SELECT email, role, name FROM recipient WHERE user_id = $1',
      [agent.userId],
    );
    expect(row).toEqual({ email: 'renamed@example.test', role: 'agent', name: 'The agent' });
  });

  it('notifies the assigned agent once (in-app and email through the local sink), even when the event is redelivered', async () => {
    const orgId = newId();
    const agent = await user(orgId, 'agent', ['notifications:read:own']);
    const event = testEvent(CrmContactEvent.contactAssigned, orgId, assignment(agent.userId));
    await svc.publish('crm.events', [event]);
    await svc.publish('crm.events', [event]);
    await waitFor(async () =>
      (await historyOf(agent)).some((n) => n.deliveries.some((d) => d.channel === 'email' && d.status === 'delivered')),
    );
    const items = await notificationsOf(agent);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      type: 'lead_assigned',
      title: 'New lead assigned to you',
      data: { contactId: event.data.contactId, strategy: 'round_robin' },
      link: `/contacts/${event.data.contactId}`,
      readAt: null,
    });
    const [history] = await historyOf(agent);
    expect(history.sourceEventId).toBe(event.id);
    expect(history.deliveries.map((d) => [d.channel, d.status, d.reason])).toEqual([
      ['in_app', 'delivered', null],
      ['email', 'delivered', 'LOCAL_SINK'],
    ]);
    const email = history.deliveries.find((d) => d.channel === 'email')!;
    expect(email.to).toBe(agent.email);
    const sink = await db.query<{ to_address: string; custom_args: Record<string, string>; categories: string[]; from_address: string }>(
      'SELECT to_address, custom_args, categories, from_address FROM local_email WHERE delivery_id = $1',
      [email.id],
    );
    expect(sink).toEqual([
      {
        to_address: agent.email,
        custom_args: { notificationId: items[0].id, deliveryId: email.id },
        categories: ['lead_assigned'],
        from_address: 'notifications@keyhouse.test',
      },
    ]);
    const outbox = await db.query<{ event_type: string }>(
      `SELECT event_type FROM outbox_event WHERE message_key IN ($1, $2) ORDER BY seq`,
      [items[0].id, email.id],
    );
    expect(outbox.map((row) => row.event_type)).toEqual(
      expect.arrayContaining(['notifications.notification.created', 'notifications.delivery.status_changed']),
    );
  });

  it('does not notify an agent who assigned the lead to themselves, nor a task creator assigning themselves', async () => {
    const orgId = newId();
    const agent = await user(orgId, 'agent', []);
    const other = await user(orgId, 'manager', []);
    const subject = newId();
    const self = testEvent(CrmContactEvent.contactAssigned, orgId, assignment(agent.userId), {
      subject,
      actortype: 'user',
      actorid: agent.userId,
    });
    const selfTask = testEvent(CrmTaskEvent.taskCreated, orgId, task(agent.userId, 'Own task'), {
      subject,
      actortype: 'user',
      actorid: agent.userId,
    });
    // Same subject, same partition: once the last one is handled, the first two were too.
    const marker = testEvent(CrmTaskEvent.taskCreated, orgId, task(agent.userId, 'From the manager'), {
      subject,
      actortype: 'user',
      actorid: other.userId,
    });
    await svc.publish('crm.events', [self, selfTask, marker]);
    await waitFor(async () => (await notificationsOf(agent)).length > 0);
    const items = await notificationsOf(agent);
    expect(items.map((n) => [n.type, n.title])).toEqual([['task_assigned', 'New task: From the manager']]);
    expect(items[0].body).toBe('The manager assigned you a task due 2026-12-24T10:00:00.000Z.');
  });

  it('counts unread, marks one and all read, and answers 404 for another user’s or organization’s notification', async () => {
    const orgId = newId();
    const agent = await user(orgId, 'agent', []);
    const colleague = await user(orgId, 'agent', []);
    const foreign = actorFor({ orgId: newId(), role: 'owner', permissions: [], userId: agent.userId });
    await svc.publish('crm.events', [
      testEvent(CrmContactEvent.contactAssigned, orgId, assignment(agent.userId)),
      testEvent(CrmContactEvent.contactAssigned, orgId, assignment(agent.userId)),
    ]);
    await waitFor(async () => (await svc.rpc.call(NotificationsSubjects.unreadCount, {}, agent)).count === 2);
    const [first] = await notificationsOf(agent);
    expect(await codeOf(svc.rpc.call(NotificationsSubjects.markRead, { id: first.id }, colleague))).toBe('NOTIFICATION_NOT_FOUND');
    expect(await codeOf(svc.rpc.call(NotificationsSubjects.markRead, { id: first.id }, foreign))).toBe('NOTIFICATION_NOT_FOUND');
    expect(await notificationsOf(colleague)).toEqual([]);
    const read = await svc.rpc.call(NotificationsSubjects.markRead, { id: first.id }, agent);
    expect(read.readAt).not.toBeNull();
    expect(await svc.rpc.call(NotificationsSubjects.markRead, { id: first.id }, agent)).toEqual(read);
    expect((await svc.rpc.call(NotificationsSubjects.unreadCount, {}, agent)).count).toBe(1);
    expect((await svc.rpc.call(NotificationsSubjects.list, { unread: true }, agent)).items.map((n) => n.id)).not.toContain(first.id);
    expect(await svc.rpc.call(NotificationsSubjects.markAllRead, {}, agent)).toEqual({ updated: 1 });
    expect(await svc.rpc.call(NotificationsSubjects.markAllRead, {}, agent)).toEqual({ updated: 0 });
    expect((await svc.rpc.call(NotificationsSubjects.unreadCount, {}, agent)).count).toBe(0);
    const apiKey = apiKeyActorFor({ orgId, permissions: ['notifications:read:org'] });
    expect(await codeOf(svc.rpc.call(NotificationsSubjects.list, {}, apiKey))).toBe('USER_SESSION_REQUIRED');
  });

  it('scopes the history: the owner sees the organization, a manager their team, an agent their own, no permission is refused', async () => {
    const orgId = newId();
    const teamId = newId();
    const inTeam = await user(orgId, 'agent', ['notifications:read:own'], [teamId]);
    const outside = await user(orgId, 'agent', ['notifications:read:own']);
    const manager = await user(orgId, 'manager', ['notifications:read:team'], [teamId]);
    const owner = await user(orgId, 'owner', ['notifications:read:org']);
    const client = actorFor({ orgId, role: 'client', permissions: [] });
    await svc.publish('crm.events', [
      testEvent(CrmContactEvent.contactAssigned, orgId, assignment(inTeam.userId)),
      testEvent(CrmTaskEvent.taskCreated, orgId, task(outside.userId)),
    ]);
    await waitFor(async () => (await historyOf(owner)).length === 2);
    expect((await historyOf(owner)).map((n) => n.recipientUserId).sort()).toEqual([inTeam.userId, outside.userId].sort());
    expect((await historyOf(manager)).map((n) => n.recipientUserId)).toEqual([inTeam.userId]);
    expect((await historyOf(outside)).map((n) => n.type)).toEqual(['task_assigned']);
    expect(await historyOf(outside, { recipientId: inTeam.userId })).toEqual([]);
    expect((await historyOf(owner, { type: 'task_assigned' })).map((n) => n.recipientUserId)).toEqual([outside.userId]);
    expect(await historyOf(owner, { channel: 'email', status: 'blocked' })).toEqual([]);
    expect((await historyOf(owner, { channel: 'in_app', status: 'delivered' })).length).toBe(2);
    expect(await historyOf(owner, { from: '2000-01-01T00:00:00.000Z', to: '2000-01-02T00:00:00.000Z' })).toEqual([]);
    expect(await historyOf(actorFor({ orgId: newId(), role: 'owner', permissions: ['notifications:read:org'] }))).toEqual([]);
    expect(await codeOf(svc.rpc.call(NotificationsSubjects.history, {}, client))).toBe('FORBIDDEN');
  });

  it('retries the email of a recipient the read model does not know yet, then blocks it (NO_ADDRESS), keeping the in-app one', async () => {
    const orgId = newId();
    const unknown = actorFor({ orgId, role: 'agent', permissions: ['notifications:read:own'] });
    await svc.publish('crm.events', [testEvent(CrmContactEvent.contactAssigned, orgId, assignment(unknown.userId!))]);
    await waitFor(async () =>
      (await historyOf(unknown)).some((n) => n.deliveries.some((d) => d.channel === 'email' && d.status !== 'queued')),
    );
    const [history] = await historyOf(unknown);
    expect(history.deliveries.map((d) => [d.channel, d.status, d.reason, d.attempts])).toEqual([
      ['in_app', 'delivered', null, 0],
      ['email', 'blocked', 'NO_ADDRESS', 0],
    ]);
  });
});
