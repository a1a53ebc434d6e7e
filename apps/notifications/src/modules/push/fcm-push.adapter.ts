import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import { applicationDefault, cert, deleteApp, initializeApp, type App, type Credential } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';
import type { NotificationsConfig } from '../../config/notifications.config';
import { NOT_SENT_CODES } from '../email/sendgrid-mail.adapter';
import { fcmBaseUrlAgent } from './fcm-agent.util';

/** What one push to one device token came to. */
export type PushSendOutcome =
  | { kind: 'sent'; messageName: string }
  /** FCM says the token is dead (UNREGISTERED / 404, an invalid registration token, INVALID_ARGUMENT on the token): remove it. */
  | { kind: 'invalid_token'; code: string }
  /** 429, 5xx or a connection refused before anything was written: retry later. */
  | { kind: 'retry'; code: string; message: string }
  /** Another refusal (credentials, sender mismatch): resending cannot help. */
  | { kind: 'rejected'; code: string; message: string }
  /** No answer after the request was written (timeout, reset): FCM may have it; not resent. */
  | { kind: 'unknown'; message: string };

/** The push message of a notification. `data` values are strings (FCM's rule). */
export interface PushMessage {
  title: string;
  body: string;
  data: Record<string, string>;
}

const INVALID_TOKEN_CODES = new Set([
  'messaging/registration-token-not-registered',
  'messaging/invalid-registration-token',
  'messaging/invalid-argument',
]);
const RETRY_CODES = new Set([
  'messaging/server-unavailable',
  'messaging/internal-error',
  'messaging/message-rate-exceeded',
  'messaging/device-message-rate-exceeded',
  'messaging/unknown-error',
]);

/** The outcome of a firebase-admin `send` error (`FirebaseMessagingError` / `FirebaseAppError` codes). */
export function classifyFcmError(error: unknown): PushSendOutcome {
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'unknown';
  const message = error instanceof Error ? error.message : String(error);
  if (INVALID_TOKEN_CODES.has(code)) return { kind: 'invalid_token', code };
  if (RETRY_CODES.has(code)) return { kind: 'retry', code, message };
  if (code === 'app/network-error') {
    // firebase-admin words it "... Error code: ECONNREFUSED": refused before anything was written.
    const cause = /Error code: (\w+)/.exec(message)?.[1];
    return cause && NOT_SENT_CODES.has(cause) ? { kind: 'retry', code: cause, message } : { kind: 'unknown', message };
  }
  if (code === 'app/network-timeout') return { kind: 'unknown', message };
  return { kind: 'rejected', code, message };
}

/** The credential of `config`: the service-account key, else a static token for a stand-in, else ADC. */
function credentialOf(config: Pick<NotificationsConfig, 'FCM_CREDENTIALS' | 'FCM_BASE_URL'>, agent: Agent | undefined): Credential {
  if (config.FCM_CREDENTIALS) {
    const raw = config.FCM_CREDENTIALS.trim();
    const json = raw.startsWith('{') ? raw : Buffer.from(raw, 'base64').toString('utf8');
    return cert(JSON.parse(json) as Record<string, string>, agent);
  }
  if (config.FCM_BASE_URL) {
    // The provider sandbox takes any bearer token; no Google account is needed locally.
    return { getAccessToken: async () => ({ access_token: 'keyhouse-local-fcm-token', expires_in: 3600 }) };
  }
  return applicationDefault(agent);
}

/**
 * FCM HTTP v1 through the official `firebase-admin` SDK (its own named app, not the default one):
 * project `FCM_PROJECT_ID`, credential `FCM_CREDENTIALS` (service-account JSON) or Application
 * Default Credentials, every Google request connected to `FCM_BASE_URL` when it is set (the
 * provider sandbox). One `messaging().send` per token (HTTP/1.1 through the agent; `sendEach`'s
 * HTTP/2 would bypass it). Built only when a project id is configured.
 */
export class FcmPushAdapter {
  private readonly app: App;

  constructor(config: Pick<NotificationsConfig, 'FCM_PROJECT_ID' | 'FCM_CREDENTIALS' | 'FCM_BASE_URL'>) {
    const agent = config.FCM_BASE_URL ? fcmBaseUrlAgent(config.FCM_BASE_URL) : undefined;
    this.app = initializeApp(
      { projectId: config.FCM_PROJECT_ID, credential: credentialOf(config, agent), ...(agent ? { httpAgent: agent } : {}) },
      `keyhouse-notifications-${randomUUID()}`,
    );
  }

  /** Sends `message` to one registration token; never throws (the outcome says what happened). */
  async send(token: string, message: PushMessage): Promise<PushSendOutcome> {
    try {
      const messageName = await getMessaging(this.app).send({
        token,
        notification: { title: message.title, body: message.body },
        data: message.data,
      });
      return { kind: 'sent', messageName };
    } catch (error) {
      return classifyFcmError(error);
    }
  }

  /** Releases the firebase-admin app (Nest calls it at shutdown). */
  async onModuleDestroy(): Promise<void> {
    await deleteApp(this.app);
  }
}
