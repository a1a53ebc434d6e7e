import { classifyFcmError } from './fcm-push.adapter';

const error = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyFcmError', () => {
  it('marks the token invalid on UNREGISTERED, an invalid registration token and INVALID_ARGUMENT', () => {
    expect(classifyFcmError(error('messaging/registration-token-not-registered'))).toEqual({
      kind: 'invalid_token',
      code: 'messaging/registration-token-not-registered',
    });
    expect(classifyFcmError(error('messaging/invalid-registration-token')).kind).toBe('invalid_token');
    expect(classifyFcmError(error('messaging/invalid-argument')).kind).toBe('invalid_token');
  });

  it('retries 5xx, quota and a connection refused before the request was written', () => {
    expect(classifyFcmError(error('messaging/internal-error')).kind).toBe('retry');
    expect(classifyFcmError(error('messaging/server-unavailable')).kind).toBe('retry');
    expect(classifyFcmError(error('messaging/message-rate-exceeded')).kind).toBe('retry');
    expect(
      classifyFcmError(error('app/network-error', 'Error while making request: connect ECONNREFUSED. Error code: ECONNREFUSED')).kind,
    ).toBe('retry');
  });

  it('does not resend after a timeout or a reset (the outcome is unknown)', () => {
    expect(classifyFcmError(error('app/network-timeout')).kind).toBe('unknown');
    expect(classifyFcmError(error('app/network-error', 'socket hang up. Error code: ECONNRESET')).kind).toBe('unknown');
  });

  it('rejects other refusals', () => {
    expect(classifyFcmError(error('messaging/mismatched-credential'))).toMatchObject({
      kind: 'rejected',
      code: 'messaging/mismatched-credential',
    });
  });
});
