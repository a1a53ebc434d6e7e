import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Actor, PermissionKey } from '@keyhouse/contracts';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';
import { ACTOR_PROPERTY, AUTHENTICATED, PUBLIC_ROUTE, REQUIRED_PERMISSION } from './auth.decorator';
import { hasPermission, requireUserSession } from './permission.util';

/**
 * Enforces each route's declaration: `@Public()` passes; otherwise an actor is required (401).
 * An `@Authenticated()` route (the caller's own profile, password, 2FA, logout) needs a signed-in
 * user: an API key gets 403 `USER_SESSION_REQUIRED`. Any other route needs the declared
 * `resource:action` (403), which an API key holds only through its scopes. A route with no declaration is refused (fail closed) so a forgotten
 * decorator never opens a route.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  /** What each route declares, read once per controller class and handler (metadata is static). */
  private readonly rules = new WeakMap<object, WeakMap<object, RouteRule>>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const rule = this.ruleOf(context.getClass(), context.getHandler());
    if (rule.public) return true;
    const actor = context.switchToHttp().getRequest<Record<string, unknown>>()[ACTOR_PROPERTY] as Actor | undefined;
    if (!actor) {
      throw new DomainException('unauthenticated', PlatformErrorCode.Unauthenticated, 'Authentication is required');
    }
    const required = rule.required;
    if (!required) {
      throw new DomainException('forbidden', 'ROUTE_WITHOUT_PERMISSION', 'This route declares no permission');
    }
    if (required === AUTHENTICATED) {
      requireUserSession(actor);
      return true;
    }
    if (!hasPermission(actor, required)) {
      throw new DomainException('forbidden', PlatformErrorCode.Forbidden, `This needs the ${required} permission`);
    }
    return true;
  }

  private ruleOf(type: object, handler: object): RouteRule {
    let byHandler = this.rules.get(type);
    if (!byHandler) this.rules.set(type, (byHandler = new WeakMap()));
    let rule = byHandler.get(handler);
    if (!rule) {
      const targets = [handler, type] as Array<() => void>;
      const required = this.reflector.getAllAndOverride<PermissionKey | typeof AUTHENTICATED | undefined>(REQUIRED_PERMISSION, targets);
      // A method's own permission wins over `@Public()` on its class; `@Public()` on the method wins.
      const methodPublic = this.reflector.get<boolean | undefined>(PUBLIC_ROUTE, handler as () => void);
      const methodRequires = this.reflector.get<string | undefined>(REQUIRED_PERMISSION, handler as () => void);
      const classPublic = this.reflector.get<boolean | undefined>(PUBLIC_ROUTE, type as () => void);
      rule = { public: !!(methodPublic || (classPublic && !methodRequires)), required };
      byHandler.set(handler, rule);
    }
    return rule;
  }
}

interface RouteRule {
  public: boolean;
  required: PermissionKey | typeof AUTHENTICATED | undefined;
}
