import { redactJobData } from './job-data-redaction.util';

describe('redactJobData', () => {
  it('redacts keys that look like passwords, tokens, secrets and keys, in any case', () => {
    expect(redactJobData({ contactId: 'c1', password: 'p', accessToken: 't', clientSecret: 's', API_KEY: 'k', count: 3 })).toEqual({
      contactId: 'c1',
      password: '[redacted]',
      accessToken: '[redacted]',
      clientSecret: '[redacted]',
      API_KEY: '[redacted]',
      count: 3,
    });
  });

  it('redacts a secret-looking key even when its value is an object', () => {
    expect(redactJobData({ tokens: { access: 'a', refresh: 'r' } })).toEqual({ tokens: '[redacted]' });
  });

  it('redacts nested objects and arrays too', () => {
    expect(redactJobData({ account: { refreshToken: 'r', email: 'a@b.c' }, items: [{ secret: 's', n: 1 }] })).toEqual({
      account: { refreshToken: '[redacted]', email: 'a@b.c' },
      items: [{ secret: '[redacted]', n: 1 }],
    });
  });

  it('returns primitives and null as they are', () => {
    expect(redactJobData('token')).toBe('token');
    expect(redactJobData(7)).toBe(7);
    expect(redactJobData(null)).toBeNull();
  });

  it('does not modify its input', () => {
    const data = { password: 'p' };
    redactJobData(data);
    expect(data).toEqual({ password: 'p' });
  });

  it('cuts off data nested deeper than 8 levels', () => {
    const deep = { a: { a: { a: { a: { a: { a: { a: { a: { a: 'x' } } } } } } } } };
    expect(JSON.stringify(redactJobData(deep))).toContain('[redacted]');
  });
});
