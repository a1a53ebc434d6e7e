import type { FastifyInstance } from 'fastify';
import { mergeSettings, verificationKeyFor } from '../sandbox-settings.config';
import type { SandboxProvider, SandboxState, WebhookKind } from './sandbox-state.service';

const PROVIDERS: SandboxProvider[] = ['sendgrid', 'twilio', 'fcm'];
const WEBHOOK_KINDS: WebhookKind[] = ['sendgrid.events', 'twilio.status', 'twilio.inbound'];

/** The settings as the read API shows them: with the SendGrid verification (public) key derived. */
export function publicSettings(state: SandboxState): Record<string, unknown> {
  return { ...state.settings, sendgridVerificationKey: verificationKeyFor(state.settings.sendgridSigningKey) };
}

/**
 * The sandbox's own API (not a provider's): `GET /sandbox/health`, `GET /sandbox/webhooks`
 * (`?kind=&target=`), `GET|PUT /sandbox/settings`, `POST|GET /sandbox/faults`, `DELETE /sandbox`
 * (forget everything, restore the start settings). Errors answer `{ error }` with 400.
 */
export function registerSandboxRoutes(app: FastifyInstance, state: SandboxState): void {
  app.get('/sandbox/health', async () => ({
    status: 'ok',
    received: {
      sendgrid: state.sendgridMessages.length,
      twilio: state.twilioMessages.length,
      fcm: state.fcmMessages.length,
    },
    webhooks: state.webhooks.length,
  }));

  app.get('/sandbox/webhooks', async (request, reply) => {
    const query = request.query as { kind?: string; target?: string };
    if (query.kind !== undefined && !(WEBHOOK_KINDS as string[]).includes(query.kind)) {
      return reply.code(400).send({ error: `kind must be one of ${WEBHOOK_KINDS.join(', ')}` });
    }
    return state.webhooks.filter(
      (webhook) =>
        (query.kind === undefined || webhook.kind === query.kind) && (query.target === undefined || webhook.target === query.target),
    );
  });

  app.get('/sandbox/settings', async () => publicSettings(state));

  app.put('/sandbox/settings', async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return reply.code(400).send({ error: 'settings must be an object' });
    try {
      state.settings = mergeSettings(state.settings, body as Record<string, unknown>);
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
    return publicSettings(state);
  });

  app.get('/sandbox/faults', async () => state.faults);

  app.post('/sandbox/faults', async (request, reply) => {
    const body = (request.body ?? {}) as {
      provider?: unknown;
      status?: unknown;
      code?: unknown;
      count?: unknown;
      retryAfterSeconds?: unknown;
    };
    if (typeof body.provider !== 'string' || !(PROVIDERS as string[]).includes(body.provider)) {
      return reply.code(400).send({ error: `provider must be one of ${PROVIDERS.join(', ')}` });
    }
    if (typeof body.status !== 'number' || !Number.isInteger(body.status) || body.status < 400 || body.status > 599) {
      return reply.code(400).send({ error: 'status must be an HTTP error status (400-599)' });
    }
    const count = body.count ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
      return reply.code(400).send({ error: 'count must be a positive integer' });
    if (body.code !== undefined && (typeof body.code !== 'number' || !Number.isInteger(body.code))) {
      return reply.code(400).send({ error: 'code must be an integer (a Twilio error code)' });
    }
    if (
      body.retryAfterSeconds !== undefined &&
      (typeof body.retryAfterSeconds !== 'number' || !Number.isInteger(body.retryAfterSeconds) || body.retryAfterSeconds < 0)
    ) {
      return reply.code(400).send({ error: 'retryAfterSeconds must be a non-negative integer' });
    }
    const fault = {
      provider: body.provider as SandboxProvider,
      status: body.status,
      code: body.code as number | undefined,
      retryAfterSeconds: body.retryAfterSeconds as number | undefined,
      remaining: count,
    };
    state.faults.push(fault);
    return reply.code(201).send(fault);
  });

  app.delete('/sandbox', async (_request, reply) => {
    await state.reset();
    return reply.code(204).send();
  });
}
