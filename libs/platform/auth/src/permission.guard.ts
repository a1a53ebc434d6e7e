import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Actor, PermissionKey } from '@keyhouse/contracts';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';
import { ACTOR_PROPERTY, AUTHENTICATED, PUBLIC_ROUTE, REQUIRED_PERMISSION } from './auth.decorator';
import { hasPermission } from './permission.util';

/**
 * Enforces each route's declaration: `@Public()` passes; otherwise an actor is required (401) and,
 * unless the route asks only for `@Authenticated()`, the actor must hold the declared
 * `resource:action` (403). A route with no declaration is refused (fail closed) so a forgotten
 * decorator never opens a route.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const required = this.reflector.getAllAndOverride<PermissionKey | typeof AUTHENTICATED | undefined>(
      REQUIRED_PERMISSION,
      targets,
    );
    // A method's own permission wins over `@Public()` on its class; `@Public()` on the method wins.
    const methodPublic = this.reflector.get<boolean | undefined>(PUBLIC_ROUTE, context.getHandler());
    const methodRequires = this.reflector.get<string | undefined>(REQUIRED_PERMISSION, context.getHandler());
    const classPublic = this.reflector.get<boolean | undefined>(PUBLIC_ROUTE, context.getClass());
    if (methodPublic || (classPublic && !methodRequires)) return true;
    const actor = context.switchToHttp().getRequest<Record<string, unknown>>()[ACTOR_PROPERTY] as Actor | undefined;
    if (!actor) {
      throw new DomainException('unauthenticated', PlatformErrorCode.Unauthenticated, 'Authentication is required');
    }
    if (!required) {
      throw new DomainException('forbidden', 'ROUTE_WITHOUT_PERMISSION', 'This route declares no permission');
    }
    if (required === AUTHENTICATED) return true;
    if (!hasPermission(actor, required)) {
      throw new DomainException('forbidden', PlatformErrorCode.Forbidden, `This needs the ${required} permission`);
    }
    return true;
  }
}
