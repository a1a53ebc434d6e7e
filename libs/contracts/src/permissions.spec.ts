import { parsePermission } from './permissions';

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
