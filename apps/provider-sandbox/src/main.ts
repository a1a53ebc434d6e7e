import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { registerFcmRoutes } from './fcm/fcm-api.http.controller';
import { registerSandboxRoutes } from './sandbox/sandbox-api.http.controller';
import { SandboxState } from './sandbox/sandbox-state.service';
import { DEFAULT_SANDBOX_SETTINGS, settingsFromEnv, signingKeyObject, type SandboxSettings } from './sandbox-settings.config';
import { registerSendgridRoutes } from './sendgrid/sendgrid-api.http.controller';
import { registerTwilioRoutes } from './twilio/twilio-api.http.controller';

export type { SandboxSettings } from './sandbox-settings.config';

/** Default port unless PROVIDER_SANDBOX_PORT is set (docs/adr/0034). */
export const DEFAULT_PROVIDER_SANDBOX_PORT = 3190;

/** Options of {@link startProviderSandbox}. */
export interface ProviderSandboxOptions {
  /** 0 = any free port; default PROVIDER_SANDBOX_PORT or 3190. */
  port?: number;
  /** Default 127.0.0.1 (PROVIDER_SANDBOX_HOST). */
  host?: string;
  /** Over the defaults and the PROVIDER_SANDBOX_* environment. */
  settings?: Partial<SandboxSettings>;
}

/** A running sandbox: its base URL (`http://host:port`, no trailing slash) and how to stop it. */
export interface RunningProviderSandbox {
  url: string;
  close(): Promise<void>;
}

function buildApp(state: SandboxState): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  // Twilio's API and Google's token endpoint take form-urlencoded bodies.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const message = status === 500 ? 'internal server error' : error.message;
    if (request.url.startsWith('/v3/'))
      return reply.code(status).send({ errors: [{ field: null, message: status === 400 ? 'Bad Request' : message, help: null }] });
    if (request.url.startsWith('/2010-04-01/')) {
      return reply
        .code(status)
        .send({ code: status === 400 ? 21604 : 20500, message, more_info: 'https://www.twilio.com/docs/errors', status });
    }
    if (request.url.startsWith('/v1/')) {
      return reply.code(status).send({ error: { code: status, message, status: status === 400 ? 'INVALID_ARGUMENT' : 'INTERNAL' } });
    }
    return reply.code(status).send({ error: message });
  });
  registerSandboxRoutes(app, state);
  registerSendgridRoutes(app, state);
  registerTwilioRoutes(app, state);
  registerFcmRoutes(app, state);
  return app;
}

/**
 * Starts the provider sandbox (docs/adr/0034, apps/provider-sandbox/README.md): a local HTTP
 * server speaking SendGrid v3 mail send, Twilio's Messages API and FCM HTTP v1, posting signed
 * webhooks back, with a read/simulate API under `/sandbox`. Settings: defaults, then the
 * PROVIDER_SANDBOX_* environment, then `options.settings`. Throws when the signing key is not an
 * EC P-256 private key or the port is taken.
 */
export async function startProviderSandbox(options: ProviderSandboxOptions = {}): Promise<RunningProviderSandbox> {
  const settings: SandboxSettings = { ...DEFAULT_SANDBOX_SETTINGS, ...settingsFromEnv(), ...options.settings };
  signingKeyObject(settings.sendgridSigningKey);
  const state = new SandboxState(settings);
  const app = buildApp(state);
  const host = options.host ?? process.env.PROVIDER_SANDBOX_HOST ?? '127.0.0.1';
  const port = options.port ?? Number(process.env.PROVIDER_SANDBOX_PORT || DEFAULT_PROVIDER_SANDBOX_PORT);
  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${boundPort}`,
    close: async () => {
      state.close();
      await app.close();
    },
  };
}

if (require.main === module) {
  startProviderSandbox().then(
    (sandbox) => {
      process.stdout.write(`provider sandbox listening on ${sandbox.url}\n`);
      const stop = () => void sandbox.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      process.stderr.write(`provider sandbox failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
