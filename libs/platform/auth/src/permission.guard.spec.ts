import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Actor } from '@keyhouse/contracts';
import { DomainException } from '@keyhouse/platform/messaging';
import { Authenticated, Public, RequirePermission } from './auth.decorator';
import { PermissionGuard } from './permission.guard';

class RoutesController {
  @Public()
  login(): void {}

  @Authenticated()
  me(): void {}

  @RequirePermission('users:read')
  listUsers(): void {}

  forgotten(): void {}
}

@RequirePermission('contacts:read')
class ContactsController {
  list(): void {}

  @RequirePermission('contacts:write')
  create(): void {}
}

@Public()
class PublicController {
  form(): void {}
}

function actorWith(permissions: string[]): Actor {
  return { type: 'user', userId: 'user-1', orgId: 'org-1', role: 'agent', teamIds: [], permissions };
}

/** A minimal HTTP ExecutionContext for `controller.prototype[method]` with `actor` on the request. */
function contextFor(controller: new () => object, method: string, actor?: Actor): ExecutionContext {
  const handler = (controller.prototype as Record<string, unknown>)[method] as () => void;
  const request: Record<string, unknown> = actor ? { actor } : {};
  return {
    getHandler: () => handler,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}), getNext: () => undefined }),
    getType: () => 'http',
    getArgs: () => [request],
    getArgByIndex: (index: number) => [request][index],
    switchToRpc: () => {
      throw new Error('not used');
    },
    switchToWs: () => {
      throw new Error('not used');
    },
  } as unknown as ExecutionContext;
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('PermissionGuard', () => {
  const guard = new PermissionGuard(new Reflector());

  describe('canActivate', () => {
    it('passes without an actor when the route is public', () => {
      expect(guard.canActivate(contextFor(RoutesController, 'login'))).toBe(true);
      expect(guard.canActivate(contextFor(PublicController, 'form'))).toBe(true);
    });

    it('throws unauthenticated when a protected route has no actor', () => {
      for (const method of ['me', 'listUsers', 'forgotten']) {
        const error = thrownBy(() => guard.canActivate(contextFor(RoutesController, method)));
        expect(error).toBeInstanceOf(DomainException);
        expect(error).toMatchObject({ kind: 'unauthenticated', code: 'UNAUTHENTICATED' });
      }
    });

    it('throws forbidden ROUTE_WITHOUT_PERMISSION when the route declares nothing', () => {
      const error = thrownBy(() => guard.canActivate(contextFor(RoutesController, 'forgotten', actorWith(['users:read:org']))));
      expect(error).toBeInstanceOf(DomainException);
      expect(error).toMatchObject({ kind: 'forbidden', code: 'ROUTE_WITHOUT_PERMISSION' });
    });

    it('passes any signed-in user when the route asks only for authentication', () => {
      expect(guard.canActivate(contextFor(RoutesController, 'me', actorWith([])))).toBe(true);
    });

    it('refuses an API key on a route that asks only for authentication (user-self routes), whatever its scopes', () => {
      const apiKey = { ...actorWith(['users:read:org', 'users:write:org']), type: 'api_key' as const, apiKeyId: 'key-1' };
      const error = thrownBy(() => guard.canActivate(contextFor(RoutesController, 'me', apiKey)));
      expect(error).toMatchObject({ kind: 'forbidden', code: 'USER_SESSION_REQUIRED' });
    });

    it.each(['users:read:own', 'users:read:team', 'users:read:org'])('passes when the actor holds %s for users:read', (permission) => {
      expect(guard.canActivate(contextFor(RoutesController, 'listUsers', actorWith([permission])))).toBe(true);
    });

    it.each([
      ['another action of the resource', ['users:write:org']],
      ['no permissions', []],
      ['a malformed grant', ['users:read:everyone']],
    ])('throws forbidden FORBIDDEN when the actor has %s', (_label, permissions) => {
      const error = thrownBy(() => guard.canActivate(contextFor(RoutesController, 'listUsers', actorWith(permissions))));
      expect(error).toBeInstanceOf(DomainException);
      expect(error).toMatchObject({ kind: 'forbidden', code: 'FORBIDDEN' });
      expect((error as DomainException).message).toContain('users:read');
    });

    it('applies a class-level permission to undecorated methods', () => {
      expect(guard.canActivate(contextFor(ContactsController, 'list', actorWith(['contacts:read:own'])))).toBe(true);
      expect(thrownBy(() => guard.canActivate(contextFor(ContactsController, 'list', actorWith(['users:read:org']))))).toMatchObject({
        kind: 'forbidden',
      });
    });

    it('lets a method-level permission override the class-level one', () => {
      expect(thrownBy(() => guard.canActivate(contextFor(ContactsController, 'create', actorWith(['contacts:read:org']))))).toMatchObject({
        kind: 'forbidden',
      });
      expect(guard.canActivate(contextFor(ContactsController, 'create', actorWith(['contacts:write:own'])))).toBe(true);
    });
  });
});
