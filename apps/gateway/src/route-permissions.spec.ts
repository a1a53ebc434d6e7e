import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { PUBLIC_ROUTE, REQUIRED_PERMISSION } from '@keyhouse/platform/auth';
import { PERMISSION_CATALOGUE } from '@keyhouse/contracts';
import { API_CONTROLLERS } from './app.module';

/** Every route handler of the public API with its declaration (STYLE.md, Boundaries). */
function routes() {
  return API_CONTROLLERS.flatMap((controller) => {
    const prototype = controller.prototype as unknown as Record<string, unknown>;
    return Object.getOwnPropertyNames(prototype)
      .filter((name) => name !== 'constructor' && Reflect.getMetadata(METHOD_METADATA, prototype[name] as object) !== undefined)
      .map((name) => {
        const handler = prototype[name] as object;
        return {
          route: `${controller.name}.${name} ${String(Reflect.getMetadata(PATH_METADATA, handler))}`,
          isPublic: Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, controller),
          permission: Reflect.getMetadata(REQUIRED_PERMISSION, handler) ?? Reflect.getMetadata(REQUIRED_PERMISSION, controller),
        };
      });
  });
}

describe('gateway routes', () => {
  it('are found (the audit below inspects something)', () => {
    expect(routes().length).toBeGreaterThan(40);
  });

  it('each declare @Public(), @Authenticated() or a catalogue permission', () => {
    const undeclared = routes()
      .filter((route) => !route.isPublic && !route.permission)
      .map((route) => route.route);
    expect(undeclared).toEqual([]);
    const unknown = routes()
      .filter((route) => route.permission && route.permission !== 'authenticated' && !(route.permission in PERMISSION_CATALOGUE))
      .map((route) => route.route);
    expect(unknown).toEqual([]);
  });

  it('make only authentication entry points, key discovery, public lead capture (form key) and signed file URLs public', () => {
    const publicRoutes = routes()
      .filter((route) => route.isPublic)
      .map((route) => route.route.split(' ')[0])
      .sort();
    expect(publicRoutes).toEqual(
      [
        'AuthHttpController.emailVerify',
        'AuthHttpController.jwks',
        'AuthHttpController.login',
        'AuthHttpController.mfaVerify',
        'AuthHttpController.passwordResetConfirm',
        'AuthHttpController.passwordResetRequest',
        'AuthHttpController.refresh',
        'AuthHttpController.register',
        'PublicClientsHttpController.register',
        'PublicLeadsHttpController.capture',
        'SendgridWebhookHttpController.events',
        // the signature in the URL is the credential (docs/adr/0018, update of 2026-12-07)
        'SignedFileDownloadsHttpController.download',
        'TwilioWebhookHttpController.inbound',
        'TwilioWebhookHttpController.status',
      ].sort(),
    );
  });
});
