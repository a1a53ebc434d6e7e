import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * SendGrid's published TEST key pair for the signed Event Webhook (sendgrid/sendgrid-go
 * helpers/eventwebhook/eventwebhook_test.go `testPrivateKey`, the public key of
 * sendgrid/sendgrid-nodejs eventwebhook.spec.js; copied in ../shared/data/sendgrid/event-webhook/
 * signed/sdk_vector_simple.json). Base64 DER: the private key is SEC1, the public key
 * SubjectPublicKeyInfo — the form SendGrid's console shows as "Verification Key". A published test
 * key, not a secret: anything signed with it proves only that the sandbox signed it.
 */
export const SENDGRID_TEST_SIGNING_KEY =
  'MHcCAQEEIEQmZgBEh9DcU9zMl34czK3xov4AYvm9P3r7rNB2dNXtoAoGCCqGSM49AwEHoUQDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
/** The verification (public) key matching {@link SENDGRID_TEST_SIGNING_KEY}, base64 DER SPKI. */
export const SENDGRID_TEST_VERIFICATION_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';

/** The sandbox's Twilio auth token unless configured (any `AC…` Account SID is accepted with it). */
export const DEFAULT_TWILIO_AUTH_TOKEN = 'sandbox-twilio-auth-token';

/**
 * What the sandbox does besides speaking the providers' APIs. Read from the environment at start
 * (`settingsFromEnv`), overridden by `startProviderSandbox({ settings })`, changeable at runtime
 * with `PUT /sandbox/settings`.
 */
export interface SandboxSettings {
  /** Where SendGrid Event Webhook batches go (PROVIDER_SANDBOX_SENDGRID_EVENTS_URL); null: none posted. */
  sendgridEventsUrl: string | null;
  /**
   * The ECDSA P-256 private key signing the Event Webhook (PROVIDER_SANDBOX_SENDGRID_SIGNING_KEY):
   * PEM (SEC1 or PKCS#8) or base64 DER (SEC1 or PKCS#8). Default: SendGrid's published test key.
   */
  sendgridSigningKey: string;
  /** Where simulated inbound SMS go (PROVIDER_SANDBOX_TWILIO_INBOUND_URL); null: none posted. */
  twilioInboundUrl: string | null;
  /** The auth token Basic auth must carry and callbacks are signed with (PROVIDER_SANDBOX_TWILIO_AUTH_TOKEN). */
  twilioAuthToken: string;
  /**
   * Whether accepted sends are followed by events on their own (PROVIDER_SANDBOX_AUTO_EVENTS,
   * `false` to turn off): SendGrid `processed` + `delivered`, Twilio `sent` + `delivered`.
   */
  autoEvents: boolean;
  /** Milliseconds between accepting a send and each automatic event (PROVIDER_SANDBOX_AUTO_EVENT_DELAY_MS). */
  autoEventDelayMs: number;
  /**
   * Milliseconds a SendGrid mail send / Twilio message create waits before answering, AFTER the send
   * was accepted and recorded (PROVIDER_SANDBOX_SENDGRID_RESPONSE_DELAY_MS,
   * PROVIDER_SANDBOX_TWILIO_RESPONSE_DELAY_MS; default 0): a client that times out or dies in between
   * does not know the provider accepted it — the "request written, no answer" case of a real network.
   */
  sendgridResponseDelayMs: number;
  twilioResponseDelayMs: number;
  /** `To` numbers starting with one of these answer Twilio 21614 (PROVIDER_SANDBOX_TWILIO_LANDLINE_PREFIXES, comma-separated). */
  twilioLandlinePrefixes: string[];
  /** FCM registration tokens that answer 404 UNREGISTERED (PROVIDER_SANDBOX_FCM_INVALID_TOKENS, comma-separated). */
  fcmInvalidTokens: string[];
  /** Attempts per webhook POST before giving up (PROVIDER_SANDBOX_WEBHOOK_ATTEMPTS, 1 = no retry). */
  webhookAttempts: number;
  /** First retry delay in ms, doubled per attempt (PROVIDER_SANDBOX_WEBHOOK_BACKOFF_MS). */
  webhookBackoffMs: number;
}

/** The sandbox's defaults, before the environment and the caller's settings. */
export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = {
  sendgridEventsUrl: null,
  sendgridSigningKey: SENDGRID_TEST_SIGNING_KEY,
  twilioInboundUrl: null,
  twilioAuthToken: DEFAULT_TWILIO_AUTH_TOKEN,
  autoEvents: true,
  autoEventDelayMs: 200,
  sendgridResponseDelayMs: 0,
  twilioResponseDelayMs: 0,
  twilioLandlinePrefixes: ['+1555010'],
  fcmInvalidTokens: [],
  webhookAttempts: 4,
  webhookBackoffMs: 250,
};

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}

/** The settings the environment gives (`PROVIDER_SANDBOX_*`, see {@link SandboxSettings}); unset ones are absent. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<SandboxSettings> {
  const found: Partial<SandboxSettings> = {
    sendgridEventsUrl: env.PROVIDER_SANDBOX_SENDGRID_EVENTS_URL || undefined,
    sendgridSigningKey: env.PROVIDER_SANDBOX_SENDGRID_SIGNING_KEY || undefined,
    twilioInboundUrl: env.PROVIDER_SANDBOX_TWILIO_INBOUND_URL || undefined,
    twilioAuthToken: env.PROVIDER_SANDBOX_TWILIO_AUTH_TOKEN || undefined,
    autoEvents: env.PROVIDER_SANDBOX_AUTO_EVENTS === undefined ? undefined : env.PROVIDER_SANDBOX_AUTO_EVENTS !== 'false',
    autoEventDelayMs: integer(env.PROVIDER_SANDBOX_AUTO_EVENT_DELAY_MS, 'PROVIDER_SANDBOX_AUTO_EVENT_DELAY_MS'),
    sendgridResponseDelayMs: integer(env.PROVIDER_SANDBOX_SENDGRID_RESPONSE_DELAY_MS, 'PROVIDER_SANDBOX_SENDGRID_RESPONSE_DELAY_MS'),
    twilioResponseDelayMs: integer(env.PROVIDER_SANDBOX_TWILIO_RESPONSE_DELAY_MS, 'PROVIDER_SANDBOX_TWILIO_RESPONSE_DELAY_MS'),
    twilioLandlinePrefixes: list(env.PROVIDER_SANDBOX_TWILIO_LANDLINE_PREFIXES),
    fcmInvalidTokens: list(env.PROVIDER_SANDBOX_FCM_INVALID_TOKENS),
    webhookAttempts: integer(env.PROVIDER_SANDBOX_WEBHOOK_ATTEMPTS, 'PROVIDER_SANDBOX_WEBHOOK_ATTEMPTS'),
    webhookBackoffMs: integer(env.PROVIDER_SANDBOX_WEBHOOK_BACKOFF_MS, 'PROVIDER_SANDBOX_WEBHOOK_BACKOFF_MS'),
  };
  return Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined)) as Partial<SandboxSettings>;
}

/**
 * The private key object for `key` (PEM, or base64 DER in SEC1 or PKCS#8). Throws when it is not an
 * EC P-256 private key, so a bad setting fails at start or at `PUT /sandbox/settings`.
 */
export function signingKeyObject(key: string): KeyObject {
  let object: KeyObject | undefined;
  if (key.includes('-----BEGIN')) object = createPrivateKey(key);
  else {
    const der = Buffer.from(key, 'base64');
    for (const type of ['sec1', 'pkcs8'] as const) {
      try {
        object = createPrivateKey({ key: der, format: 'der', type });
        break;
      } catch {
        // try the next encoding
      }
    }
  }
  if (!object || object.asymmetricKeyType !== 'ec' || object.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('sendgridSigningKey must be an EC P-256 private key (PEM or base64 DER, SEC1 or PKCS#8)');
  }
  return object;
}

/** The base64 DER SPKI public key verifying what `key` signs (what SendGrid shows as "Verification Key"). */
export function verificationKeyFor(key: string): string {
  return createPublicKey(signingKeyObject(key)).export({ format: 'der', type: 'spki' }).toString('base64');
}

/**
 * `current` with `patch` applied after checking each field's type; throws an Error naming the first
 * bad field (the settings route answers it as 400). Unknown fields are refused too.
 */
export function mergeSettings(current: SandboxSettings, patch: Record<string, unknown>): SandboxSettings {
  const next: SandboxSettings = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    switch (field) {
      case 'sendgridEventsUrl':
      case 'twilioInboundUrl':
        if (value !== null && (typeof value !== 'string' || !/^https?:\/\//.test(value))) {
          throw new Error(`${field} must be an http(s) URL or null`);
        }
        next[field] = value as string | null;
        break;
      case 'sendgridSigningKey':
        if (typeof value !== 'string') throw new Error(`${field} must be a string`);
        signingKeyObject(value);
        next[field] = value;
        break;
      case 'twilioAuthToken':
        if (typeof value !== 'string' || value.length === 0) throw new Error(`${field} must be a non-empty string`);
        next[field] = value;
        break;
      case 'autoEvents':
        if (typeof value !== 'boolean') throw new Error(`${field} must be a boolean`);
        next[field] = value;
        break;
      case 'autoEventDelayMs':
      case 'sendgridResponseDelayMs':
      case 'twilioResponseDelayMs':
      case 'webhookBackoffMs':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
          throw new Error(`${field} must be a non-negative integer`);
        }
        next[field] = value;
        break;
      case 'webhookAttempts':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10) {
          throw new Error(`${field} must be an integer from 1 to 10`);
        }
        next[field] = value;
        break;
      case 'twilioLandlinePrefixes':
      case 'fcmInvalidTokens':
        if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
          throw new Error(`${field} must be an array of strings`);
        }
        next[field] = [...value] as string[];
        break;
      default:
        throw new Error(`unknown setting ${field}`);
    }
  }
  return next;
}
