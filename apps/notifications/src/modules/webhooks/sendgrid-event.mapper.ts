import type { NotificationDeliveryStatus } from '@keyhouse/contracts';

/** The 11 SendGrid Event Webhook event types (PROVIDERS.md). */
export const SENDGRID_EVENT_TYPES = [
  'processed',
  'deferred',
  'delivered',
  'open',
  'click',
  'bounce',
  'dropped',
  'spamreport',
  'unsubscribe',
  'group_unsubscribe',
  'group_resubscribe',
] as const;

export type SendgridEventType = (typeof SENDGRID_EVENT_TYPES)[number];

/** A webhook event with the fields we rely on checked; the rest stays in `payload`. */
export interface SendgridEvent {
  sgEventId: string;
  event: SendgridEventType;
  email: string;
  /** The event's own time (unix seconds from SendGrid). */
  occurredAt: Date;
  /** Our custom args (top-level keys of the event). */
  notificationId: string | null;
  deliveryId: string | null;
  sgMessageId: string | null;
  /** `bounce`: `bounce` or `blocked`. */
  bounceType: string | null;
  /** SendGrid's reason (bounce, dropped, deferred). */
  reason: string | null;
  payload: Record<string, unknown>;
}

/**
 * What each event type does to the delivery: its new status (forward only; null: none) and
 * whether the address is suppressed. `processed` → sent; `delivered`; `open` and `click` → opened;
 * `bounce` → bounced (`type: blocked` too, but only a real bounce suppresses the address);
 * `dropped` → failed; `spamreport`, `unsubscribe` and `group_unsubscribe` suppress;
 * `deferred` and `group_resubscribe` change no status (a resubscribe lifts a group unsubscribe).
 */
export function effectOf(event: SendgridEvent): { status: NotificationDeliveryStatus | null; suppress: boolean } {
  switch (event.event) {
    case 'processed':
      return { status: 'sent', suppress: false };
    case 'delivered':
      return { status: 'delivered', suppress: false };
    case 'open':
    case 'click':
      return { status: 'opened', suppress: false };
    case 'bounce':
      return { status: 'bounced', suppress: event.bounceType !== 'blocked' };
    case 'dropped':
      return { status: 'failed', suppress: false };
    case 'spamreport':
    case 'unsubscribe':
    case 'group_unsubscribe':
      return { status: null, suppress: true };
    case 'deferred':
    case 'group_resubscribe':
      return { status: null, suppress: false };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function text(value: unknown, max = 1000): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

/**
 * Checks one element of a webhook batch (untrusted input): an object with `sg_event_id`, a known
 * `event`, `email` and a numeric `timestamp`; `notificationId` / `deliveryId` kept only when they
 * are UUIDs. Returns null for anything else (skipped, counted as received).
 */
export function parseSendgridEvent(value: unknown): SendgridEvent | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const item = value as Record<string, unknown>;
  const sgEventId = text(item.sg_event_id, 200);
  const email = text(item.email, 320);
  const event = item.event;
  const timestamp = item.timestamp;
  if (!sgEventId || !email || typeof event !== 'string' || !(SENDGRID_EVENT_TYPES as readonly string[]).includes(event)) return null;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) return null;
  const uuid = (v: unknown) => (typeof v === 'string' && UUID.test(v) ? v.toLowerCase() : null);
  return {
    sgEventId,
    event: event as SendgridEventType,
    email: email.toLowerCase(),
    occurredAt: new Date(Math.trunc(timestamp) * 1000),
    notificationId: uuid(item.notificationId),
    deliveryId: uuid(item.deliveryId),
    sgMessageId: text(item.sg_message_id, 300),
    bounceType: event === 'bounce' ? (text(item.type, 50) ?? 'bounce') : null,
    reason: text(item.reason) ?? text(item.response),
    payload: item,
  };
}
