import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type { NotificationsConfig } from '../../config/notifications.config';
import { NOT_SENT_CODES, type SendOutcome } from '../email/sendgrid-mail.adapter';

/** Twilio's error code for a send to a number that texted STOP to the sender (Advanced Opt-Out). */
export const TWILIO_OPTED_OUT_CODE = 21610;

/** One SMS as the Messages API takes it. */
export interface OutgoingSms {
  /** E.164. */
  to: string;
  /** E.164 (`TWILIO_FROM_NUMBER`). */
  from: string;
  body: string;
  /** Public URL Twilio posts the message's status changes to, or null for none. */
  statusCallback: string | null;
}

/**
 * What a send came to: the email channel's `SendOutcome` (`sent` with the message SID; `retry` on
 * 429/20429, 5xx or a refused connection; `rejected` on another 4xx, reason `TWILIO_<code>`;
 * `unknown` when the request was written but no answer came), plus `opted_out`: Twilio refused
 * with 21610 (the number texted STOP to our sender).
 */
export type SmsSendOutcome = SendOutcome | { kind: 'opted_out'; message: string };

/**
 * Rewrites `https://api.twilio.com` to `baseUrl` (twilio 5: region and edge only rename
 * `*.twilio.com` hosts; a custom `httpClient` is the supported hook): the provider sandbox locally.
 */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    options: RequestClient.RequestClientOptions,
  ) {
    super(options);
  }

  override request<T>(options: RequestClient.RequestOptions<T>) {
    return super.request<T>({ ...options, uri: options.uri.replace(/^https:\/\/api\.twilio\.com/, this.baseUrl) });
  }
}

/**
 * A `twilio` SDK client for `config`: account and token, request timeout `TWILIO_TIMEOUT_MS`, and a
 * rebasing `httpClient` when `TWILIO_BASE_URL` is not `https://api.twilio.com`. Used by the SMS
 * send and the reconcile's Messages lookup alike.
 */
export function twilioClientFor(
  config: Pick<NotificationsConfig, 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_BASE_URL' | 'TWILIO_TIMEOUT_MS'>,
): twilio.Twilio {
  const baseUrl = config.TWILIO_BASE_URL.replace(/\/+$/, '');
  const httpOptions = { timeout: config.TWILIO_TIMEOUT_MS };
  const httpClient =
    baseUrl === 'https://api.twilio.com' ? new twilio.RequestClient(httpOptions) : new RebasedRequestClient(baseUrl, httpOptions);
  return twilio(config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN ?? '', { httpClient });
}

/**
 * The SMS send through the official `twilio` SDK (Messages API): account `TWILIO_ACCOUNT_SID`,
 * `TWILIO_AUTH_TOKEN`, base URL `TWILIO_BASE_URL` (a rebasing `httpClient` when it is not
 * `https://api.twilio.com`), request timeout `TWILIO_TIMEOUT_MS`. Built only when an Account SID is configured.
 */
export class TwilioSmsAdapter {
  private readonly client: twilio.Twilio;

  constructor(config: Pick<NotificationsConfig, 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_BASE_URL' | 'TWILIO_TIMEOUT_MS'>) {
    this.client = twilioClientFor(config);
  }

  /** Sends `sms`; never throws for a provider answer or a network failure (see `SmsSendOutcome`). */
  async send(sms: OutgoingSms): Promise<SmsSendOutcome> {
    try {
      const message = await this.client.messages.create({
        to: sms.to,
        from: sms.from,
        body: sms.body,
        ...(sms.statusCallback ? { statusCallback: sms.statusCallback } : {}),
      });
      return { kind: 'sent', messageId: message.sid };
    } catch (error) {
      return classifyTwilioError(error);
    }
  }
}

/**
 * Classifies an error of `messages.create`: a `RestException` (`status` = HTTP status, `code` =
 * Twilio error code) or an axios/network error (`code` = `ECONNREFUSED`, `ECONNABORTED`, ...).
 * 21610 → `opted_out`; 429 (20429) and 5xx → `retry`; another 4xx → `rejected` with reason
 * `TWILIO_<code>`; a connection refused before anything was written → `retry`; else `unknown`.
 */
export function classifyTwilioError(error: unknown): SmsSendOutcome {
  const failure = error as { status?: unknown; code?: unknown; message?: string };
  if (typeof failure.status === 'number') {
    const status = failure.status;
    const code = typeof failure.code === 'number' ? failure.code : null;
    const message = failure.message ?? `HTTP ${status}`;
    if (code === TWILIO_OPTED_OUT_CODE) return { kind: 'opted_out', message };
    if (status === 429 || status >= 500) return { kind: 'retry', status, message };
    return { kind: 'rejected', status, message, reason: `TWILIO_${code ?? status}` };
  }
  const code = typeof failure.code === 'string' ? failure.code : '';
  if (NOT_SENT_CODES.has(code)) return { kind: 'retry', status: null, message: code };
  return { kind: 'unknown', message: code || failure.message || 'no answer' };
}
