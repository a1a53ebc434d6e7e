import { deliveryStatusOfTwilio, matchTwilioMessage } from './delivery-reconcile.util';
import type { TwilioListedMessage } from './twilio-message-lookup.adapter';

const TO = '+15558675310';
const FROM = '+15005550006';
const BODY = 'Keyhouse: New lead assigned to you. Ava Stone is yours.';
const CREATED = new Date('2026-12-07T10:00:00.000Z');

function message(overrides: Partial<TwilioListedMessage>): TwilioListedMessage {
  return {
    sid: 'SM00000000000000000000000000000001',
    to: TO,
    from: FROM,
    body: BODY,
    status: 'queued',
    errorCode: null,
    dateCreated: new Date('2026-12-07T10:00:01.000Z'),
    ...overrides,
  };
}

describe('matchTwilioMessage', () => {
  const expected = { to: TO, from: FROM, body: BODY, createdAt: CREATED };

  it('finds the message with the same To, From and body created after the delivery', () => {
    const ours = message({});
    expect(matchTwilioMessage([ours], expected, new Set())).toBe(ours);
  });

  it('ignores another body, another sender, a message older than the delivery by more than two minutes', () => {
    const candidates = [
      message({ sid: 'SM-a', body: 'Keyhouse: Task assigned. Call back.' }),
      message({ sid: 'SM-b', from: '+15005550007' }),
      message({ sid: 'SM-c', dateCreated: new Date('2026-12-07T09:57:59.000Z') }),
    ];
    expect(matchTwilioMessage(candidates, expected, new Set())).toBeNull();
  });

  it('accepts a message dated up to two minutes before the delivery (clock skew, second precision)', () => {
    const skewed = message({ dateCreated: new Date('2026-12-07T09:58:30.000Z') });
    expect(matchTwilioMessage([skewed], expected, new Set())).toBe(skewed);
  });

  it('skips a message already recorded on another delivery and takes the oldest of the rest', () => {
    const other = message({ sid: 'SM-other', dateCreated: new Date('2026-12-07T10:00:01.000Z') });
    const first = message({ sid: 'SM-first', dateCreated: new Date('2026-12-07T10:00:02.000Z') });
    const second = message({ sid: 'SM-second', dateCreated: new Date('2026-12-07T10:00:09.000Z') });
    expect(matchTwilioMessage([second, first, other], expected, new Set(['SM-other']))).toBe(first);
  });
});

describe('deliveryStatusOfTwilio', () => {
  it.each([
    ['queued', null, 'sent', null],
    ['accepted', null, 'sent', null],
    ['sending', null, 'sent', null],
    ['sent', null, 'sent', null],
    ['delivered', null, 'delivered', null],
    ['read', null, 'opened', null],
    ['undelivered', 30003, 'failed', 'TWILIO_30003'],
    ['failed', 30008, 'failed', 'TWILIO_30008'],
    ['canceled', null, 'failed', 'TWILIO_CANCELED'],
  ])('maps %s (error %s) to %s / %s', (status, errorCode, expectedStatus, reason) => {
    expect(deliveryStatusOfTwilio({ status, errorCode })).toEqual({ status: expectedStatus, reason });
  });
});
