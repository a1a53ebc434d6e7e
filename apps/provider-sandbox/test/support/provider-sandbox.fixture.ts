/**
 * Test helpers for the provider sandbox, for this app's specs and for other apps' integration specs
 * (import by relative path, e.g. `../../../provider-sandbox/test/support/provider-sandbox.fixture`).
 * They live here, not in libs/testing, because a library may not import an app
 * (@nx/enforce-module-boundaries).
 */
import { startProviderSandbox, type SandboxSettings } from '../../src/main';
import type {
  FcmMessageRecord,
  SandboxFault,
  SendgridMessageRecord,
  TwilioMessageRecord,
  WebhookKind,
  WebhookRecord,
} from '../../src/sandbox/sandbox-state.service';
import type { SendgridEventType } from '../../src/sendgrid/sendgrid-event.util';

export type { FcmMessageRecord, SendgridMessageRecord, TwilioMessageRecord, WebhookRecord } from '../../src/sandbox/sandbox-state.service';

/** A sandbox on a free port with its typed API; `close()` stops it. */
export interface StartedSandbox {
  url: string;
  api: SandboxApi;
  close(): Promise<void>;
}

/** Starts the sandbox on 127.0.0.1, port 0, with `settings` over the defaults (the environment applies too). */
export async function startSandbox(settings: Partial<SandboxSettings> = {}): Promise<StartedSandbox> {
  const sandbox = await startProviderSandbox({ port: 0, settings });
  return { url: sandbox.url, api: sandboxApi(sandbox.url), close: sandbox.close };
}

async function call<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

function query(params: Record<string, string | undefined>): string {
  const defined = Object.entries(params).filter(([, value]) => value !== undefined) as Array<[string, string]>;
  return defined.length ? `?${new URLSearchParams(defined).toString()}` : '';
}

/** Typed calls to the sandbox's read and simulate API at `url`; each throws on a non-2xx answer. */
export function sandboxApi(url: string) {
  return {
    health: () => call<{ status: string }>(`${url}/sandbox/health`, 'GET'),
    reset: () => call<void>(`${url}/sandbox`, 'DELETE'),
    settings: () => call<SandboxSettings & { sendgridVerificationKey: string }>(`${url}/sandbox/settings`, 'GET'),
    updateSettings: (patch: Partial<SandboxSettings>) =>
      call<SandboxSettings & { sendgridVerificationKey: string }>(`${url}/sandbox/settings`, 'PUT', patch),
    injectFault: (fault: {
      provider: SandboxFault['provider'];
      status: number;
      code?: number;
      count?: number;
      retryAfterSeconds?: number;
    }) => call<SandboxFault>(`${url}/sandbox/faults`, 'POST', fault),
    webhooks: (filter: { kind?: WebhookKind; target?: string } = {}) =>
      call<WebhookRecord[]>(`${url}/sandbox/webhooks${query(filter)}`, 'GET'),
    sendgridMessages: (filter: { to?: string; apiKey?: string; messageId?: string } = {}) =>
      call<SendgridMessageRecord[]>(`${url}/sandbox/sendgrid/messages${query(filter)}`, 'GET'),
    sendgridEvent: (event: { messageId: string; event: SendgridEventType; email?: string; url?: string; reason?: string }) =>
      call<{ events: Array<Record<string, unknown>>; webhook?: WebhookRecord }>(`${url}/sandbox/sendgrid/events`, 'POST', event),
    twilioMessages: (filter: { to?: string; accountSid?: string; sid?: string } = {}) =>
      call<TwilioMessageRecord[]>(`${url}/sandbox/twilio/messages${query(filter)}`, 'GET'),
    twilioOptOuts: () => call<Array<{ sender: string; recipient: string }>>(`${url}/sandbox/twilio/opt-outs`, 'GET'),
    twilioStatus: (status: { sid: string; status: string; errorCode?: string | number }) =>
      call<{ message: Record<string, unknown>; webhook: WebhookRecord | null }>(`${url}/sandbox/twilio/statuses`, 'POST', status),
    twilioInbound: (inbound: { from: string; to: string; body: string; messagingServiceSid?: string; accountSid?: string }) =>
      call<{ params: Record<string, string>; webhook: WebhookRecord | null }>(`${url}/sandbox/twilio/inbound`, 'POST', inbound),
    fcmMessages: (filter: { to?: string; projectId?: string } = {}) =>
      call<FcmMessageRecord[]>(`${url}/sandbox/fcm/messages${query(filter)}`, 'GET'),
    fcmInvalidToken: (token: string) => call<{ token: string }>(`${url}/sandbox/fcm/invalid-tokens`, 'POST', { token }),
  };
}
export type SandboxApi = ReturnType<typeof sandboxApi>;
