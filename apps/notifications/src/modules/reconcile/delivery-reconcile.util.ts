import type { NotificationDeliveryStatus } from '@keyhouse/contracts';
import type { TwilioListedMessage } from './twilio-message-lookup.adapter';

/**
 * How far before the delivery's creation a Twilio message may be dated and still be ours (ms): the
 * clocks of Twilio and our database differ a little; Twilio's dates have second precision.
 */
export const TWILIO_CLOCK_SKEW_MS = 120_000;

/**
 * The message Twilio holds for an `unknown` SMS delivery, or null: same `To` and `From`, exactly
 * the body the job sends (`smsText`), created no earlier than the delivery (minus
 * `TWILIO_CLOCK_SKEW_MS`), and not already the `provider_message_id` of another delivery
 * (`claimedSids`: two notifications with the same text to one number are told apart). The oldest
 * such message wins (the first attempt's).
 */
export function matchTwilioMessage(
  messages: readonly TwilioListedMessage[],
  expected: { to: string; from: string; body: string; createdAt: Date },
  claimedSids: ReadonlySet<string>,
): TwilioListedMessage | null {
  const candidates = messages.filter(
    (message) =>
      message.to === expected.to &&
      message.from === expected.from &&
      message.body === expected.body &&
      message.dateCreated.getTime() >= expected.createdAt.getTime() - TWILIO_CLOCK_SKEW_MS &&
      !claimedSids.has(message.sid),
  );
  candidates.sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
  return candidates[0] ?? null;
}

/**
 * The delivery status a message Twilio holds stands for (docs/adr/0035 "Second slice: SMS"):
 * `delivered` → delivered; `read` → opened; `failed`, `undelivered`, `canceled` → failed with
 * `TWILIO_<error_code>`; anything else Twilio accepted (`accepted`, `scheduled`, `queued`,
 * `sending`, `sent`) → sent. The reason is null for the others.
 */
export function deliveryStatusOfTwilio(message: Pick<TwilioListedMessage, 'status' | 'errorCode'>): {
  status: NotificationDeliveryStatus;
  reason: string | null;
} {
  switch (message.status) {
    case 'delivered':
      return { status: 'delivered', reason: null };
    case 'read':
      return { status: 'opened', reason: null };
    case 'failed':
    case 'undelivered':
    case 'canceled':
      return { status: 'failed', reason: `TWILIO_${message.errorCode ?? message.status.toUpperCase()}` };
    default:
      return { status: 'sent', reason: null };
  }
}
