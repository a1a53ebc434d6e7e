import { decodePermissions, encodePermissions, parsePermission, PERMISSION_SCOPES, PERMISSION_WIRE_ORDER } from './permissions.constant';

describe('parsePermission', () => {
  it.each([
    ['users:read:own', { resource: 'users', action: 'read', scope: 'own' }],
    ['contacts:write:team', { resource: 'contacts', action: 'write', scope: 'team' }],
    ['audit:read:org', { resource: 'audit', action: 'read', scope: 'org' }],
    ['api-keys:write:org', { resource: 'api-keys', action: 'write', scope: 'org' }],
    ['leads:write:own', { resource: 'leads', action: 'write', scope: 'own' }],
  ])('returns the parts when given %s', (permission, expected) => {
    expect(parsePermission(permission)).toEqual(expected);
  });

  it.each([
    ['an unknown resource', 'widgets:read:org'],
    ['an unknown action', 'users:delete:org'],
    ['an action the resource does not have', 'leads:read:org'],
    ['a resource in the wrong case', 'Users:read:org'],
    ['a prototype property as resource', '__proto__:read:org'],
    ['an empty resource and action', '::org'],
  ])('returns null when given %s', (_label, permission) => {
    expect(parsePermission(permission)).toBeNull();
  });

  it.each([
    ['an unknown scope', 'users:read:all'],
    ['an empty scope', 'users:read:'],
    ['an upper-case scope', 'users:read:ORG'],
    ['a scope with whitespace', 'users:read:org '],
    ['a prototype property as scope', 'users:read:constructor'],
  ])('returns null when given %s', (_label, permission) => {
    expect(parsePermission(permission)).toBeNull();
  });

  it.each([
    ['the empty string', ''],
    ['a bare resource', 'users'],
    ['resource and action without scope', 'users:read'],
    ['four parts', 'users:read:org:extra'],
    ['a trailing separator after the scope', 'users:read:org:'],
  ])('returns null when given %s (wrong arity)', (_label, permission) => {
    expect(parsePermission(permission)).toBeNull();
  });
});

describe('permission wire code', () => {
  // The wire order is a contract between builds of the gateway and the services: this list may
  // only grow at its end (a pair that leaves the catalogue keeps its place).
  const WIRE_ORDER_AT_2026_11_21 = [
    'users:read',
    'users:write',
    'agents:read',
    'agents:write',
    'teams:read',
    'teams:write',
    'roles:read',
    'roles:write',
    'organizations:read',
    'organizations:write',
    'api-keys:read',
    'api-keys:write',
    'mailbox:read',
    'contacts:read',
    'contacts:write',
    'contacts:export',
    'contacts:erase',
    'leads:write',
    'assignment-rules:read',
    'assignment-rules:write',
    'tasks:read',
    'tasks:write',
    'companies:read',
    'companies:write',
    'listings:read',
    'listings:write',
    'listings:import',
    'transactions:read',
    'transactions:write',
    'commission-plans:read',
    'commission-plans:write',
    'reports:read',
    'invoices:read',
    'invoices:write',
    'audit:read',
  ];

  it('keeps the wire order of earlier builds (new pairs only at the end)', () => {
    expect(PERMISSION_WIRE_ORDER.slice(0, WIRE_ORDER_AT_2026_11_21.length)).toEqual(WIRE_ORDER_AT_2026_11_21);
  });

  it('appends the client portal’s portal:read after the pairs of earlier builds (issue 13 item 17)', () => {
    expect(PERMISSION_WIRE_ORDER.slice(WIRE_ORDER_AT_2026_11_21.length)).toContain('portal:read');
    expect(parsePermission('portal:read:own')).toEqual({ resource: 'portal', action: 'read', scope: 'own' });
  });

  it('appends notifications:read after portal:read (issue 14, the notifications service)', () => {
    const appended = PERMISSION_WIRE_ORDER.slice(WIRE_ORDER_AT_2026_11_21.length);
    expect(appended.indexOf('notifications:read')).toBe(appended.indexOf('portal:read') + 1);
    expect(parsePermission('notifications:read:team')).toEqual({ resource: 'notifications', action: 'read', scope: 'team' });
  });

  it('appends notifications:manage after notifications:read (issue 14, organization notification settings)', () => {
    const appended = PERMISSION_WIRE_ORDER.slice(WIRE_ORDER_AT_2026_11_21.length);
    expect(appended.indexOf('notifications:manage')).toBe(appended.indexOf('notifications:read') + 1);
    expect(parsePermission('notifications:manage:org')).toEqual({ resource: 'notifications', action: 'manage', scope: 'org' });
  });

  it('writes one digit per pair, the sum of own 1, team 2, org 4, without trailing zeros', () => {
    expect(encodePermissions(['users:write:team', 'users:read:org', 'users:read:own', 'agents:read:own'])).toBe('521');
    expect(encodePermissions(['teams:read:org'])).toBe('00004');
    expect(encodePermissions([])).toBe('');
  });

  it('decodes to the same set of permissions, for every subset of scopes of every pair', () => {
    const all = PERMISSION_WIRE_ORDER.flatMap((key) => PERMISSION_SCOPES.map((scope) => `${key}:${scope}`));
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) {
      const chosen = all.filter(() => random() < (i % 10) / 10);
      const withDuplicates = [...chosen, ...chosen.slice(0, 3)].reverse();
      const decoded = decodePermissions(encodePermissions(withDuplicates)!);
      expect(new Set(decoded)).toEqual(new Set(chosen));
      expect(decoded).toHaveLength(chosen.length);
    }
  });

  it.each([
    ['a pair outside the catalogue', ['users:read:org', 'widgets:read:org']],
    ['an unknown scope', ['users:read:all']],
    ['no scope', ['users:read']],
    ['a prototype property as scope', ['users:read:constructor']],
    ['no separator', ['users']],
  ])('refuses to encode %s (the sender keeps the list)', (_label, permissions) => {
    expect(encodePermissions(permissions)).toBeNull();
  });

  it('ignores positions past this build’s catalogue and rejects characters other than 0-7', () => {
    expect(decodePermissions(`4${'0'.repeat(PERMISSION_WIRE_ORDER.length - 1)}7`)).toEqual(['users:read:org']);
    expect(() => decodePermissions('48')).toThrow('Malformed permission code at position 1');
    expect(() => decodePermissions('4a')).toThrow('position 1');
  });
});
