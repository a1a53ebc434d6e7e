import { randomBytes } from 'node:crypto';

/** Twilio's REST error body `{code, message, more_info, status}` (../shared/data/twilio/rest-errors). */
export interface TwilioError {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

/** A Twilio REST error body for `code` with the HTTP `status`. */
export function twilioError(code: number, message: string, status = 400): TwilioError {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** E.164: `+`, country code, up to 15 digits (what Twilio accepts as a `To` for SMS). */
export const E164 = /^\+[1-9]\d{1,14}$/;

/** Twilio's default opt-out keywords (twilio.com/docs/messaging/tutorials/advanced-opt-out). */
export const OPT_OUT_KEYWORDS = ['STOP', 'UNSUBSCRIBE', 'END', 'QUIT', 'STOPALL', 'REVOKE', 'OPTOUT', 'CANCEL'];
/** Opt back in (Advanced Opt-Out defaults). */
export const OPT_IN_KEYWORDS = ['START', 'UNSTOP'];
/** Help keywords. */
export const HELP_KEYWORDS = ['HELP', 'INFO'];

/**
 * The `OptOutType` Twilio adds to an inbound SMS: only when the whole body (trimmed,
 * case-insensitive) is a keyword — "STOP PLEASE" is not. Undefined for any other body.
 */
export function optOutTypeOf(body: string): 'STOP' | 'START' | 'HELP' | undefined {
  const word = body.trim().toUpperCase();
  if (OPT_OUT_KEYWORDS.includes(word)) return 'STOP';
  if (OPT_IN_KEYWORDS.includes(word)) return 'START';
  if (HELP_KEYWORDS.includes(word)) return 'HELP';
  return undefined;
}

/** A new SID: two-letter prefix + 32 hex digits (`SM…` messages, `MM…` media). */
export function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** Twilio's date format in resources: RFC 2822 with `+0000` (`Thu, 24 Aug 2023 05:01:45 +0000`). */
export function twilioDate(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

/** `RawDlrDoneDate`: the carrier's done date as YYMMDDhhmm (UTC here). */
export function rawDlrDoneDate(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCFullYear() % 100)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}`;
}

/** Segments of an SMS body: 160 characters for one, 153 per segment when concatenated (GSM-7; UCS-2 ignored). */
export function segmentsOf(body: string): number {
  return body.length <= 160 ? 1 : Math.ceil(body.length / 153);
}

/** Statuses a message can have (PROVIDERS.md "Twilio Messaging"). */
export const TWILIO_STATUSES = [
  'queued',
  'sending',
  'sent',
  'failed',
  'delivered',
  'undelivered',
  'receiving',
  'received',
  'accepted',
  'scheduled',
  'read',
  'partially_delivered',
  'canceled',
];
