import { CrmContactEvent, NotificationsEvent, type CloudEvent, type EventDefinition } from '@keyhouse/contracts';
import { draftFromEvent } from '../ledger/audit-entry.mapper';
import { AUDITED_TOPICS, auditableEvent } from './audit-ingest.consumer';

const ORG = '01a252da-0000-7000-8000-000000000001';

/** A CloudEvent of `definition` as the outbox builds it (system actor), `subject` overridable. */
function event<TData>(definition: EventDefinition<TData>, data: TData, subject = 'subject-1'): CloudEvent<TData> {
  return {
    specversion: '1.0',
    id: '01a252da-0000-7000-8000-0000000000e1',
    source: `keyhouse/${definition.type.split('.')[0]}`,
    type: definition.type,
    subject,
    time: '2026-12-07T10:00:00.000Z',
    datacontenttype: 'application/json',
    dataschema: `urn:keyhouse:event:${definition.type}:v1`,
    orgid: ORG,
    actortype: 'system',
    data,
  };
}

describe('AUDITED_TOPICS', () => {
  it('lists notifications.events with every service topic and the gateway refusals', () => {
    expect(AUDITED_TOPICS).toEqual([
      'identity.events',
      'crm.events',
      'listings.events',
      'deals.events',
      'gateway.events',
      'notifications.events',
    ]);
  });
});

describe('auditableEvent', () => {
  it('masks the phone number an SMS opt-out is keyed by', () => {
    const optedOut = event(
      NotificationsEvent.smsOptedOut,
      { phone: '+15558675310', sender: '+15005550006', source: 'keyword', keyword: 'STOP', messageSid: 'SM1', deliveryId: null },
      '+15558675310',
    );

    const draft = draftFromEvent(auditableEvent(optedOut));

    expect(draft.target).toEqual({ model: 'sms', id: '***10' });
    expect(draft.details).toMatchObject({ phone: '***10', sender: '+15005550006' });
  });

  it('keeps an inbound SMS without its text, the sender masked', () => {
    const received = event(NotificationsEvent.smsReceived, {
      inboundId: 'in-1',
      messageSid: 'SM2',
      from: '+15558675310',
      to: '+15005550006',
      body: 'my number is 555 867 5310',
      numMedia: 1,
    });

    const draft = draftFromEvent(auditableEvent(received));

    expect(draft.changes).toBeNull();
    expect(draft.details).toEqual({
      inboundId: 'in-1',
      messageSid: 'SM2',
      fromPhone: '***10',
      sender: '+15005550006',
      numMedia: 1,
      bodyLength: 25,
    });
  });

  it('returns any other event as it is', () => {
    const deleted = event(CrmContactEvent.contactDeleted, { contactId: 'c-1' });
    expect(auditableEvent(deleted)).toBe(deleted);
  });
});
