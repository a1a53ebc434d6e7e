import type { Actor } from '@keyhouse/contracts';
import { hasPermission, requireScope, requireUserSession, scopeOf } from './permission.util';

function actorWith(permissions: string[], overrides: Partial<Actor> = {}): Actor {
  return { type: 'user', userId: 'user-1', orgId: 'org-1', role: 'agent', teamIds: ['team-1'], permissions, ...overrides };
}

describe('scopeOf', () => {
  it('returns null when there is no actor', () => {
    expect(scopeOf(null, 'contacts:read')).toBeNull();
    expect(scopeOf(undefined, 'contacts:read')).toBeNull();
  });

  it('returns null when the actor lacks the permission', () => {
    expect(scopeOf(actorWith([]), 'contacts:read')).toBeNull();
    expect(scopeOf(actorWith(['contacts:write:org', 'listings:read:org']), 'contacts:read')).toBeNull();
  });

  it.each([
    [['contacts:read:own'], 'own'],
    [['contacts:read:team'], 'team'],
    [['contacts:read:org'], 'org'],
    [['contacts:read:own', 'contacts:read:team'], 'team'],
    [['contacts:read:team', 'contacts:read:own'], 'team'],
    [['contacts:read:own', 'contacts:read:org', 'contacts:read:team'], 'org'],
    [['contacts:read:org', 'contacts:read:own'], 'org'],
  ])('returns the widest scope when the actor holds %j', (permissions, expected) => {
    expect(scopeOf(actorWith(permissions), 'contacts:read')).toBe(expected);
  });

  it('returns the same widest scope whatever order the grants come in', () => {
    const grants = ['contacts:read:own', 'contacts:read:team', 'contacts:read:org', 'contacts:write:org'];
    const orders = [grants, [...grants].reverse(), [grants[2], grants[0], grants[3], grants[1]]];
    for (const order of orders) expect(scopeOf(actorWith(order), 'contacts:read')).toBe('org');
  });

  it.each([
    ['an unknown scope', 'contacts:read:all'],
    ['an upper-case scope', 'contacts:read:ORG'],
    ['an empty scope', 'contacts:read:'],
    ['no scope', 'contacts:read'],
    ['an extra part', 'contacts:read:org:extra'],
    ['a longer action name', 'contacts:readers:org'],
    ['a longer resource name', 'xcontacts:read:org'],
    ['surrounding whitespace', ' contacts:read:org'],
  ])('ignores a grant with %s', (_label, granted) => {
    expect(scopeOf(actorWith([granted]), 'contacts:read')).toBeNull();
    expect(scopeOf(actorWith([granted, 'contacts:read:own']), 'contacts:read')).toBe('own');
  });

  it('reads permissions of API-key actors the same way', () => {
    expect(scopeOf(actorWith(['leads:write:org'], { type: 'api_key', apiKeyId: 'key-1' }), 'leads:write')).toBe('org');
  });
});

describe('hasPermission', () => {
  it('returns true when the actor holds the permission at any scope', () => {
    expect(hasPermission(actorWith(['users:read:own']), 'users:read')).toBe(true);
    expect(hasPermission(actorWith(['users:read:team']), 'users:read')).toBe(true);
    expect(hasPermission(actorWith(['users:read:org']), 'users:read')).toBe(true);
  });

  it('returns false when the actor holds only another action or a malformed grant', () => {
    expect(hasPermission(actorWith(['users:write:org']), 'users:read')).toBe(false);
    expect(hasPermission(actorWith(['users:read:everything']), 'users:read')).toBe(false);
    expect(hasPermission(actorWith(['users:read']), 'users:read')).toBe(false);
  });

  it('returns false when there is no actor', () => {
    expect(hasPermission(null, 'users:read')).toBe(false);
  });
});

describe('scopeOf with inherited property names', () => {
  it('ignores a scope named after an Object.prototype member', () => {
    const actor = {
      type: 'user' as const,
      orgId: 'o',
      role: 'x',
      teamIds: [],
      permissions: ['users:read:constructor', 'users:read:toString'],
    };
    expect(scopeOf(actor, 'users:read')).toBeNull();
  });
});

describe('requireScope', () => {
  const actor = { type: 'user' as const, orgId: 'o', role: 'manager', teamIds: [], permissions: ['users:read:team'] };

  it('returns the scope held when it reaches the minimum', () => {
    expect(requireScope(actor, 'users:read')).toBe('team');
    expect(requireScope(actor, 'users:read', 'team')).toBe('team');
  });

  it('throws a forbidden DomainException when the scope is narrower or absent', () => {
    expect(() => requireScope(actor, 'users:read', 'org')).toThrow(expect.objectContaining({ kind: 'forbidden', code: 'FORBIDDEN' }));
    expect(() => requireScope(actor, 'users:write')).toThrow(expect.objectContaining({ kind: 'forbidden' }));
    expect(() => requireScope(null, 'users:read')).toThrow(expect.objectContaining({ kind: 'forbidden' }));
  });
});

describe('requireUserSession', () => {
  it('returns the actor of a signed-in user', () => {
    const actor = actorWith([]);
    expect(requireUserSession(actor)).toBe(actor);
  });

  it.each([
    ['an API key (which carries its creator as userId)', actorWith(['users:write:org'], { type: 'api_key', apiKeyId: 'key-1' })],
    ['the system', actorWith([], { type: 'system', userId: undefined })],
    ['no actor', null],
  ])('throws 403 USER_SESSION_REQUIRED for %s', (_label, actor) => {
    expect(() => requireUserSession(actor)).toThrow(expect.objectContaining({ kind: 'forbidden', code: 'USER_SESSION_REQUIRED' }));
  });
});
