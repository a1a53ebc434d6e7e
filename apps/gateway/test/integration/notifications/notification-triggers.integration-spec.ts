import type { ProblemJson } from '../../support/crm.fixture';
import { createUser, registerOrganization, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

interface TriggerJson {
  type: string;
  events: string[];
  recipients: string;
  defaultChannels: string[];
  channels: string[] | null;
  template: { title: string; body: string; action: string };
  enabled: boolean;
  enabledByDefault: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
}

/**
 * `GET/PATCH /v1/notification-triggers` through the gateway (issue 14 "Triggers and history"):
 * owners and admins read and switch the built-in triggers of their own organization
 * (`notifications:manage`); an agent is refused (403); another organization's switches are not
 * visible; an unknown type is 404; unknown or malformed fields are 400 naming the field.
 */
describe('notification triggers through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let admin: Session;
  let agent: Session;
  let stranger: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['notifications'] });
    owner = await registerOrganization(stack.http, 'Switching Realty');
    admin = await createUser(stack.http, owner, 'admin');
    agent = await createUser(stack.http, owner, 'agent');
    stranger = await registerOrganization(stack.http, 'Untouched Realty');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const list = (session: Session) => stack.http.get<{ items: TriggerJson[] }>('/v1/notification-triggers', { token: session.accessToken });
  const patch = (session: Session, type: string, json: Record<string, unknown>) =>
    stack.http.request<TriggerJson & ProblemJson>('PATCH', `/v1/notification-triggers/${type}`, { json, token: session.accessToken });

  it('lists every built-in trigger with its event, recipients, channels, template and switch for the owner', async () => {
    const response = await list(owner);
    expect(response.status).toBe(200);
    expect(response.body.items.map((trigger) => trigger.type)).toEqual([
      'lead_assigned',
      'task_assigned',
      'lead_rerouted',
      'task_reminder',
      'task_overdue',
      'deal_date_reminder',
      'deal_deadline_missed',
      'offer_accepted',
      'invoice_paid',
      'contact_search_matched',
      'client_registered',
    ]);
    expect(response.body.items.find((trigger) => trigger.type === 'task_reminder')).toEqual({
      type: 'task_reminder',
      events: ['crm.task.reminder_due'],
      recipients: 'the assignee of an open task, at each of its reminder offsets',
      defaultChannels: ['in_app', 'email', 'push'],
      channels: null,
      template: { title: 'Reminder: {{taskTitle}}', body: 'Your task "{{taskTitle}}" is due {{dueAt}}.', action: 'Open the task' },
      enabled: true,
      enabledByDefault: true,
      updatedBy: null,
      updatedAt: null,
    });
  });

  it('lets the owner and an admin switch a trigger of their organization; another organization does not see it', async () => {
    const off = await patch(owner, 'offer_accepted', { enabled: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ type: 'offer_accepted', enabled: false, channels: null, updatedBy: owner.userId });
    const channels = await patch(admin, 'invoice_paid', { enabled: true, channels: ['in_app'] });
    expect(channels.status).toBe(200);
    expect(channels.body).toMatchObject({ enabled: true, channels: ['in_app'], updatedBy: admin.userId });
    const mine = (await list(admin)).body.items;
    expect(mine.find((trigger) => trigger.type === 'offer_accepted')).toMatchObject({ enabled: false, updatedBy: owner.userId });
    expect(mine.find((trigger) => trigger.type === 'invoice_paid')).toMatchObject({ channels: ['in_app'] });
    const theirs = (await list(stranger)).body.items;
    expect(theirs.find((trigger) => trigger.type === 'offer_accepted')).toMatchObject({ enabled: true, updatedBy: null, updatedAt: null });
    expect(theirs.find((trigger) => trigger.type === 'invoice_paid')).toMatchObject({ channels: null });
    // The other organization's owner changes only their own organization.
    expect((await patch(stranger, 'offer_accepted', { enabled: true })).status).toBe(200);
    expect((await list(owner)).body.items.find((trigger) => trigger.type === 'offer_accepted')).toMatchObject({ enabled: false });
  });

  it('refuses an agent (403), answers 404 for an unknown type, 400 naming an unknown or malformed field', async () => {
    const read = await list(agent);
    expect(read.status).toBe(403);
    const write = await patch(agent, 'lead_assigned', { enabled: false });
    expect(write.status).toBe(403);
    const unknown = await patch(owner, 'no_such_trigger', { enabled: false });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOTIFICATION_TRIGGER_NOT_FOUND');
    const extra = await patch(owner, 'lead_assigned', { enabled: false, recipients: 'everyone' });
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toEqual([expect.objectContaining({ field: 'recipients' })]);
    const badChannel = await patch(owner, 'lead_assigned', { enabled: true, channels: ['pigeon'] });
    expect(badChannel.status).toBe(400);
    expect(badChannel.body.errors).toEqual([expect.objectContaining({ field: 'channels' })]);
    const missing = await patch(owner, 'lead_assigned', { channels: ['email'] });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ field: 'enabled' })]);
    expect((await list(owner)).body.items.find((trigger) => trigger.type === 'lead_assigned')).toMatchObject({ enabled: true });
  });
});
