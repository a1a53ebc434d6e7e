import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxState, SendgridMessageRecord, WebhookRecord } from '../sandbox/sandbox-state.service';
import { postWebhook } from '../sandbox/webhook-sender.service';
import {
  buildSendgridEvent,
  newMessageId,
  SENDGRID_EVENT_TYPES,
  sgMessageIdFor,
  type SendgridEventOptions,
  type SendgridEventType,
} from './sendgrid-event.util';
import { isSandboxMode, recipientsOf, validateMailSend } from './sendgrid-mail.util';
import { sendgridSignatureHeaders } from './sendgrid-signature.util';

/** SendGrid's error bodies for the statuses a fault can inject (../shared/data/sendgrid/mail-send/error_responses.json). */
const FAULT_MESSAGES: Record<number, string> = {
  400: 'invalid request',
  401: 'authorization required',
  403: 'access forbidden',
  404: 'not found',
  413: 'content too large',
  429: 'too many requests',
  500: 'internal server error',
  503: 'service unavailable',
};

function sendgridError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).send({ errors: [{ field: null, message, help: null }] });
}

/**
 * Posts one signed Event Webhook batch of `type` for the recipients of `message` (all, or the one
 * with `email`) to `settings.sendgridEventsUrl`, and records the type on the message. Without a URL
 * the type is recorded and nothing is posted (resolves undefined).
 */
export async function postSendgridEvents(
  state: SandboxState,
  message: SendgridMessageRecord,
  type: SendgridEventType,
  options: SendgridEventOptions & { email?: string } = {},
): Promise<{ events: Array<Record<string, unknown>>; webhook?: WebhookRecord }> {
  const recipients = message.recipients.filter((recipient) => options.email === undefined || recipient.email === options.email);
  const events = recipients.map((recipient) => buildSendgridEvent(message, recipient, type, options));
  message.events.push(type);
  const target = state.settings.sendgridEventsUrl;
  if (!target || events.length === 0) return { events };
  const body = JSON.stringify(events);
  const webhook = await postWebhook(state, {
    kind: 'sendgrid.events',
    target,
    body,
    contentType: 'application/json',
    sign: () => sendgridSignatureHeaders(state.settings.sendgridSigningKey, body),
  });
  return { events, webhook };
}

async function autoEvents(state: SandboxState, message: SendgridMessageRecord): Promise<void> {
  for (const type of ['processed', 'delivered'] as const) {
    if (!(await state.delay(state.settings.autoEventDelayMs))) return;
    await postSendgridEvents(state, message, type);
  }
}

/**
 * SendGrid v3 `POST /v3/mail/send` (PROVIDERS.md "SendGrid mail send"): Bearer auth (any non-empty
 * key, else 401), an injected fault if one is pending (429 with X-RateLimit-* and Retry-After),
 * the body checks of `validateMailSend` (400 `{errors}`), then 202 with an empty body and
 * `X-Message-Id` (after `sendgridResponseDelayMs`, the send already recorded); with
 * `mail_settings.sandbox_mode.enable` 200 and nothing recorded. Accepted sends are recorded per API key and followed by `processed` + `delivered` events when `autoEvents`.
 * Also `POST /sandbox/sendgrid/events` (post a chosen event) and `GET /sandbox/sendgrid/messages`.
 */
export function registerSendgridRoutes(app: FastifyInstance, state: SandboxState): void {
  app.post('/v3/mail/send', async (request, reply) => {
    const authorization = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/.exec(authorization);
    if (!match) return sendgridError(reply, 401, 'authorization required');
    const apiKey = match[1];
    const fault = state.takeFault('sendgrid');
    if (fault) {
      if (fault.status === 429) {
        const retryAfter = fault.retryAfterSeconds ?? 1;
        reply.header('X-RateLimit-Limit', '600');
        reply.header('X-RateLimit-Remaining', '0');
        reply.header('X-RateLimit-Reset', String(Math.floor(Date.now() / 1000) + retryAfter));
        reply.header('Retry-After', String(retryAfter));
      } else if (fault.status === 503 && fault.retryAfterSeconds !== undefined) {
        reply.header('Retry-After', String(fault.retryAfterSeconds));
      }
      return sendgridError(reply, fault.status, FAULT_MESSAGES[fault.status] ?? 'internal server error');
    }
    const errors = validateMailSend(request.body);
    if (errors.length > 0) return reply.code(400).send({ errors });
    const body = request.body as Record<string, unknown>;
    if (isSandboxMode(body)) return reply.code(200).send();
    const messageId = newMessageId();
    const from = body.from as { email: string };
    const message: SendgridMessageRecord = {
      messageId,
      apiKey,
      from: from.email,
      subject: typeof body.subject === 'string' ? body.subject : null,
      templateId: typeof body.template_id === 'string' ? body.template_id : null,
      categories: Array.isArray(body.categories) ? (body.categories as string[]) : [],
      recipients: recipientsOf(body).map((recipient, index) => ({ ...recipient, sgMessageId: sgMessageIdFor(messageId, index) })),
      events: [],
      request: body,
      receivedAt: new Date().toISOString(),
    };
    state.sendgridMessages.push(message);
    if (state.settings.autoEvents) void autoEvents(state, message);
    // Accepted and recorded; a slow answer (sendgridResponseDelayMs) leaves a client that gives up not knowing it.
    if (state.settings.sendgridResponseDelayMs > 0) await state.delay(state.settings.sendgridResponseDelayMs);
    return reply.code(202).header('X-Message-Id', messageId).header('content-type', 'text/plain; charset=utf-8').send('');
  });

  app.get('/sandbox/sendgrid/messages', async (request) => {
    const query = request.query as { to?: string; apiKey?: string; messageId?: string };
    return state.sendgridMessages.filter(
      (message) =>
        (query.to === undefined || message.recipients.some((recipient) => recipient.email === query.to)) &&
        (query.apiKey === undefined || message.apiKey === query.apiKey) &&
        (query.messageId === undefined || message.messageId === query.messageId),
    );
  });

  app.post('/sandbox/sendgrid/events', async (request, reply) => {
    const body = (request.body ?? {}) as { messageId?: unknown; event?: unknown; email?: unknown; url?: unknown; reason?: unknown };
    if (typeof body.event !== 'string' || !(SENDGRID_EVENT_TYPES as readonly string[]).includes(body.event)) {
      return reply.code(400).send({ error: `event must be one of ${SENDGRID_EVENT_TYPES.join(', ')}` });
    }
    const message = state.sendgridMessages.find((candidate) => candidate.messageId === body.messageId);
    if (!message) return reply.code(404).send({ error: 'no recorded SendGrid message with that messageId (the X-Message-Id)' });
    if (typeof body.email === 'string' && !message.recipients.some((recipient) => recipient.email === body.email)) {
      return reply.code(404).send({ error: 'that message has no recipient with that email' });
    }
    if (!state.settings.sendgridEventsUrl) return reply.code(409).send({ error: 'no sendgridEventsUrl is configured' });
    return postSendgridEvents(state, message, body.event as SendgridEventType, {
      email: typeof body.email === 'string' ? body.email : undefined,
      url: typeof body.url === 'string' ? body.url : undefined,
      reason: typeof body.reason === 'string' ? body.reason : undefined,
    });
  });
}
