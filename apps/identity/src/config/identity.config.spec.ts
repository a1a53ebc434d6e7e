import { localMailboxSecrets } from './identity.config';

describe('localMailboxSecrets', () => {
  it('keeps mail secrets outside production unless turned off', () => {
    expect(localMailboxSecrets('development', undefined)).toBe(true);
    expect(localMailboxSecrets('test', undefined)).toBe(true);
    expect(localMailboxSecrets('development', 'false')).toBe(false);
    expect(localMailboxSecrets('test', '0')).toBe(false);
  });

  it('keeps none in production, and calls turning them on there a configuration error (null)', () => {
    expect(localMailboxSecrets('production', undefined)).toBe(false);
    expect(localMailboxSecrets('production', 'false')).toBe(false);
    expect(localMailboxSecrets('production', 'true')).toBeNull();
    expect(localMailboxSecrets('production', '1')).toBeNull();
  });
});
