import { newId } from '@keyhouse/util';
import { notificationsDatabase, type NotificationsDatabase } from '../../../../notifications/test/support/notifications-service.fixture';
import { createContact, eventually, waitForUsersInCrm, type ProblemJson } from '../../support/crm.fixture';
import { createUser, registerOrganization, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

interface ActivityJson {
  id: string;
  kind: string;
  occurredAt: string;
  notificationId: string;
  deliveryId: string;
  notificationType: string;
  subject: string;
  email: string | null;
  status: string | null;
  reason: string | null;
  url: string | null;
}

/**
 * `GET /v1/contacts/:id/email-activity` through the gateway (issue 14, docs/adr/0035 "Contacts"):
 * `contacts:read` as for reading the contact — the owning agent and the organization's owner read
 * it; an agent who does not own the contact and another organization answer 404; a malformed id or
 * an unknown query field 400. The contact reaches the notifications read model through crm's
 * `crm.contact.created` (Kafka); its email delivery is written directly into the notifications
 * schema (the service's own specs drive the triggers and webhooks).
 */
describe('contact email activity through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let agent: Session;
  let colleague: Session;
  let stranger: Session;
  let db: NotificationsDatabase;
  let contactId: string;
  let deliveryId: string;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'notifications'] });
    owner = await registerOrganization(stack.http, 'Emailing Realty');
    agent = await createUser(stack.http, owner, 'agent');
    colleague = await createUser(stack.http, owner, 'agent');
    stranger = await registerOrganization(stack.http, 'Elsewhere Realty');
    await waitForUsersInCrm(stack, [{ userId: agent.userId }, { userId: colleague.userId }]);
    db = await notificationsDatabase(stack);
    const contact = await createContact(stack.http, owner.accessToken, {
      firstName: 'Ema',
      lastName: 'Activity',
      email: `ema-${newId()}@example.test`,
      ownerId: agent.userId,
    });
    contactId = contact.id;
    await eventually(
      () => db.query('SELECT owner_id FROM contact_recipient WHERE contact_id = $1', [contactId]),
      (rows) => rows.length === 1 && rows[0].owner_id === agent.userId,
    );
    const notificationId = newId();
    deliveryId = newId();
    await db.query(
      `INSERT INTO notification (id, org_id, recipient_contact_id, type, title, body, source_event_id)
       VALUES ($1, $2, $3, 'saved_search_match', 'A new home matches your search', 'Listing NWM-1 matches.', $4)`,
      [notificationId, owner.orgId, contactId, newId()],
    );
    await db.query(
      `INSERT INTO delivery (id, notification_id, org_id, channel, status, to_address, reason)
       VALUES ($1, $2, $3, 'email', 'blocked', $4, 'CONSENT_MISSING')`,
      [deliveryId, notificationId, owner.orgId, contact.email],
    );
  });

  afterAll(async () => {
    await db?.end();
    await stack?.stop();
  });

  const activity = (session: Session, id = contactId, query = '') =>
    stack.http.get<{ items: ActivityJson[]; nextCursor: string | null } & ProblemJson>(`/v1/contacts/${id}/email-activity${query}`, {
      token: session.accessToken,
    });

  it('answers the owning agent and the organization’s owner with the contact’s sends, blocked ones with their reason', async () => {
    for (const session of [agent, owner]) {
      const response = await activity(session);
      expect(response.status).toBe(200);
      expect(response.body.items).toMatchObject([
        { id: deliveryId, kind: 'send', status: 'blocked', reason: 'CONSENT_MISSING', notificationType: 'saved_search_match' },
      ]);
      expect(response.body.nextCursor).toBeNull();
    }
  });

  it('answers 404 to an agent who does not own the contact and to another organization', async () => {
    for (const session of [colleague, stranger]) {
      const response = await activity(session);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('CONTACT_NOT_FOUND');
    }
  });

  it('refuses a malformed id and an unknown query field with 400', async () => {
    expect((await activity(agent, 'not-a-uuid')).status).toBe(400);
    const unknown = await activity(agent, contactId, '?since=yesterday');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.map((error) => error.field)).toContain('since');
  });
});
