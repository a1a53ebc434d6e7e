import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { effectOf, parseSendgridEvent, SENDGRID_EVENT_TYPES } from './sendgrid-event.mapper';

/** SendGrid's documented example of each event type (../shared/data/sendgrid/event-webhook/all_event_types.json). */
const ALL = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../../../../shared/data/sendgrid/event-webhook/all_event_types.json'), 'utf8'),
) as unknown;
const examples = (Array.isArray(ALL) ? ALL : ((ALL as Record<string, unknown>).events ?? [])) as Array<Record<string, unknown>>;

describe('SendGrid webhook events', () => {
  it('parses every documented example and covers the 11 event types', () => {
    const parsed = examples.map(parseSendgridEvent);
    expect(parsed.every((event) => event !== null)).toBe(true);
    expect(new Set(parsed.map((event) => event!.event))).toEqual(new Set(SENDGRID_EVENT_TYPES));
  });

  it('keeps the event time and our custom args, lower-cases the address', () => {
    const event = parseSendgridEvent({
      email: 'Agent@Example.TEST',
      event: 'delivered',
      timestamp: 1700000000,
      sg_event_id: 'abc',
      sg_message_id: 'm.filter',
      notificationId: '0192f3c4-0000-7000-8000-000000000001',
      deliveryId: 'not-a-uuid',
    });
    expect(event).toMatchObject({
      email: 'agent@example.test',
      occurredAt: new Date(1700000000 * 1000),
      notificationId: '0192f3c4-0000-7000-8000-000000000001',
      deliveryId: null,
      sgMessageId: 'm.filter',
    });
  });

  it.each([
    ['not an object', 'x'],
    ['an array', []],
    ['no sg_event_id', { email: 'a@b.co', event: 'open', timestamp: 1 }],
    ['an unknown event', { email: 'a@b.co', event: 'exploded', timestamp: 1, sg_event_id: 'e' }],
    ['a string timestamp', { email: 'a@b.co', event: 'open', timestamp: '1', sg_event_id: 'e' }],
  ])('skips %s', (_label, value) => {
    expect(parseSendgridEvent(value)).toBeNull();
  });

  it.each([
    ['processed', undefined, 'sent', false],
    ['deferred', undefined, null, false],
    ['delivered', undefined, 'delivered', false],
    ['open', undefined, 'opened', false],
    ['click', undefined, 'opened', false],
    ['bounce', 'bounce', 'bounced', true],
    ['bounce', 'blocked', 'bounced', false],
    ['dropped', undefined, 'failed', false],
    ['spamreport', undefined, null, true],
    ['unsubscribe', undefined, null, true],
    ['group_unsubscribe', undefined, null, true],
    ['group_resubscribe', undefined, null, false],
  ])('%s (type %s) → status %s, suppress %s', (type, bounceType, status, suppress) => {
    const event = parseSendgridEvent({
      email: 'a@b.co',
      event: type,
      timestamp: 1,
      sg_event_id: 'e',
      ...(bounceType ? { type: bounceType } : {}),
    });
    expect(effectOf(event!)).toEqual({ status, suppress });
  });
});
