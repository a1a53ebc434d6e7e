import { randomBytes } from 'node:crypto';
import type { SendgridMessageRecord, SendgridRecipient } from '../sandbox/sandbox-state.service';

/** The Event Webhook event types the sandbox posts (sendgrid/docs event.md; `blocked` is `bounce` with `type: blocked`). */
export const SENDGRID_EVENT_TYPES = [
  'processed',
  'deferred',
  'delivered',
  'open',
  'click',
  'bounce',
  'blocked',
  'dropped',
  'spamreport',
  'unsubscribe',
  'group_unsubscribe',
  'group_resubscribe',
] as const;
export type SendgridEventType = (typeof SENDGRID_EVENT_TYPES)[number];

const USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)';
/** Keys SendGrid sets itself; a custom_args key with one of these names does not overwrite it. */
const RESERVED = new Set([
  'email',
  'timestamp',
  'smtp-id',
  'event',
  'category',
  'sg_event_id',
  'sg_message_id',
  'response',
  'attempt',
  'useragent',
  'ip',
  'url',
  'reason',
  'status',
  'type',
  'asm_group_id',
  'tls',
  'pool',
]);

/** A new X-Message-Id: 22 characters of base64url, like SendGrid's (../shared/data/sendgrid/mail-send/message_id_relation.json). */
export function newMessageId(): string {
  return randomBytes(16).toString('base64url');
}

/** The `sg_message_id` of one recipient's message: X-Message-Id + `.filter…` server suffix. */
export function sgMessageIdFor(messageId: string, recipientIndex: number): string {
  return `${messageId}.filter0001p1sandbox-${recipientIndex}-${randomBytes(4).toString('hex').toUpperCase()}-0.0`;
}

/** A unique `sg_event_id` (SendGrid's are base64url, 22–24 chars). */
export function newEventId(): string {
  return randomBytes(16).toString('base64url');
}

/** Options of a simulated event: the clicked URL, a bounce/drop reason. */
export interface SendgridEventOptions {
  url?: string;
  reason?: string;
  /** Unix seconds; default now. */
  timestamp?: number;
}

/**
 * One Event Webhook event for `recipient` of `message`, shaped like SendGrid's examples
 * (../shared/data/sendgrid/event-webhook/by-type): custom_args as top-level keys (reserved keys
 * win), `category` (string for one, array for several), unique `sg_event_id`, the recipient's
 * `sg_message_id`, `timestamp` in unix seconds, plus the type's own fields.
 */
export function buildSendgridEvent(
  message: SendgridMessageRecord,
  recipient: SendgridRecipient,
  type: SendgridEventType,
  options: SendgridEventOptions = {},
): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(recipient.customArgs)) if (!RESERVED.has(key)) event[key] = value;
  event.email = recipient.email;
  event.timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  event['smtp-id'] = `<${message.messageId}@sandbox.sendgrid.local>`;
  event.event = type === 'blocked' ? 'bounce' : type;
  if (message.categories.length === 1) event.category = message.categories[0];
  else if (message.categories.length > 1) event.category = [...message.categories];
  event.sg_event_id = newEventId();
  event.sg_message_id = recipient.sgMessageId;
  switch (type) {
    case 'processed':
      break;
    case 'delivered':
      event.response = '250 OK';
      event.tls = 1;
      break;
    case 'deferred':
      event.response = options.reason ?? '400 try again later';
      event.attempt = '1';
      break;
    case 'open':
      event.useragent = USER_AGENT;
      event.ip = '203.0.113.7';
      event.sg_machine_open = false;
      break;
    case 'click':
      event.useragent = USER_AGENT;
      event.ip = '203.0.113.7';
      event.url = options.url ?? 'https://example.com/';
      event.url_offset = { index: 0, type: 'html' };
      break;
    case 'bounce':
    case 'blocked':
      event.reason =
        options.reason ??
        (type === 'bounce'
          ? '550 5.1.1 The email account that you tried to reach does not exist.'
          : '550 5.7.1 Blocked by recipient server');
      event.status = '5.0.0';
      event.type = type;
      break;
    case 'dropped':
      event.reason = options.reason ?? 'Bounced Address';
      event.status = '5.0.0';
      break;
    case 'spamreport':
    case 'unsubscribe':
      break;
    case 'group_unsubscribe':
    case 'group_resubscribe':
      event.useragent = USER_AGENT;
      event.ip = '203.0.113.7';
      event.url = options.url ?? 'https://example.com/unsubscribe';
      event.asm_group_id = asmGroupOf(message);
      break;
  }
  return event;
}

function asmGroupOf(message: SendgridMessageRecord): number {
  const asm = message.request.asm as { group_id?: unknown } | undefined;
  return typeof asm?.group_id === 'number' ? asm.group_id : 1;
}
