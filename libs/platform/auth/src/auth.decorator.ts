import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Actor, PermissionKey } from '@keyhouse/contracts';

export const PUBLIC_ROUTE = 'keyhouse:public-route';
export const REQUIRED_PERMISSION = 'keyhouse:required-permission';

/** The route needs no caller identity (login, public lead forms, JWKS). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The route needs an authenticated caller holding `resource:action` at some scope; the service then
 * narrows by that scope. Every gateway route declares this or `@Public()`.
 */
export const RequirePermission = (permission: PermissionKey): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_PERMISSION, permission);

/**
 * The route needs a signed-in user (not an API key) but no particular permission: operations on
 * the caller's own account (`/users/me`, password, 2FA, logout).
 */
export const AUTHENTICATED = 'authenticated' as const;
export const Authenticated = (): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_PERMISSION, AUTHENTICATED);

/** Request property where the gateway stores the verified actor. */
export const ACTOR_PROPERTY = 'actor';

/** Injects the verified `Actor` of the request (null on public routes without credentials). */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor | null => {
  const request = context.switchToHttp().getRequest<Record<string, unknown>>();
  return (request[ACTOR_PROPERTY] as Actor | undefined) ?? null;
});
