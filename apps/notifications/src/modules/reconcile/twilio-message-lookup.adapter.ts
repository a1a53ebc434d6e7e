import type twilio from 'twilio';
import type { NotificationsConfig } from '../../config/notifications.config';
import { twilioClientFor } from '../sms/twilio-sms.adapter';

/** One message of Twilio's Messages list, as the reconcile compares it. */
export interface TwilioListedMessage {
  sid: string;
  to: string;
  from: string | null;
  body: string;
  status: string;
  /** Twilio's `error_code` (failed/undelivered), else null. */
  errorCode: number | null;
  dateCreated: Date;
}

/**
 * Asks Twilio which messages it holds (the official `twilio` SDK's `messages.list`), for the
 * reconcile of `unknown` SMS: Twilio has no idempotency key, so a send whose answer was lost is
 * found by its `To`/`From` and then compared by body and creation time (`matchTwilioMessage`).
 * No `DateSent` filter: a message Twilio still holds as `queued` has no `date_sent` and would be
 * missed (the Messages list filters on `date_sent`). Same account, token, base URL and timeout as
 * the SMS adapter. Built only when `TWILIO_ACCOUNT_SID` is set.
 */
export class TwilioMessageLookupAdapter {
  private readonly client: twilio.Twilio;

  constructor(config: Pick<NotificationsConfig, 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_BASE_URL' | 'TWILIO_TIMEOUT_MS'>) {
    this.client = twilioClientFor(config);
  }

  /**
   * The newest `limit` messages (default 100) from `from` to `to`, newest first.
   *
   * @throws the SDK's `RestException` or a network error: the caller must not conclude "not sent" from it.
   */
  async recent(to: string, from: string, limit = 100): Promise<TwilioListedMessage[]> {
    const messages = await this.client.messages.list({ to, from, limit, pageSize: Math.min(limit, 1000) });
    return messages.map((message) => ({
      sid: message.sid,
      to: message.to,
      from: message.from ?? null,
      body: message.body ?? '',
      status: String(message.status),
      errorCode: typeof message.errorCode === 'number' ? message.errorCode : null,
      dateCreated: message.dateCreated,
    }));
  }
}
