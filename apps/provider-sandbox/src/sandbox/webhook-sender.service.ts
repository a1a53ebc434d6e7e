import { randomUUID } from 'node:crypto';
import type { SandboxState, WebhookKind, WebhookRecord } from './sandbox-state.service';

/** Per-attempt timeout of a webhook POST, in ms (SendGrid and Twilio give up after seconds too). */
const ATTEMPT_TIMEOUT_MS = 5_000;

/** What to post: the raw body, its content type, and the headers to sign it with per attempt. */
export interface WebhookDelivery {
  kind: WebhookKind;
  target: string;
  body: string;
  contentType: string;
  /** Signature headers for this attempt (SendGrid signs each attempt with a fresh timestamp). */
  sign: () => Record<string, string>;
}

/**
 * Posts `delivery` like the providers do: no redirects followed (a 3xx is a failure), a non-2xx
 * answer or a network error retried up to `settings.webhookAttempts` times with exponential backoff
 * from `settings.webhookBackoffMs`. Records the outcome in `state.webhooks` (created at the first
 * attempt, updated after each) and resolves with it; never throws. Stops retrying when the sandbox
 * closes.
 */
export function postWebhook(state: SandboxState, delivery: WebhookDelivery): Promise<WebhookRecord> {
  return state.track(attemptDeliveries(state, delivery));
}

async function attemptDeliveries(state: SandboxState, delivery: WebhookDelivery): Promise<WebhookRecord> {
  const record: WebhookRecord = {
    id: randomUUID(),
    kind: delivery.kind,
    target: delivery.target,
    statusCode: null,
    attempts: 0,
    delivered: false,
    error: null,
    headers: {},
    body: delivery.body,
    createdAt: new Date().toISOString(),
  };
  state.webhooks.push(record);
  const attempts = state.settings.webhookAttempts;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (state.isClosed) break;
    const headers = { 'content-type': delivery.contentType, 'user-agent': 'keyhouse-provider-sandbox', ...delivery.sign() };
    record.attempts = attempt;
    record.headers = headers;
    try {
      const response = await fetch(delivery.target, {
        method: 'POST',
        headers,
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      await response.arrayBuffer().catch(() => undefined);
      record.statusCode = response.status;
      record.error = response.ok ? null : `HTTP ${response.status}`;
      if (response.ok) {
        record.delivered = true;
        break;
      }
    } catch (error) {
      record.statusCode = null;
      record.error = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    if (attempt < attempts && !(await state.delay(state.settings.webhookBackoffMs * 2 ** (attempt - 1)))) break;
  }
  return record;
}
