import { e164OrNull } from './phone-number.util';
import { classifyTwilioError } from './twilio-sms.adapter';

/** An error as the twilio SDK throws it for an API answer (RestException: status, code, message). */
const apiError = (status: number, code: number, message: string) => Object.assign(new Error(message), { status, code });

describe('classifyTwilioError', () => {
  it('records an opt-out for 21610, whatever the HTTP status', () => {
    expect(classifyTwilioError(apiError(400, 21610, 'Attempt to send to unsubscribed recipient'))).toEqual({
      kind: 'opted_out',
      message: 'Attempt to send to unsubscribed recipient',
    });
  });

  it('retries 429 (20429) and 5xx', () => {
    expect(classifyTwilioError(apiError(429, 20429, 'Too Many Requests'))).toMatchObject({ kind: 'retry', status: 429 });
    expect(classifyTwilioError(apiError(503, 20500, 'Service unavailable'))).toMatchObject({ kind: 'retry', status: 503 });
  });

  it('fails other 4xx with the Twilio code as the reason', () => {
    expect(classifyTwilioError(apiError(400, 21211, "The 'To' number is not a valid phone number."))).toMatchObject({
      kind: 'rejected',
      status: 400,
      reason: 'TWILIO_21211',
    });
  });

  it('retries a connection that was refused (nothing was sent) and calls anything else unknown', () => {
    expect(classifyTwilioError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({
      kind: 'retry',
      status: null,
    });
    expect(classifyTwilioError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toMatchObject({ kind: 'unknown' });
  });
});

describe('e164OrNull', () => {
  it('keeps an E.164 number, with separators removed', () => {
    expect(e164OrNull('+1 (206) 555-0142')).toBe('+12065550142');
    expect(e164OrNull('+44.20.7946.0958')).toBe('+442079460958');
  });

  it('drops what Twilio would refuse', () => {
    expect(e164OrNull('206-555-0142')).toBeNull();
    expect(e164OrNull('+0123456789')).toBeNull();
    expect(e164OrNull(null)).toBeNull();
  });
});
