import { z } from 'zod';
import { env, loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/**
 * SendGrid's published test verification key (base64 DER SubjectPublicKeyInfo, P-256), the public
 * half of the official test key of `sendgrid/sendgrid-nodejs` `eventwebhook.spec.js` and
 * `sendgrid-go` (../shared/data/sendgrid/event-webhook/signed/sdk_vector_simple.json): the default
 * for local runs and tests, so a locally signed batch verifies. Production sets the account's key.
 */
export const SENDGRID_TEST_WEBHOOK_PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';

/** Environment of the notifications service (see `serviceEnv`); service-specific variables follow it. */
export const notificationsEnv = {
  ...serviceEnv('NOTIFICATIONS', { healthPort: 3106, schema: 'notifications', dbRole: 'keyhouse_notifications' }),
  /**
   * SendGrid API key (`SG.…`). Unset: emails are not sent but written to the local sink table
   * `local_email` and logged, and the delivery is recorded as delivered (tests, `npm start`). Never logged.
   */
  SENDGRID_API_KEY: env.optionalString('a SendGrid API key'),
  /** Base URL of the SendGrid v3 API (`/v3/mail/send` is appended); the provider sandbox in local runs. */
  SENDGRID_BASE_URL: env.url('an http(s) URL such as https://api.sendgrid.com', 'https://api.sendgrid.com'),
  /** Sender of every email (the organization default sender of this slice). */
  SENDGRID_FROM_EMAIL: z.string().email().default('notifications@keyhouse.test').describe('an email address'),
  /** Address of the web app, prefixed to the notifications' links in emails. */
  NOTIFICATIONS_APP_URL: env.url('an http(s) URL of the web app', 'http://localhost:3000'),
  /** Display name of the sender. */
  SENDGRID_FROM_NAME: env.string('Keyhouse', 'a display name'),
  /**
   * Event Webhook verification key: base64 DER SubjectPublicKeyInfo of SendGrid's ECDSA P-256 key
   * (Mail Settings → Signed Event Webhook). Default: SendGrid's published test key (local and tests only).
   */
  SENDGRID_WEBHOOK_PUBLIC_KEY: env.string(SENDGRID_TEST_WEBHOOK_PUBLIC_KEY, 'a base64 DER P-256 public key'),
  /**
   * Freshness window of `X-Twilio-Email-Event-Webhook-Timestamp`, seconds (600): an older or more
   * than this far in the future signed batch is refused. 0 disables the check (RELIABILITY.md 5.1:
   * only keep a window while SendGrid re-signs its retries).
   */
  SENDGRID_WEBHOOK_MAX_AGE_SECONDS: z.coerce.number().int().min(0).default(600).describe('seconds (0 = no window)'),
  /** Timeout of one mail send request, ms (10000). A timeout after the request was written = outcome unknown. */
  SENDGRID_TIMEOUT_MS: env.positiveInt(10_000, 'milliseconds'),
  /** Attempts of an email job on 429 / 5xx / connection refused (5, exponential backoff from `SENDGRID_RETRY_DELAY_MS`). */
  NOTIFICATIONS_EMAIL_ATTEMPTS: env.positiveInt(5, 'a number of attempts'),
  SENDGRID_RETRY_DELAY_MS: env.positiveInt(2_000, 'milliseconds'),
  /**
   * Twilio Account SID (`AC…`). Unset: the SMS channel is off (no SMS delivery is created at all),
   * and the Twilio webhooks still verify with `TWILIO_AUTH_TOKEN` when it is set (401 otherwise).
   */
  TWILIO_ACCOUNT_SID: env.optionalString('a Twilio Account SID (AC…)'),
  /** Twilio auth token: Basic auth of the Messages API and the HMAC-SHA1 key of `X-Twilio-Signature`. Never logged. */
  TWILIO_AUTH_TOKEN: env.optionalString('a Twilio auth token'),
  /** Sender of every SMS (E.164), also the `To` of inbound messages and the sender half of the opt-out ledger key. */
  TWILIO_FROM_NUMBER: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/)
    .default('+15005550006')
    .describe('an E.164 number such as +15551230000'),
  /** Base URL of the Twilio REST API (`/2010-04-01/...` follows); the provider sandbox in local runs and tests. */
  TWILIO_BASE_URL: env.url('an http(s) URL such as https://api.twilio.com', 'https://api.twilio.com'),
  /** Public URL of the gateway's `POST /v1/webhooks/twilio/status`, sent as each message's `StatusCallback`; unset: none. */
  TWILIO_STATUS_CALLBACK_URL: z.string().url().optional().describe('an http(s) URL of the status webhook'),
  /**
   * Public base URL (scheme, host, optional port; no path) the gateway is reached at by Twilio: the
   * signature of a webhook is computed over this + the request path and query.
   */
  TWILIO_WEBHOOK_BASE_URL: env.url('the public http(s) base URL of the gateway', 'http://localhost:3000'),
  /** Reply to an inbound HELP (TwiML `<Message>`). */
  TWILIO_HELP_TEXT: env.string(
    'Keyhouse notifications: reply STOP to unsubscribe, START to subscribe again. Msg&data rates may apply.',
    'the reply text to HELP',
  ),
  /** Attempts of an SMS job on 429 (20429) / 5xx / connection refused (5, exponential backoff from `TWILIO_RETRY_DELAY_MS`). */
  NOTIFICATIONS_SMS_ATTEMPTS: env.positiveInt(5, 'a number of attempts'),
  TWILIO_RETRY_DELAY_MS: env.positiveInt(2_000, 'milliseconds'),
  /** Timeout of one Messages API request, ms (10000). A timeout after the request was written = outcome unknown. */
  TWILIO_TIMEOUT_MS: env.positiveInt(10_000, 'milliseconds'),
  // --- Push through FCM HTTP v1 (docs/adr/0035 "Preferences, quiet hours and push") ---
  /** Firebase project id. Unset: the push channel is off (no push delivery is created; devices can still be registered). */
  FCM_PROJECT_ID: env.optionalString('a Firebase project id'),
  /**
   * Service-account key (the JSON Google issues, raw or base64) of that project, for firebase-admin's
   * `cert()`. Unset: Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, workload
   * identity), or a static token when `FCM_BASE_URL` points at the provider sandbox. Never logged.
   */
  FCM_CREDENTIALS: env.optionalString('a service-account JSON key (raw or base64)'),
  /**
   * Where FCM (and Google's token endpoint) is reached instead of https://fcm.googleapis.com: the
   * provider sandbox in local runs and tests. firebase-admin 13 has no base-URL setting, so this
   * installs an `httpAgent` that connects every Google request to this host. Unset: Google.
   */
  FCM_BASE_URL: z.string().url().optional().describe('an http(s) URL of an FCM v1 stand-in (the provider sandbox)'),
  /** Attempts of a push job on 429 / 5xx / refused connection (5, exponential backoff from `FCM_RETRY_DELAY_MS`). */
  NOTIFICATIONS_PUSH_ATTEMPTS: env.positiveInt(5, 'a number of attempts'),
  FCM_RETRY_DELAY_MS: env.positiveInt(2_000, 'milliseconds'),
  // --- end push ---
  // --- Reconcile of `unknown` sends (docs/adr/0035 "Reconcile of unknown sends") ---
  /**
   * How long a delivery stays `unknown` before the reconcile acts on it, ms (900000 = 15 min):
   * longer than SendGrid's event latency (its `processed` event, carrying our `deliveryId`, settles
   * an email by itself) and Twilio's. After it: an SMS is looked up at Twilio first; then one resend,
   * or `failed` `PROVIDER_OUTCOME_UNRESOLVED` when the resend is unknown too.
   */
  NOTIFICATIONS_RECONCILE_GRACE_MS: env.positiveInt(900_000, 'milliseconds'),
  /** How often the reconcile job runs, ms (60000; a repeatable Bull job on `notifications.reconcile`). */
  NOTIFICATIONS_RECONCILE_EVERY_MS: env.positiveInt(60_000, 'milliseconds'),
  /** Deliveries one reconcile run takes at most (200); the rest wait for the next run. */
  NOTIFICATIONS_RECONCILE_BATCH: env.positiveInt(200, 'a number of deliveries'),
  // --- end reconcile ---
};

export type NotificationsConfig = ReturnType<typeof loadNotificationsConfig>;

/** Loads and checks the environment; prints the one-line error and exits 78 when invalid (`loadConfigOrExit`). */
export function loadNotificationsConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(notificationsEnv, source);
}

export const NOTIFICATIONS_CONFIG = Symbol('NOTIFICATIONS_CONFIG');
