import type { ProblemJson } from '../../support/crm.fixture';
import { createUser, registerOrganization, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

interface TemplateJson {
  type: string;
  defaultSubject: string;
  defaultBody: string;
  sendgridTemplateId: string | null;
  updatedBy: string | null;
  updatedAt: string | null;
}

const TEMPLATE_ID = 'd-00112233445566778899aabbccddeeff';

/**
 * `GET /v1/notification-templates` and `PUT /v1/notification-templates/:type` through the gateway
 * (issue 14, SendGrid dynamic templates per organization): owners and admins set their own
 * organization's template ids (`notifications:manage`); an agent is refused (403); another
 * organization's ids are not visible; an unknown type is 404; a malformed, missing or unknown field
 * is 400 naming the field.
 */
describe('notification templates through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let admin: Session;
  let agent: Session;
  let stranger: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['notifications'] });
    owner = await registerOrganization(stack.http, 'Template Realty');
    admin = await createUser(stack.http, owner, 'admin');
    agent = await createUser(stack.http, owner, 'agent');
    stranger = await registerOrganization(stack.http, 'Plain Realty');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const list = (session: Session) =>
    stack.http.get<{ items: TemplateJson[] }>('/v1/notification-templates', { token: session.accessToken });
  /** The fields a 400 problem names, each once. */
  const fieldsOf = (problem: ProblemJson) => [...new Set((problem.errors ?? []).map((error) => error.field))];
  const put = (session: Session, type: string, json: Record<string, unknown>) =>
    stack.http.request<TemplateJson & ProblemJson>('PUT', `/v1/notification-templates/${type}`, { json, token: session.accessToken });

  it('lists every email kind with its built-in default subject and no template id', async () => {
    const response = await list(owner);
    expect(response.status).toBe(200);
    expect(response.body.items.map((item) => item.type)).toEqual(
      expect.arrayContaining(['lead_assigned', 'task_assigned', 'invoice_paid', 'client_registered', 'invoice_sent', 'saved_search_match']),
    );
    expect(response.body.items.find((item) => item.type === 'task_reminder')).toEqual({
      type: 'task_reminder',
      defaultSubject: 'Reminder: {{taskTitle}}',
      defaultBody: 'Your task "{{taskTitle}}" is due {{dueAt}}.',
      sendgridTemplateId: null,
      updatedBy: null,
      updatedAt: null,
    });
  });

  it('lets the owner and an admin set and remove a template id; another organization does not see it', async () => {
    const set = await put(owner, 'lead_assigned', { sendgridTemplateId: TEMPLATE_ID });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ type: 'lead_assigned', sendgridTemplateId: TEMPLATE_ID, updatedBy: owner.userId });
    const byAdmin = await put(admin, 'invoice_sent', { sendgridTemplateId: TEMPLATE_ID });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body).toMatchObject({ sendgridTemplateId: TEMPLATE_ID, updatedBy: admin.userId });
    const mine = (await list(admin)).body.items;
    expect(mine.find((item) => item.type === 'lead_assigned')).toMatchObject({ sendgridTemplateId: TEMPLATE_ID, updatedBy: owner.userId });
    const theirs = (await list(stranger)).body.items;
    expect(theirs.find((item) => item.type === 'lead_assigned')).toMatchObject({ sendgridTemplateId: null, updatedBy: null });
    // The other organization's owner changes only their own organization.
    expect((await put(stranger, 'lead_assigned', { sendgridTemplateId: null })).status).toBe(200);
    expect((await list(owner)).body.items.find((item) => item.type === 'lead_assigned')?.sendgridTemplateId).toBe(TEMPLATE_ID);
    const removed = await put(owner, 'invoice_sent', { sendgridTemplateId: null });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ sendgridTemplateId: null });
  });

  it('refuses an agent (403), answers 404 for an unknown type, 400 naming a malformed, missing or unknown field', async () => {
    expect((await list(agent)).status).toBe(403);
    expect((await put(agent, 'lead_assigned', { sendgridTemplateId: TEMPLATE_ID })).status).toBe(403);
    const unknown = await put(owner, 'no_such_type', { sendgridTemplateId: TEMPLATE_ID });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOTIFICATION_TEMPLATE_NOT_FOUND');
    for (const bad of ['d-123', 'x-00112233445566778899aabbccddeeff', `${TEMPLATE_ID}0`, 42]) {
      const refused = await put(owner, 'task_assigned', { sendgridTemplateId: bad });
      expect(refused.status).toBe(400);
      expect(fieldsOf(refused.body)).toEqual(['sendgridTemplateId']);
    }
    const missing = await put(owner, 'task_assigned', {});
    expect(missing.status).toBe(400);
    expect(fieldsOf(missing.body)).toEqual(['sendgridTemplateId']);
    const extra = await put(owner, 'task_assigned', { sendgridTemplateId: null, subject: 'Hi' });
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toEqual([expect.objectContaining({ field: 'subject' })]);
    expect((await list(owner)).body.items.find((item) => item.type === 'task_assigned')?.sendgridTemplateId).toBeNull();
  });
});
