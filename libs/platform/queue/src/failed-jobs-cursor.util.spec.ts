import { decodeFailedJobsCursor, encodeFailedJobsCursor } from './failed-jobs-cursor.util';

describe('encodeFailedJobsCursor', () => {
  it('makes an opaque base64url string', () => {
    const cursor = encodeFailedJobsCursor({ failedAtMs: 1_732_000_000_123, jobId: '42' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('42');
  });
});

describe('decodeFailedJobsCursor', () => {
  it('returns the position that was encoded', () => {
    const position = { failedAtMs: 1_732_000_000_123, jobId: 'job:7/é' };
    expect(decodeFailedJobsCursor(encodeFailedJobsCursor(position))).toEqual(position);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['JSON that is not a position', Buffer.from('{"a":1}').toString('base64url')],
    ['a string score', Buffer.from('["x","1"]').toString('base64url')],
    ['an empty job id', Buffer.from('[1,""]').toString('base64url')],
    ['standard base64 padding', Buffer.from('[1,"1"]').toString('base64') + '=='],
    ['an empty string', ''],
  ])('returns null for %s', (_label, cursor) => {
    expect(decodeFailedJobsCursor(cursor)).toBeNull();
  });
});
