import { CrmContactSubjects as S, NotificationsEvent, type Actor, type CloudEvent } from '@keyhouse/contracts';
import { startService, testEvent, waitForConsumed } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { createContact, outboxCount, uniquePhone, type CrmTestService } from '../support/crm-contacts.util';
import { identityEventsOf, seedIdentity, userOf } from '../support/crm-users.util';

/**
 * A contact's consent from the providers' side (issue 14, docs/adr/0035 "Contacts"), on the crm
 * service alone: `notifications.events` as the notifications service emits them (consumer group
 * `crm.consent`), matched by address / number within the event's organization.
 */
describe('crm consent from provider events (group crm.consent)', () => {
  let crm: CrmTestService;
  const orgId = newId();
  const agent = userOf(orgId, 'agent');
  const rival = userOf(newId(), 'agent');

  beforeAll(async () => {
    crm = await startService(startCrm);
    await seedIdentity(crm, [...identityEventsOf(agent), ...identityEventsOf(rival)]);
  });

  afterAll(async () => {
    await crm?.stop();
  });

  const at = '2026-12-01T10:00:00.000Z';
  /** Publishes notifications events and waits until the consent consumer applied them. */
  const fromNotifications = async (events: CloudEvent[]) => {
    await crm.publish('notifications.events', events);
    await waitForConsumed(crm, { service: 'crm', group: 'crm.consent', eventIds: events.map((event) => event.id) });
  };
  const read = (id: string, actor: Actor = agent) => crm.rpc.call(S.get, { id }, actor);
  const timelineKinds = async (id: string) => (await crm.rpc.call(S.timeline, { id, limit: 100 }, agent)).items.map((item) => item.kind);
  const suppressed = (org: string, email: string, reason = 'bounce') =>
    testEvent(NotificationsEvent.emailSuppressed, org, {
      suppressionId: newId(),
      email,
      reason,
      sgEventId: `sg-${newId()}`,
      deliveryId: null,
    });
  const optedOut = (org: string, phone: string) =>
    testEvent(NotificationsEvent.smsOptedOut, org, {
      phone,
      sender: '+15005550006',
      source: 'keyword',
      keyword: 'STOP',
      messageSid: `SM${newId().replace(/-/g, '')}`,
      deliveryId: null,
    });

  it('withdraws the email consent of the organization’s contacts with a bounced address, once, with a timeline entry and crm.contact.updated', async () => {
    const email = `bounce-${newId()}@example.test`;
    const contact = await createContact(crm, agent, {
      firstName: 'Bo',
      lastName: 'Unce',
      email,
      consent: { email: { granted: true, source: 'web_form', at } },
    });
    const event = suppressed(orgId, email.toUpperCase());
    await fromNotifications([event, event]);
    const after = await read(contact.id);
    expect(after.consent.email).toEqual({ granted: false, source: 'sendgrid_bounce', at: event.time });
    expect((await timelineKinds(contact.id)).filter((kind) => kind === 'contact.consent_changed')).toHaveLength(1);
    expect(await outboxCount(crm, 'crm.contact.updated', contact.id)).toBe(1);

    // A later spam report of the same address: already withdrawn, nothing changes.
    await fromNotifications([suppressed(orgId, email, 'spamreport')]);
    expect((await read(contact.id)).consent.email).toEqual({ granted: false, source: 'sendgrid_bounce', at: event.time });
    expect(await outboxCount(crm, 'crm.contact.updated', contact.id)).toBe(1);
  });

  it('withdraws SMS consent on STOP and grants it again on START, matching the number within the event’s organization only', async () => {
    const phone = uniquePhone();
    const contact = await createContact(crm, agent, {
      firstName: 'Sam',
      lastName: 'Stop',
      phone,
      consent: { sms: { granted: true, source: 'web_form', at } },
    });
    const elsewhere = await createContact(crm, rival, {
      firstName: 'Sam',
      lastName: 'Elsewhere',
      phone,
      consent: { sms: { granted: true, source: 'web_form', at } },
    });
    await fromNotifications([optedOut(orgId, phone), optedOut('00000000-0000-0000-0000-000000000000', phone)]);
    expect((await read(contact.id)).consent.sms).toMatchObject({ granted: false, source: 'sms_stop' });
    expect((await read(elsewhere.id, rival)).consent.sms).toMatchObject({ granted: true, source: 'web_form' });

    const start = testEvent(NotificationsEvent.smsOptedIn, orgId, { phone, sender: '+15005550006', keyword: 'START', messageSid: 'SM1' });
    await fromNotifications([start]);
    expect((await read(contact.id)).consent.sms).toEqual({ granted: true, source: 'sms_start', at: start.time });
    expect((await timelineKinds(contact.id)).filter((kind) => kind === 'contact.consent_changed')).toHaveLength(2);
  });
});
