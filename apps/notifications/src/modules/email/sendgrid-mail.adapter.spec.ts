import { classifySendError } from './sendgrid-mail.adapter';

describe('classifySendError', () => {
  it('retries 429 and 5xx answers', () => {
    expect(classifySendError({ code: 429, message: 'Too Many Requests' })).toMatchObject({ kind: 'retry', status: 429 });
    expect(classifySendError({ code: 503, message: 'Service Unavailable' })).toMatchObject({ kind: 'retry', status: 503 });
  });

  it('rejects another 4xx with SendGrid’s first error message', () => {
    expect(classifySendError({ code: 400, message: 'Bad Request', response: { body: { errors: [{ message: 'invalid from' }] } } })).toEqual(
      {
        kind: 'rejected',
        status: 400,
        message: 'invalid from',
      },
    );
  });

  it('retries a refused connection (nothing was written) but not a timeout or a reset (outcome unknown)', () => {
    expect(classifySendError({ code: 'ECONNREFUSED' })).toMatchObject({ kind: 'retry', status: null });
    expect(classifySendError({ code: 'ECONNABORTED', message: 'timeout of 10000ms exceeded' })).toEqual({
      kind: 'unknown',
      message: 'ECONNABORTED',
    });
    expect(classifySendError({ code: 'ECONNRESET' })).toMatchObject({ kind: 'unknown' });
    expect(classifySendError(new Error('socket hang up'))).toEqual({ kind: 'unknown', message: 'socket hang up' });
  });
});
