import type { NotificationDeliveryStatus } from '@keyhouse/contracts';

/** Largest Twilio webhook body accepted, bytes (64 KB: an SMS body is at most 1600 characters). */
export const TWILIO_WEBHOOK_MAX_BYTES = 64 * 1024;

/** Keywords of Twilio's Advanced Opt-Out (case-insensitive, the whole trimmed body). */
export const SMS_OPT_OUT_KEYWORDS = ['STOP', 'UNSUBSCRIBE', 'END', 'QUIT', 'STOPALL', 'REVOKE', 'OPTOUT', 'CANCEL'];
export const SMS_OPT_IN_KEYWORDS = ['START', 'UNSTOP'];
export const SMS_HELP_KEYWORDS = ['HELP'];

/** What an inbound SMS is: an opt-out, an opt-in, a HELP request, or a message (`keyword` upper case, or null). */
export function classifyInbound(body: string): { kind: 'opt_out' | 'opt_in' | 'help' | 'message'; keyword: string | null } {
  const word = body.trim().toUpperCase();
  if (SMS_OPT_OUT_KEYWORDS.includes(word)) return { kind: 'opt_out', keyword: word };
  if (SMS_OPT_IN_KEYWORDS.includes(word)) return { kind: 'opt_in', keyword: word };
  if (SMS_HELP_KEYWORDS.includes(word)) return { kind: 'help', keyword: word };
  return { kind: 'message', keyword: null };
}

/**
 * The delivery status a Twilio `MessageStatus` moves an SMS delivery to (null: none): our
 * delivery is `sent` once the Messages API accepted it, so `accepted`/`scheduled`/`queued` change
 * nothing; `sending`/`sent` → `sent`; `delivered` → `delivered`; `read` → `opened`;
 * `failed`/`undelivered`/`canceled` → `failed`. Moves only forward (DeliveryStatusService).
 */
export function deliveryStatusOfTwilio(status: string): NotificationDeliveryStatus | null {
  switch (status) {
    case 'sending':
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'read':
      return 'opened';
    case 'failed':
    case 'undelivered':
    case 'canceled':
      return 'failed';
    default:
      return null;
  }
}

/** The form-urlencoded `rawBody` as Twilio's signature takes it: name → value (a repeated name: the last value). */
export function formParams(rawBody: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(rawBody));
}

/** A TwiML answer: `<Response/>`, or `<Response><Message>text</Message></Response>` with `text` XML-escaped. */
export function twiml(message: string | null): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  if (message === null) return `${head}<Response/>`;
  const escaped = message
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
  return `${head}<Response><Message>${escaped}</Message></Response>`;
}
