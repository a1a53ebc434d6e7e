import { DealsEvent, IdentityEvent, NotificationTemplatesSubjects } from '@keyhouse/contracts';
import { actorFor, refusalOf, startService, testEvent, waitFor, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startProviderSandbox, type RunningProviderSandbox } from '../../../provider-sandbox/src/main';
import { startNotifications } from '../../src/main';
import { knownContact, sentInvoice } from '../support/contact-recipient.fixture';
import { assignLeadAndWaitForEmail, notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';

interface SandboxMessage {
  messageId: string;
  from: string;
  subject: string | null;
  templateId: string | null;
  categories: string[];
  recipients: Array<{ email: string; customArgs: Record<string, string> }>;
  request: {
    from: { email: string; name?: string };
    subject?: string;
    template_id?: string;
    content?: Array<{ type: string; value: string }>;
    personalizations: Array<{ dynamic_template_data?: Record<string, unknown> }>;
  };
}

const API_KEY = 'SG.keyhouse-templates-key';
const TEMPLATE_ID = 'd-0123456789abcdef0123456789abcdef';
const APP_URL = 'http://localhost:4200';

/**
 * SendGrid dynamic templates per organization and the organization's branding (issue 14;
 * docs/adr/0035 "Email templates and branding"), through the real SDK (`@sendgrid/mail`) to the
 * provider sandbox; the branding from identity's organization events (group `notifications.branding`).
 */
describe('notifications: email templates and branding', () => {
  let sandbox: RunningProviderSandbox;
  let svc: TestService;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    sandbox = await startProviderSandbox({ port: 0, settings: { autoEvents: false } });
    svc = await startService(startNotifications, {
      SENDGRID_API_KEY: API_KEY,
      SENDGRID_BASE_URL: sandbox.url,
      SENDGRID_RETRY_DELAY_MS: '50',
      NOTIFICATIONS_APP_URL: APP_URL,
    });
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
    await sandbox?.close();
  });

  async function messagesTo(email: string): Promise<SandboxMessage[]> {
    const response = await fetch(`${sandbox.url}/sandbox/sendgrid/messages?to=${encodeURIComponent(email)}`);
    return (await response.json()) as SandboxMessage[];
  }

  /** A new organization named `name`, known to the branding read model. */
  async function organization(name: string): Promise<string> {
    const orgId = newId();
    await svc.publish('identity.events', [
      testEvent(IdentityEvent.organizationCreated, orgId, { organizationId: orgId, name }, { subject: orgId }),
    ]);
    await waitFor(async () => (await db.query('SELECT 1 FROM org_branding WHERE org_id = $1', [orgId])).length === 1);
    return orgId;
  }

  /** `identity.organization.updated` with a branding change (the whole object), keyed by the organization as identity emits it. */
  function brandingUpdated(orgId: string, to: Record<string, string | null>) {
    return testEvent(
      IdentityEvent.organizationUpdated,
      orgId,
      {
        organizationId: orgId,
        changes: { branding: { from: { displayName: null, logoUrl: null, primaryColor: null, secondaryColor: null }, to } },
      },
      { subject: orgId },
    );
  }

  async function brandingRow(orgId: string): Promise<Record<string, unknown>> {
    const [row] = await db.query(
      'SELECT name, display_name, logo_url, primary_color, secondary_color FROM org_branding WHERE org_id = $1',
      [orgId],
    );
    return row;
  }

  /** An agent of `orgId` (its recipient row), a lead assigned to them, and the email delivery once it left `queued`. */
  const leadEmail = (orgId: string) => assignLeadAndWaitForEmail(svc, db, orgId);

  const admin = (orgId: string) => actorFor({ orgId, role: 'admin', permissions: ['notifications:manage:org'] });

  it('sends with the organization’s template id and the dynamic data with its branding, no subject or content', async () => {
    const orgId = await organization('Acme Realty LLC');
    await svc.publish('identity.events', [
      brandingUpdated(orgId, {
        displayName: 'Acme Realty',
        logoUrl: 'https://cdn.example/acme.png',
        primaryColor: '#112233',
        secondaryColor: '#445566',
      }),
    ]);
    await waitFor(async () => (await brandingRow(orgId)).display_name === 'Acme Realty');
    const set = await svc.rpc.call(
      NotificationTemplatesSubjects.update,
      { type: 'lead_assigned', sendgridTemplateId: TEMPLATE_ID },
      admin(orgId),
    );
    expect(set).toMatchObject({ type: 'lead_assigned', sendgridTemplateId: TEMPLATE_ID, defaultSubject: 'New lead assigned to you' });

    const { email, notificationId, delivery } = await leadEmail(orgId);
    expect(delivery).toMatchObject({ status: 'sent', attempts: 1 });
    const [message, ...others] = await messagesTo(email);
    expect(others).toEqual([]);
    expect(message.templateId).toBe(TEMPLATE_ID);
    expect(message.request.template_id).toBe(TEMPLATE_ID);
    expect(message.request.subject).toBeUndefined();
    expect(message.request.content).toBeUndefined();
    expect(message.request.from).toEqual({ email: 'notifications@keyhouse.test', name: 'Acme Realty' });
    expect(message.categories).toEqual(['lead_assigned']);
    expect(message.recipients).toEqual([expect.objectContaining({ email, customArgs: { notificationId, deliveryId: delivery.id } })]);
    const [notification] = await db.query<{ link: string; data: { contactId: string } }>(
      'SELECT link, data FROM notification WHERE id = $1',
      [notificationId],
    );
    expect(message.request.personalizations[0].dynamic_template_data).toEqual({
      type: 'lead_assigned',
      subject: 'New lead assigned to you',
      title: 'New lead assigned to you',
      body: 'A lead was assigned to you (round robin).',
      action: 'Open the lead',
      link: `${APP_URL}${notification.link}`,
      data: notification.data,
      branding: { name: 'Acme Realty', logoUrl: 'https://cdn.example/acme.png', primaryColor: '#112233', secondaryColor: '#445566' },
    });
  });

  it('a send retried after a 503 reaches SendGrid once, still with the template', async () => {
    const orgId = await organization('Holly Homes');
    await svc.rpc.call(NotificationTemplatesSubjects.update, { type: 'lead_assigned', sendgridTemplateId: TEMPLATE_ID }, admin(orgId));
    const fault = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'sendgrid', status: 503, count: 1 }),
    });
    expect(fault.status).toBe(201);
    const { email, delivery } = await leadEmail(orgId);
    expect(delivery).toMatchObject({ status: 'sent', attempts: 2 });
    const messages = await messagesTo(email);
    expect(messages.map((message) => [message.messageId, message.templateId])).toEqual([[delivery.providerMessageId, TEMPLATE_ID]]);
  });

  it('an email to a crm contact carries the contact id in custom_args and uses the organization’s template of its kind', async () => {
    const orgId = await organization('Grove Realty');
    const contactTemplate = 'd-ffeeddccbbaa99887766554433221100';
    await svc.rpc.call(NotificationTemplatesSubjects.update, { type: 'invoice_sent', sendgridTemplateId: contactTemplate }, admin(orgId));
    const email = `client-${newId().slice(-12)}@example.test`;
    const contactId = await knownContact(svc, db, { orgId, ownerId: newId(), email });
    const sent = testEvent(DealsEvent.invoiceSent, orgId, { invoice: sentInvoice(contactId) });
    await svc.publish('deals.events', [sent]);
    await waitFor(async () => (await messagesTo(email)).length === 1);
    const [delivery] = await db.query<{ id: string; notification_id: string }>(
      `SELECT d.id, d.notification_id FROM delivery d JOIN notification n ON n.id = d.notification_id
        WHERE n.recipient_contact_id = $1 AND d.channel = 'email'`,
      [contactId],
    );
    const [message] = await messagesTo(email);
    expect(message.templateId).toBe(contactTemplate);
    expect(message.request.from.name).toBe('Grove Realty');
    expect(message.categories).toEqual(['invoice_sent']);
    expect(message.recipients[0].customArgs).toEqual({ notificationId: delivery.notification_id, deliveryId: delivery.id, contactId });
  });

  it('without a template id sends the built-in HTML with the organization’s display name and colour', async () => {
    const orgId = await organization('Bay Homes');
    await svc.publish('identity.events', [
      brandingUpdated(orgId, { displayName: 'Bay <Homes> & Co', logoUrl: null, primaryColor: '#A1B2C3', secondaryColor: null }),
    ]);
    await waitFor(async () => (await brandingRow(orgId)).primary_color === '#A1B2C3');
    const { email } = await leadEmail(orgId);
    const [message] = await messagesTo(email);
    expect(message.templateId).toBeNull();
    expect(message.subject).toBe('New lead assigned to you');
    expect(message.request.from).toEqual({ email: 'notifications@keyhouse.test', name: 'Bay <Homes> & Co' });
    const html = message.request.content?.find((part) => part.type === 'text/html')?.value ?? '';
    expect(html).toContain('<p><strong>Bay &lt;Homes&gt; &amp; Co</strong></p>');
    expect(html).toContain('<h1 style="color:#A1B2C3">New lead assigned to you</h1>');
    expect(html).not.toContain('<Homes>');
  });

  it('a branding update from identity changes the next email; a redelivered older update is not applied again', async () => {
    const orgId = await organization('Cedar Brokers');
    const { email: first } = await leadEmail(orgId);
    expect((await messagesTo(first))[0].request.from.name).toBe('Cedar Brokers');

    const older = brandingUpdated(orgId, { displayName: 'Cedar One', logoUrl: null, primaryColor: '#010101', secondaryColor: null });
    const newer = brandingUpdated(orgId, { displayName: 'Cedar Two', logoUrl: null, primaryColor: '#020202', secondaryColor: null });
    await svc.publish('identity.events', [older, newer]);
    await waitFor(async () => (await brandingRow(orgId)).display_name === 'Cedar Two');
    // The older update delivered again (same event id), then a rename on the same key: once the rename
    // is applied, the redelivery before it was consumed, and the inbox kept it from applying twice.
    const renamed = testEvent(
      IdentityEvent.organizationUpdated,
      orgId,
      { organizationId: orgId, changes: { name: { from: 'Cedar Brokers', to: 'Cedar Brokers Inc' } } },
      { subject: orgId },
    );
    await svc.publish('identity.events', [older, renamed]);
    await waitFor(async () => (await brandingRow(orgId)).name === 'Cedar Brokers Inc');
    expect(await brandingRow(orgId)).toMatchObject({ display_name: 'Cedar Two', primary_color: '#020202' });

    const { email: second } = await leadEmail(orgId);
    const [message] = await messagesTo(second);
    expect(message.request.from.name).toBe('Cedar Two');
    expect(message.request.content?.find((part) => part.type === 'text/html')?.value).toContain('<h1 style="color:#020202">');
  });

  it('stores a logo that is not https and a colour that is not #RRGGBB as null (the event is not parked)', async () => {
    const orgId = await organization('Dune Realty');
    await svc.publish('identity.events', [
      brandingUpdated(orgId, { displayName: 'Dune', logoUrl: 'javascript:alert(1)', primaryColor: 'red;x:y', secondaryColor: '#ABCDEF' }),
    ]);
    await waitFor(async () => (await brandingRow(orgId)).display_name === 'Dune');
    expect(await brandingRow(orgId)).toEqual({
      name: 'Dune Realty',
      display_name: 'Dune',
      logo_url: null,
      primary_color: null,
      secondary_color: '#ABCDEF',
    });
  });

  it('lists every kind, sets and removes an id with an event, refuses bad ids, unknown types and agents, and keeps organizations apart', async () => {
    const orgId = await organization('Elm Estates');
    const other = await organization('Fir Estates');
    const list = await svc.rpc.call(NotificationTemplatesSubjects.list, {}, admin(orgId));
    expect(list.items.find((item) => item.type === 'invoice_sent')).toEqual({
      type: 'invoice_sent',
      defaultSubject: 'Invoice {{number}} from your agent',
      defaultBody: expect.any(String),
      sendgridTemplateId: null,
      updatedBy: null,
      updatedAt: null,
    });
    expect(list.items.map((item) => item.type)).toEqual(
      expect.arrayContaining(['lead_assigned', 'client_registered', 'saved_search_match']),
    );

    const upper = 'd-ABCDEF0123456789ABCDEF0123456789';
    const set = await svc.rpc.call(NotificationTemplatesSubjects.update, { type: 'invoice_sent', sendgridTemplateId: upper }, admin(orgId));
    expect(set.sendgridTemplateId).toBe(upper.toLowerCase());
    const removed = await svc.rpc.call(
      NotificationTemplatesSubjects.update,
      { type: 'invoice_sent', sendgridTemplateId: null },
      admin(orgId),
    );
    expect(removed).toMatchObject({ sendgridTemplateId: null, updatedBy: null });
    const outbox = await db.query<{ payload: { data: unknown; subject: string } }>(
      `SELECT payload FROM outbox_event WHERE event_type = 'notifications.template.updated' AND payload->>'orgid' = $1 ORDER BY created_at, id`,
      [orgId],
    );
    expect(outbox.map((row) => row.payload.data)).toEqual([
      { type: 'invoice_sent', sendgridTemplateId: upper.toLowerCase(), from: null },
      { type: 'invoice_sent', sendgridTemplateId: null, from: upper.toLowerCase() },
    ]);

    await svc.rpc.call(NotificationTemplatesSubjects.update, { type: 'lead_assigned', sendgridTemplateId: TEMPLATE_ID }, admin(orgId));
    const otherList = await svc.rpc.call(NotificationTemplatesSubjects.list, {}, admin(other));
    expect(otherList.items.find((item) => item.type === 'lead_assigned')?.sendgridTemplateId).toBeNull();

    const agent = actorFor({ orgId, role: 'agent', permissions: ['notifications:read:own'] });
    expect((await refusalOf(svc.rpc.call(NotificationTemplatesSubjects.list, {}, agent))).code).toBe('FORBIDDEN');
    expect(
      (await refusalOf(svc.rpc.call(NotificationTemplatesSubjects.update, { type: 'lead_assigned', sendgridTemplateId: null }, agent)))
        .code,
    ).toBe('FORBIDDEN');
    expect(
      (
        await refusalOf(
          svc.rpc.call(NotificationTemplatesSubjects.update, { type: 'no_such_type', sendgridTemplateId: null }, admin(orgId)),
        )
      ).code,
    ).toBe('NOTIFICATION_TEMPLATE_NOT_FOUND');
    const refused = await refusalOf(
      svc.rpc.call(NotificationTemplatesSubjects.update, { type: 'lead_assigned', sendgridTemplateId: 'd-123' }, admin(orgId)),
    );
    expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field: 'sendgridTemplateId' })] });
  });
});
