import type { Actor, PermissionKey, PermissionScope } from '@keyhouse/contracts';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';

const SCOPE_RANK: Record<PermissionScope, number> = { own: 1, team: 2, org: 3 };

/**
 * The widest scope at which `actor` holds `resource:action` (`org` > `team` > `own`), or null when
 * it does not hold it at all. Services filter queries by this scope.
 */
export function scopeOf(actor: Actor | null | undefined, permission: PermissionKey): PermissionScope | null {
  if (!actor) return null;
  let best: PermissionScope | null = null;
  const prefix = `${permission}:`;
  for (const granted of actor.permissions) {
    if (!granted.startsWith(prefix)) continue;
    const scope = granted.slice(prefix.length) as PermissionScope;
    if (!Object.hasOwn(SCOPE_RANK, scope)) continue;
    if (!best || SCOPE_RANK[scope] > SCOPE_RANK[best]) best = scope;
  }
  return best;
}

export function hasPermission(actor: Actor | null | undefined, permission: PermissionKey): boolean {
  return scopeOf(actor, permission) !== null;
}

/**
 * Returns the signed-in user behind `actor`; throws 403 `USER_SESSION_REQUIRED` for an API key (which
 * acts only through its scopes, never as the user who created it) or the system. User-self
 * operations (own profile, password, 2FA, logout) call it, and the gateway's `@Authenticated()`
 * routes apply it first (issue 13 item 1).
 */
export function requireUserSession(actor: Actor | null | undefined): Actor & { type: 'user'; userId: string } {
  if (actor?.type !== 'user' || !actor.userId) {
    throw new DomainException(
      'forbidden',
      PlatformErrorCode.UserSessionRequired,
      'This needs a signed-in user; API keys cannot act as their creator',
    );
  }
  return actor as Actor & { type: 'user'; userId: string };
}

/**
 * Throws a 403 `FORBIDDEN` `DomainException` unless `actor` holds `permission` at `minimum` scope
 * or wider; returns the scope held. Services call it before acting on a permission.
 */
export function requireScope(
  actor: Actor | null | undefined,
  permission: PermissionKey,
  minimum: PermissionScope = 'own',
): PermissionScope {
  const scope = scopeOf(actor, permission);
  if (!scope || SCOPE_RANK[scope] < SCOPE_RANK[minimum]) throw DomainException.forbidden();
  return scope;
}
