import { notificationsDatabase, type NotificationsDatabase } from '../../../../notifications/test/support/notifications-service.fixture';
import { sendgridEvent, signSendgridBatch } from '../../../../notifications/test/support/sendgrid-signing.fixture';
import { createContact, eventually, waitForUsersInCrm, type ProblemJson } from '../../support/crm.fixture';
import { createUser, registerOrganization, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

interface NotificationJson {
  id: string;
  type: string;
  title: string;
  data: Record<string, unknown>;
  link: string | null;
  readAt: string | null;
}

interface HistoryJson extends NotificationJson {
  recipientUserId: string;
  deliveries: Array<{ id: string; channel: string; status: string; reason: string | null; to: string | null }>;
}

interface PageJson<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Issue 14, first slice, through the gateway: a lead assigned to an agent reaches them in-app (and
 * by email, through the local sink: no SendGrid key here); only they read and mark it (another
 * user and another organization: 404); the history by role; the signed SendGrid Event Webhook.
 * The notifications service runs beside the stack (started here with the stack's environment).
 */
describe('notifications through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let agent: Session;
  let colleague: Session;
  let stranger: Session;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'notifications'] });
    owner = await registerOrganization(stack.http, 'Notified Realty');
    agent = await createUser(stack.http, owner, 'agent');
    colleague = await createUser(stack.http, owner, 'agent');
    stranger = await registerOrganization(stack.http, 'Other Realty');
    await waitForUsersInCrm(stack, [{ userId: agent.userId }, { userId: colleague.userId }]);
    db = await notificationsDatabase(stack);
  });

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  const list = (session: Session, query = '') =>
    stack.http.get<PageJson<NotificationJson>>(`/v1/notifications${query}`, { token: session.accessToken });
  const unread = async (session: Session) =>
    (await stack.http.get<{ count: number }>('/v1/notifications/unread-count', { token: session.accessToken })).body.count;
  const history = (session: Session, query = '') =>
    stack.http.get<PageJson<HistoryJson>>(`/v1/notifications/history${query}`, { token: session.accessToken });

  /** Assigns a new contact to the agent (by the owner); resolves with the agent's notification of it. */
  async function assignLead(): Promise<{ contactId: string; notification: NotificationJson }> {
    const contact = await createContact(stack.http, owner.accessToken, { firstName: 'Lena', lastName: 'Lead' });
    const assigned = await stack.http.request('PATCH', `/v1/contacts/${contact.id}/assign`, {
      json: { ownerId: agent.userId, reason: 'best fit' },
      token: owner.accessToken,
    });
    expect(assigned.status).toBe(200);
    const page = await eventually(
      () => list(agent),
      (response) => response.body.items.some((item) => item.data.contactId === contact.id),
    );
    return { contactId: contact.id, notification: page.body.items.find((item) => item.data.contactId === contact.id)! };
  }

  it('shows a lead assignment to the agent, counts it unread, and only the agent marks it read (others: 404)', async () => {
    const { contactId, notification } = await assignLead();
    expect(notification).toMatchObject({
      type: 'lead_assigned',
      title: 'New lead assigned to you',
      link: `/contacts/${contactId}`,
      readAt: null,
    });
    expect(await unread(agent)).toBe(1);
    expect((await list(colleague)).body.items).toEqual([]);
    expect((await list(agent, '?unread=true&type=lead_assigned')).body.items.map((item) => item.id)).toEqual([notification.id]);

    for (const other of [colleague, stranger, owner]) {
      const refused = await stack.http.post<ProblemJson>(`/v1/notifications/${notification.id}/read`, {}, { token: other.accessToken });
      expect(refused.status).toBe(404);
      expect(refused.body.code).toBe('NOTIFICATION_NOT_FOUND');
    }
    expect(await unread(agent)).toBe(1);

    const read = await stack.http.post<NotificationJson>(`/v1/notifications/${notification.id}/read`, {}, { token: agent.accessToken });
    expect(read.status).toBe(200);
    expect(read.body.readAt).not.toBeNull();
    expect(await unread(agent)).toBe(0);
    expect((await list(agent, '?unread=true')).body.items).toEqual([]);
    const all = await stack.http.post<{ updated: number }>('/v1/notifications/read-all', {}, { token: agent.accessToken });
    expect(all.status).toBe(200);
    expect(all.body).toEqual({ updated: 0 });

    const badId = await stack.http.post<ProblemJson>('/v1/notifications/not-a-uuid/read', {}, { token: agent.accessToken });
    expect(badId.status).toBe(400);
    expect((await stack.http.get('/v1/notifications')).status).toBe(401);
  });

  it('notifies the assignee of a task the owner created, and not an agent creating their own task', async () => {
    const own = await stack.http.post(
      '/v1/tasks',
      { title: 'My own call', type: 'call', dueAt: '2030-01-07T17:00:00Z' },
      { token: agent.accessToken },
    );
    expect(own.status).toBe(201);
    const created = await stack.http.post<{ id: string }>(
      '/v1/tasks',
      { title: 'Call the Lees', type: 'call', dueAt: '2030-01-07T17:00:00Z', assigneeId: agent.userId },
      { token: owner.accessToken },
    );
    expect(created.status).toBe(201);
    const page = await eventually(
      () => list(agent, '?type=task_assigned'),
      (response) => response.body.items.some((item) => item.data.taskId === created.body.id),
    );
    expect(page.body.items.map((item) => item.title)).toEqual(['New task: Call the Lees']);
    expect(page.body.items[0].link).toBe(`/tasks/${created.body.id}`);
    await stack.http.post('/v1/notifications/read-all', {}, { token: agent.accessToken });
  });

  it('marks all read at once', async () => {
    await assignLead();
    await assignLead();
    expect(await unread(agent)).toBe(2);
    const all = await stack.http.post<{ updated: number }>('/v1/notifications/read-all', {}, { token: agent.accessToken });
    expect(all.body).toEqual({ updated: 2 });
    expect(await unread(agent)).toBe(0);
  });

  it('shows the history to the owner for the organization, to an agent for themselves, and refuses an API key without the permission', async () => {
    const { notification } = await assignLead();
    const owned = await eventually(
      () => history(owner),
      (response) =>
        response.body.items.some(
          (item) => item.id === notification.id && item.deliveries.some((d) => d.channel === 'email' && d.status === 'delivered'),
        ),
    );
    const entry = owned.body.items.find((item) => item.id === notification.id)!;
    expect(entry.recipientUserId).toBe(agent.userId);
    expect(entry.deliveries.map((d) => [d.channel, d.status, d.reason])).toEqual([
      ['in_app', 'delivered', null],
      ['email', 'delivered', 'LOCAL_SINK'],
    ]);
    expect(entry.deliveries[1].to).toBe(agent.email.toLowerCase());
    expect((await history(agent)).body.items.every((item) => item.recipientUserId === agent.userId)).toBe(true);
    expect((await history(agent)).body.items.map((item) => item.id)).toContain(notification.id);
    expect((await history(colleague)).body.items).toEqual([]);
    expect((await history(colleague, `?recipientId=${agent.userId}`)).body.items).toEqual([]);
    expect((await history(stranger)).body.items).toEqual([]);
    expect((await history(owner, '?channel=email&status=blocked')).body.items).toEqual([]);
    const invalid = await history(owner, '?channel=pigeon');
    expect(invalid.status).toBe(400);

    const key = await stack.http.post<{ key: string }>(
      '/v1/api-keys',
      { name: 'Contacts only', scopes: ['contacts:read:org'] },
      { token: owner.accessToken },
    );
    expect(key.status).toBe(201);
    const refused = await stack.http.get<ProblemJson>('/v1/notifications/history', { apiKey: key.body.key });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    const notAUser = await stack.http.get<ProblemJson>('/v1/notifications', { apiKey: key.body.key });
    expect(notAUser.status).toBe(403);
    expect(notAUser.body.code).toBe('USER_SESSION_REQUIRED');
  });

  describe('SendGrid Event Webhook', () => {
    const post = (raw: string, headers: Record<string, string>) =>
      stack.http.request<{ received: number; stored: number } & ProblemJson>('POST', '/v1/webhooks/sendgrid/events', { raw, headers });
    const signed = (raw: string, timestamp?: number) => {
      const { signature, timestamp: ts } = signSendgridBatch(raw, timestamp);
      return { 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': ts };
    };
    const stored = async (ids: string[]) =>
      Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM email_event WHERE sg_event_id = ANY($1)', [ids]))[0].n);

    it('stores a correctly signed batch once however often it arrives, and moves the email delivery forward', async () => {
      const { notification } = await assignLead();
      const owned = await eventually(
        () => history(owner),
        (response) =>
          response.body.items.some(
            (item) => item.id === notification.id && item.deliveries.some((d) => d.channel === 'email' && d.status === 'delivered'),
          ),
      );
      const delivery = owned.body.items.find((item) => item.id === notification.id)!.deliveries.find((d) => d.channel === 'email')!;
      const events = [
        sendgridEvent('open', delivery.to!, { notificationId: notification.id, deliveryId: delivery.id }),
        sendgridEvent('click', delivery.to!, {
          notificationId: notification.id,
          deliveryId: delivery.id,
          extra: { url: 'https://example.test' },
        }),
      ];
      // Whitespace SendGrid might send: the signature covers these exact bytes.
      const raw = `${JSON.stringify(events, null, 1)}\n`;
      const first = await post(raw, signed(raw));
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ received: 2, stored: 2 });
      for (let i = 0; i < 2; i++) expect((await post(raw, signed(raw))).body).toEqual({ received: 2, stored: 0 });
      expect(await stored(events.map((event) => event.sg_event_id as string))).toBe(2);
      const after = await history(owner, `?channel=email&status=opened`);
      expect(after.body.items.map((item) => item.id)).toContain(notification.id);
    });

    it('refuses a forged, stale or unsigned batch with 401 and stores nothing', async () => {
      const events = [sendgridEvent('delivered', 'someone@example.test')];
      const raw = JSON.stringify(events);
      const good = signed(raw);
      const attempts: Array<Record<string, string>> = [
        { ...good, 'x-twilio-email-event-webhook-signature': signed(`${raw} `)['x-twilio-email-event-webhook-signature'] },
        signed(raw, Math.floor(Date.now() / 1000) - 3600),
        {},
        { 'x-twilio-email-event-webhook-timestamp': good['x-twilio-email-event-webhook-timestamp'] },
      ];
      for (const headers of attempts) {
        const response = await post(raw, headers);
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('WEBHOOK_SIGNATURE_INVALID');
      }
      const reserialized = JSON.stringify(events, null, 2);
      expect((await post(reserialized, good)).status).toBe(401);
      expect(await stored([events[0].sg_event_id as string])).toBe(0);
    });
  });
});
