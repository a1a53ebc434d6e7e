import Bull from 'bull';
import {
  CrmContactEvent,
  DealsEvent,
  ListingsEvent,
  NotificationsSubjects,
  type Actor,
  type CloudEvent,
  type SearchMatchedData,
} from '@keyhouse/contracts';
import { actorFor, refusalOf, startService, testEvent, waitFor, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startSandbox, type StartedSandbox } from '../../../provider-sandbox/test/support/provider-sandbox.fixture';
import { startNotifications } from '../../src/main';
import { knownContact, sentInvoice, type ContactFacts } from '../support/contact-recipient.fixture';
import { notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';
import { sendgridEvent, signSendgridBatch } from '../support/sendgrid-signing.fixture';
import { TEST_TWILIO_AUTH_TOKEN, TEST_TWILIO_WEBHOOK_BASE_URL, signedTwilioRequest } from '../support/twilio-signing.fixture';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const FROM = '+15005550006';

/** A fresh mobile number (E.164). */
function newPhone(): string {
  return `+1415${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
}

/** A fresh address. */
function newEmail(): string {
  return `contact-${newId().slice(-12)}@example.test`;
}

interface DeliveryRow {
  channel: string;
  status: string;
  reason: string | null;
  to_address: string | null;
}

/**
 * Notifications to crm contacts (issue 14, docs/adr/0035 "Contacts"): the contacts read model,
 * `invoice_sent` and `saved_search_match`, consent at creation with its block reasons, STOP and
 * bounce through the verified webhooks, the dedupe of a redelivered event, the history's scope and
 * the contact's email activity. Email goes to the local sink (no SendGrid key), SMS through the
 * `twilio` SDK to the provider sandbox.
 */
describe('notifications: to contacts, with consent', () => {
  let sandbox: StartedSandbox;
  let svc: TestService;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    sandbox = await startSandbox({ autoEvents: false });
    svc = await startService(startNotifications, {
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
      TWILIO_FROM_NUMBER: FROM,
      TWILIO_BASE_URL: sandbox.url,
      TWILIO_WEBHOOK_BASE_URL: TEST_TWILIO_WEBHOOK_BASE_URL,
      TWILIO_RETRY_DELAY_MS: '50',
    });
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
    await sandbox?.close();
  });

  /** A new organization with an agent (owner of the contacts) and an admin. */
  function organization(): { orgId: string; agent: Actor; otherAgent: Actor; admin: Actor } {
    const orgId = newId();
    const agentPermissions = ['notifications:read:own', 'contacts:read:own'];
    return {
      orgId,
      agent: actorFor({ orgId, role: 'agent', permissions: agentPermissions }),
      otherAgent: actorFor({ orgId, role: 'agent', permissions: agentPermissions }),
      admin: actorFor({ orgId, role: 'admin', permissions: ['notifications:read:org', 'contacts:read:org'] }),
    };
  }

  function searchMatched(orgId: string, contactId: string): CloudEvent<SearchMatchedData> {
    return testEvent(ListingsEvent.searchMatched, orgId, {
      savedSearchId: newId(),
      contactId,
      propertyId: newId(),
      listingKey: `NWM-${Math.floor(Math.random() * 1_000_000)}`,
    });
  }

  /** The deliveries of the notification `type` to `contactId` raised by `sourceEventId`, once none is `queued`. */
  async function settledDeliveries(contactId: string, sourceEventId: string): Promise<DeliveryRow[]> {
    let rows: DeliveryRow[] = [];
    await waitFor(async () => {
      rows = await db.query<DeliveryRow>(
        `SELECT d.channel, d.status, d.reason, d.to_address FROM delivery d JOIN notification n ON n.id = d.notification_id
          WHERE n.recipient_contact_id = $1 AND n.source_event_id = $2 ORDER BY d.channel`,
        [contactId, sourceEventId],
      );
      return rows.length > 0 && rows.every((row) => row.status !== 'queued');
    });
    return rows;
  }

  /** Publishes a saved-search match for `contactId` and returns its settled deliveries by channel. */
  async function matchFor(orgId: string, contactId: string): Promise<Record<string, DeliveryRow>> {
    const event = searchMatched(orgId, contactId);
    await svc.publish('listings.events', [event]);
    return Object.fromEntries((await settledDeliveries(contactId, event.id)).map((row) => [row.channel, row]));
  }

  describe('consent at creation', () => {
    it('sends a marketing match on the channels the contact consented to and blocks the others with their reason', async () => {
      const { orgId, agent } = organization();
      const base: ContactFacts = { orgId, ownerId: agent.userId! };
      const both = await knownContact(svc, db, { ...base, email: newEmail(), phone: newPhone(), emailConsent: true, smsConsent: true });
      const emailOnly = await knownContact(svc, db, {
        ...base,
        email: newEmail(),
        phone: newPhone(),
        emailConsent: true,
        smsConsent: false,
      });
      const neverAsked = await knownContact(svc, db, { ...base, email: newEmail(), phone: newPhone() });
      const doNotContact = await knownContact(svc, db, {
        ...base,
        email: newEmail(),
        phone: newPhone(),
        emailConsent: true,
        smsConsent: true,
        doNotContact: true,
      });
      const noPhone = await knownContact(svc, db, { ...base, email: newEmail(), emailConsent: true, smsConsent: true });

      expect(await matchFor(orgId, both)).toMatchObject({
        email: { status: 'delivered', reason: 'LOCAL_SINK' },
        sms: { status: 'sent', reason: null },
      });
      expect(await matchFor(orgId, emailOnly)).toMatchObject({
        email: { status: 'delivered' },
        sms: { status: 'blocked', reason: 'CONSENT_MISSING' },
      });
      expect(await matchFor(orgId, neverAsked)).toMatchObject({
        email: { status: 'blocked', reason: 'CONSENT_MISSING' },
        sms: { status: 'blocked', reason: 'CONSENT_MISSING' },
      });
      expect(await matchFor(orgId, doNotContact)).toMatchObject({
        email: { status: 'blocked', reason: 'DO_NOT_CONTACT' },
        sms: { status: 'blocked', reason: 'DO_NOT_CONTACT' },
      });
      const withoutPhone = await matchFor(orgId, noPhone);
      expect(Object.keys(withoutPhone)).toEqual(['email']);
    });

    it('sends a transactional invoice without a consent record, to the billing address, but never to a do-not-contact contact', async () => {
      const { orgId, agent } = organization();
      const contact = await knownContact(svc, db, { orgId, ownerId: agent.userId!, email: newEmail() });
      const billing = newEmail();
      const sent = testEvent(DealsEvent.invoiceSent, orgId, { invoice: sentInvoice(contact, billing.toUpperCase()) });
      await svc.publish('deals.events', [sent]);
      expect(await settledDeliveries(contact, sent.id)).toEqual([
        { channel: 'email', status: 'delivered', reason: 'LOCAL_SINK', to_address: billing },
      ]);
      const [mail] = await db.query<{ subject: string; text_body: string }>(
        'SELECT subject, text_body FROM local_email WHERE to_address = $1',
        [billing],
      );
      expect(mail.subject).toMatch(/^Invoice INV-\d+ from your agent$/);
      expect(mail.text_body).toContain('$495.00');

      const barred = await knownContact(svc, db, { orgId, ownerId: agent.userId!, email: newEmail(), doNotContact: true });
      const refused = testEvent(DealsEvent.invoiceSent, orgId, { invoice: sentInvoice(barred) });
      await svc.publish('deals.events', [refused]);
      expect(await settledDeliveries(barred, refused.id)).toMatchObject([
        { channel: 'email', status: 'blocked', reason: 'DO_NOT_CONTACT' },
      ]);
    });

    it('follows crm: a consent withdrawn in crm.contact.updated blocks the next match; an unknown contact gets NO_ADDRESS', async () => {
      const { orgId, agent } = organization();
      const contact = await knownContact(svc, db, {
        orgId,
        ownerId: agent.userId!,
        email: newEmail(),
        phone: newPhone(),
        emailConsent: true,
        smsConsent: true,
      });
      const at = new Date().toISOString();
      await svc.publish('crm.events', [
        testEvent(CrmContactEvent.contactUpdated, orgId, {
          contactId: contact,
          changes: {
            consent: {
              from: { email: { granted: true, source: 'web_form', at }, sms: { granted: true, source: 'web_form', at } },
              to: { email: { granted: true, source: 'web_form', at }, sms: { granted: false, source: 'agent', at } },
            },
          },
        }),
      ]);
      await waitFor(
        async () =>
          (await db.query('SELECT 1 FROM contact_recipient WHERE contact_id = $1 AND sms_consent = false', [contact])).length === 1,
      );
      expect(await matchFor(orgId, contact)).toMatchObject({
        email: { status: 'delivered' },
        sms: { status: 'blocked', reason: 'CONSENT_MISSING' },
      });
      expect(await matchFor(orgId, newId())).toMatchObject({ email: { status: 'blocked', reason: 'NO_ADDRESS' } });
    });
  });

  it('blocks a marketing SMS OPTED_OUT after the contact texted STOP (no call to Twilio), the email still going', async () => {
    const { orgId, agent } = organization();
    const phone = newPhone();
    const contact = await knownContact(svc, db, {
      orgId,
      ownerId: agent.userId!,
      email: newEmail(),
      phone,
      emailConsent: true,
      smsConsent: true,
    });
    expect(await matchFor(orgId, contact)).toMatchObject({ sms: { status: 'sent' } });
    await svc.rpc.call(
      NotificationsSubjects.twilioInbound,
      signedTwilioRequest('/v1/webhooks/twilio/inbound', {
        MessageSid: `SM${newId().replace(/-/g, '')}`,
        From: phone,
        To: FROM,
        Body: 'STOP',
      }),
    );
    const optedOut = await db.query<{ org_id: string }>(
      `SELECT payload->>'orgid' AS org_id FROM outbox_event WHERE event_type = 'notifications.sms.opted_out' AND payload->'data'->>'phone' = $1`,
      [phone],
    );
    expect(optedOut).toEqual([{ org_id: orgId }]);
    expect(await matchFor(orgId, contact)).toMatchObject({
      email: { status: 'delivered' },
      sms: { status: 'blocked', reason: 'OPTED_OUT' },
    });
    expect(await sandbox.api.twilioMessages({ to: phone })).toHaveLength(1);
  });

  it('files a STOP from a contact never texted under the contact’s organization, so crm can record it', async () => {
    const { orgId, agent } = organization();
    const phone = newPhone();
    await knownContact(svc, db, { orgId, ownerId: agent.userId!, email: newEmail(), phone, emailConsent: true, smsConsent: true });
    await svc.rpc.call(
      NotificationsSubjects.twilioInbound,
      signedTwilioRequest('/v1/webhooks/twilio/inbound', {
        MessageSid: `SM${newId().replace(/-/g, '')}`,
        From: phone,
        To: FROM,
        Body: 'STOP',
      }),
    );
    const optedOut = await db.query<{ org_id: string }>(
      `SELECT payload->>'orgid' AS org_id FROM outbox_event WHERE event_type = 'notifications.sms.opted_out' AND payload->'data'->>'phone' = $1`,
      [phone],
    );
    expect(optedOut).toEqual([{ org_id: orgId }]);
  });

  it('checks consent again right before the send: consent withdrawn while the SMS job waited → blocked CONSENT_MISSING, nothing sent', async () => {
    const { orgId, agent } = organization();
    const phone = newPhone();
    const contact = await knownContact(svc, db, {
      orgId,
      ownerId: agent.userId!,
      email: newEmail(),
      phone,
      emailConsent: true,
      smsConsent: true,
    });
    // Hold the SMS queue (Bull's global pause) so the job of the next match waits.
    const smsQueue = new Bull('notifications.sms', svc.env.REDIS_URL!, { prefix: `${svc.env.REDIS_KEY_PREFIX}bull` });
    await smsQueue.pause();
    try {
      const event = searchMatched(orgId, contact);
      await svc.publish('listings.events', [event]);
      await waitFor(
        async () =>
          (
            await db.query(
              `SELECT 1 FROM delivery d JOIN notification n ON n.id = d.notification_id
                WHERE n.source_event_id = $1 AND n.recipient_contact_id = $2 AND d.channel = 'sms' AND d.status = 'queued'`,
              [event.id, contact],
            )
          ).length === 1,
      );
      const at = new Date().toISOString();
      await svc.publish('crm.events', [
        testEvent(CrmContactEvent.contactUpdated, orgId, {
          contactId: contact,
          changes: {
            consent: { from: {}, to: { email: { granted: true, source: 'web_form', at }, sms: { granted: false, source: 'agent', at } } },
          },
        }),
      ]);
      await waitFor(
        async () =>
          (await db.query('SELECT 1 FROM contact_recipient WHERE contact_id = $1 AND sms_consent = false', [contact])).length === 1,
      );
      await smsQueue.resume();
      expect((await settledDeliveries(contact, event.id)).find((row) => row.channel === 'sms')).toMatchObject({
        status: 'blocked',
        reason: 'CONSENT_MISSING',
      });
      expect(await sandbox.api.twilioMessages({ to: phone })).toEqual([]);
    } finally {
      await smsQueue.resume();
      await smsQueue.close();
    }
  });

  it('creates one notification for an event delivered twice', async () => {
    const { orgId, agent } = organization();
    const phone = newPhone();
    const contact = await knownContact(svc, db, {
      orgId,
      ownerId: agent.userId!,
      email: newEmail(),
      phone,
      emailConsent: true,
      smsConsent: true,
    });
    const event = searchMatched(orgId, contact);
    await svc.publish('listings.events', [event]);
    await settledDeliveries(contact, event.id);
    await svc.publish('listings.events', [event, { ...event, id: event.id }]);
    // Same key as the duplicates (the saved search): handled after them.
    const marker = { ...searchMatched(orgId, contact), subject: event.subject };
    await svc.publish('listings.events', [marker]);
    await settledDeliveries(contact, marker.id);
    expect(
      await db.query('SELECT 1 FROM notification WHERE recipient_contact_id = $1 AND source_event_id = $2', [contact, event.id]),
    ).toHaveLength(1);
    expect(await sandbox.api.twilioMessages({ to: phone })).toHaveLength(2);
  });

  it('suppresses a bounced address (event filed under the contact’s organization), blocks the next email SUPPRESSED and shows the activity newest first', async () => {
    const { orgId, agent, otherAgent, admin } = organization();
    const email = newEmail();
    const contact = await knownContact(svc, db, { orgId, ownerId: agent.userId!, email, emailConsent: true });
    const first = searchMatched(orgId, contact);
    await svc.publish('listings.events', [first]);
    await settledDeliveries(contact, first.id);
    const [delivery] = await db.query<{ id: string; notification_id: string }>(
      `SELECT d.id, d.notification_id FROM delivery d JOIN notification n ON n.id = d.notification_id WHERE n.source_event_id = $1 AND n.recipient_contact_id = $2 AND d.channel = 'email'`,
      [first.id, contact],
    );
    // The first email went out a minute ago, its events followed (SendGrid's timestamps are seconds).
    await db.query(`UPDATE delivery SET sent_at = now() - interval '60 seconds' WHERE id = $1`, [delivery.id]);
    const base = Math.floor(Date.now() / 1000) - 50;
    const args = { deliveryId: delivery.id, notificationId: delivery.notification_id };
    const batch = JSON.stringify([
      sendgridEvent('delivered', email, { ...args, timestamp: base + 1 }),
      sendgridEvent('open', email, { ...args, timestamp: base + 2 }),
      sendgridEvent('click', email, { ...args, timestamp: base + 3, extra: { url: 'https://keyhouse.test/listing' } }),
      sendgridEvent('bounce', email, { ...args, timestamp: base + 4, extra: { type: 'bounce', reason: '550 5.1.1 no such user' } }),
    ]);
    await svc.rpc.call(NotificationsSubjects.sendgridEvents, { rawBody: batch, ...signSendgridBatch(batch) });
    const suppressed = await db.query<{ org_id: string }>(
      `SELECT payload->>'orgid' AS org_id FROM outbox_event WHERE event_type = 'notifications.email.suppressed' AND payload->'data'->>'email' = $1`,
      [email],
    );
    expect(suppressed).toEqual([{ org_id: orgId }]);
    expect(await matchFor(orgId, contact)).toMatchObject({ email: { status: 'blocked', reason: 'SUPPRESSED' } });

    const activity = await svc.rpc.call(NotificationsSubjects.contactEmailActivity, { contactId: contact, limit: 3 }, agent);
    expect(activity.items.map((item) => item.kind)).toEqual(['send', 'bounce', 'click']);
    expect(activity.items[0]).toMatchObject({ status: 'blocked', reason: 'SUPPRESSED', email, notificationType: 'saved_search_match' });
    expect(activity.items[2]).toMatchObject({ url: 'https://keyhouse.test/listing', deliveryId: delivery.id });
    const rest = await svc.rpc.call(
      NotificationsSubjects.contactEmailActivity,
      { contactId: contact, limit: 10, cursor: activity.nextCursor! },
      admin,
    );
    expect(rest.items.map((item) => item.kind)).toEqual(['open', 'delivered', 'send']);
    expect(rest.items[2]).toMatchObject({ id: delivery.id, status: 'opened', reason: 'LOCAL_SINK' });
    expect(rest.nextCursor).toBeNull();

    // Scope: another agent of the organization, another organization's admin, an unknown contact → 404.
    const stranger = organization().admin;
    for (const [actor, contactId] of [
      [otherAgent, contact],
      [stranger, contact],
      [admin, newId()],
    ] as const) {
      expect((await refusalOf(svc.rpc.call(NotificationsSubjects.contactEmailActivity, { contactId }, actor))).code).toBe(
        'CONTACT_NOT_FOUND',
      );
    }
    const noPermission = actorFor({ orgId, role: 'client', permissions: [] });
    expect((await refusalOf(svc.rpc.call(NotificationsSubjects.contactEmailActivity, { contactId: contact }, noPermission))).code).toBe(
      'FORBIDDEN',
    );
  });

  it('shows contact notifications in the history of the organization’s admin and of the owning agent, not of another agent', async () => {
    const { orgId, agent, otherAgent, admin } = organization();
    const contact = await knownContact(svc, db, { orgId, ownerId: agent.userId!, email: newEmail() });
    const event = searchMatched(orgId, contact);
    await svc.publish('listings.events', [event]);
    await settledDeliveries(contact, event.id);
    const about = async (actor: Actor) =>
      (await svc.rpc.call(NotificationsSubjects.history, { type: 'saved_search_match' }, actor)).items.filter(
        (item) => item.recipientContactId === contact,
      );
    for (const actor of [admin, agent]) {
      const [item] = await about(actor);
      expect(item).toMatchObject({ recipientUserId: null, recipientContactId: contact, sourceEventId: event.id });
      expect(item.deliveries).toMatchObject([{ channel: 'email', status: 'blocked', reason: 'CONSENT_MISSING' }]);
    }
    expect(await about(otherAgent)).toEqual([]);
  });

  it('deletes the read-model row on erasure and takes the address off the contact’s deliveries', async () => {
    const { orgId, agent } = organization();
    const email = newEmail();
    const contact = await knownContact(svc, db, { orgId, ownerId: agent.userId!, email, emailConsent: true });
    const event = searchMatched(orgId, contact);
    await svc.publish('listings.events', [event]);
    await settledDeliveries(contact, event.id);
    await svc.publish('crm.events', [testEvent(CrmContactEvent.contactErased, orgId, { contactId: contact })]);
    await waitFor(async () => (await db.query('SELECT 1 FROM contact_recipient WHERE contact_id = $1', [contact])).length === 0);
    await waitFor(
      async () =>
        (
          await db.query(
            'SELECT 1 FROM delivery d JOIN notification n ON n.id = d.notification_id WHERE n.recipient_contact_id = $1 AND d.to_address IS NOT NULL',
            [contact],
          )
        ).length === 0,
    );
  });
});
