import type { NotificationChannel, NotificationDeliveryStatus } from '../../events/notifications/notifications.event';
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

/**
 * NATS request/reply contracts of the notifications service (`notifications.<aggregate>.<verb>`):
 * request `data` and reply `data` of each. Refusals are `DomainException`s (`NOTIFICATION_*`,
 * `WEBHOOK_*` codes, `FORBIDDEN`, `USER_SESSION_REQUIRED`, `VALIDATION_FAILED`, `INVALID_CURSOR`).
 */
export const NotificationsSubjects = {
  /** The caller's own in-app notifications, newest first (a signed-in user; no permission needed). */
  list: defineRpc<NotificationListRequest, Page<NotificationView>>('notifications.notifications.list'),
  /** How many of the caller's notifications are unread. */
  unreadCount: defineRpc<Record<string, never>, NotificationUnreadCountView>('notifications.notifications.unread-count'),
  /** Marks one of the caller's notifications read (idempotent); another user's answers 404 `NOTIFICATION_NOT_FOUND`. */
  markRead: defineRpc<NotificationIdRequest, NotificationView>('notifications.notifications.mark-read'),
  /** Marks every unread notification of the caller read; replies how many changed. */
  markAllRead: defineRpc<Record<string, never>, NotificationMarkAllReadView>('notifications.notifications.mark-all-read'),
  /** The notification history with each notification's deliveries (`notifications:read`: own, team or org). */
  history: defineRpc<NotificationHistoryRequest, Page<NotificationHistoryView>>('notifications.history.list'),
  /**
   * A SendGrid Event Webhook POST as it arrived (raw body and the two signature headers), from the
   * gateway's public route; verified before anything is stored (401 `WEBHOOK_SIGNATURE_INVALID`).
   */
  sendgridEvents: defineRpc<SendgridWebhookRequest, SendgridWebhookResponse>('notifications.webhooks.sendgrid-events'),
  /**
   * A Twilio status callback (`POST /v1/webhooks/twilio/status`) as it arrived; `X-Twilio-Signature`
   * verified before anything is stored (401 `WEBHOOK_SIGNATURE_INVALID`); replies an empty TwiML.
   */
  twilioStatus: defineRpc<TwilioWebhookRequest, TwilioWebhookResponse>('notifications.webhooks.twilio-status'),
  /**
   * An inbound SMS (`POST /v1/webhooks/twilio/inbound`) as it arrived; verified like the status
   * callback; idempotent on `MessageSid`; replies the TwiML to answer Twilio with.
   */
  twilioInbound: defineRpc<TwilioWebhookRequest, TwilioWebhookResponse>('notifications.webhooks.twilio-inbound'),
  /**
   * A crm contact's email activity, newest first: each email sent (or blocked) to the contact and
   * SendGrid's events about it (delivered, open, click, bounce, ...). `contacts:read` (org, team:
   * contacts owned by the caller's team, own: contacts the caller owns); another organization's or
   * a contact out of scope answers 404 `CONTACT_NOT_FOUND`.
   */
  contactEmailActivity: defineRpc<ContactEmailActivityRequest, Page<ContactEmailActivityView>>('notifications.contacts.email-activity'),
};

/**
 * `GET /v1/notifications`: `unread` only the unread ones; `type` one notification type; `after`
 * only those newer than a notification of the caller (its id: strictly after it in the list's
 * `(createdAt, id)` order) or than an ISO 8601 time (created strictly after it) — the realtime
 * channel's catch-up: a reconnecting client passes the last id it saw.
 */
export interface NotificationListRequest extends PageQuery {
  unread?: boolean;
  type?: string;
  /** A notification id (UUID) or an ISO 8601 date-time. */
  after?: string;
}

/** A notification id (`POST /v1/notifications/:id/read`). */
export interface NotificationIdRequest {
  /** @format uuid */
  id: string;
}

/** One in-app notification of the caller. `data` holds the ids it is about (`contactId`, `taskId`). */
export interface NotificationView {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  /** Path in the web app the notification opens (`/contacts/<id>`), or null. */
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface NotificationUnreadCountView {
  count: number;
}

export interface NotificationMarkAllReadView {
  /** Notifications that were unread and are now read. */
  updated: number;
}

/**
 * `GET /v1/notifications/history`: `type`, `channel`, `status` (of a delivery), `recipientId`
 * (a user id; outside the caller's scope: empty result), `from`/`to` ISO 8601 bounds on the
 * creation time (from inclusive, to exclusive).
 */
export interface NotificationHistoryRequest extends PageQuery {
  type?: string;
  channel?: NotificationChannel;
  status?: NotificationDeliveryStatus;
  /** @format uuid */
  recipientId?: string;
  /** @format date-time */
  from?: string;
  /** @format date-time */
  to?: string;
}

/** One channel delivery of a notification, as the history shows it. */
export interface NotificationDeliveryView {
  id: string;
  channel: NotificationChannel;
  status: NotificationDeliveryStatus;
  /** Machine-readable reason of a blocked, failed, bounced or unknown delivery (`SUPPRESSED`, ...). */
  reason: string | null;
  /** The provider's message id (SendGrid `X-Message-Id`). */
  providerMessageId: string | null;
  /** Address it went to (an email address), null for in-app. */
  to: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

/** A notification with its recipient and deliveries (`GET /v1/notifications/history`). */
export interface NotificationHistoryView extends NotificationView {
  /** The user it is for; null for a notification to a crm contact. */
  recipientUserId: string | null;
  /** The crm contact it is for (email / SMS only); null (or absent) for a notification to a user. */
  recipientContactId?: string | null;
  sourceEventId: string | null;
  deliveries: NotificationDeliveryView[];
}

/**
 * What the gateway forwards of `POST /v1/webhooks/sendgrid/events`: the body exactly as received
 * (UTF-8) and the headers `X-Twilio-Email-Event-Webhook-Signature` / `-Timestamp` (absent: null).
 */
export interface SendgridWebhookRequest {
  rawBody: string;
  signature: string | null;
  timestamp: string | null;
}

/** `received` events in the batch, `stored` of them new (a redelivered `sg_event_id` is not stored again). */
export interface SendgridWebhookResponse {
  received: number;
  stored: number;
}

/**
 * What the gateway forwards of a Twilio webhook POST: the form-urlencoded body exactly as received,
 * the `X-Twilio-Signature` header (absent: null), and the path with its query string as requested
 * (`/v1/webhooks/twilio/status?...`); the service prefixes its `TWILIO_WEBHOOK_BASE_URL` to get the
 * public URL the signature was computed over.
 */
export interface TwilioWebhookRequest {
  rawBody: string;
  signature: string | null;
  path: string;
}

/** The TwiML document to answer Twilio with (`text/xml`): `<Response/>`, or `<Response><Message>…</Message></Response>`. */
export interface TwilioWebhookResponse {
  twiml: string;
}

/** `GET /v1/contacts/:id/email-activity`: the contact, keyset page. */
export interface ContactEmailActivityRequest extends PageQuery {
  /** @format uuid */
  contactId: string;
}

/**
 * One entry of a contact's email activity. `kind` = `send` (an email delivery to the contact: its
 * `status` and `reason`, e.g. `blocked` `CONSENT_MISSING`) or a SendGrid event name (`processed`,
 * `delivered`, `open`, `click`, `bounce`, `dropped`, `deferred`, `spamreport`, `unsubscribe`, ...).
 */
export interface ContactEmailActivityView {
  /** The delivery id (`send`) or the stored SendGrid event's id. */
  id: string;
  kind: string;
  /** ISO 8601 UTC: the send time (creation time when never sent), or the event's time. */
  occurredAt: string;
  /** @format uuid */
  notificationId: string;
  /** @format uuid */
  deliveryId: string;
  /** Notification type (`invoice_sent`, `saved_search_match`). */
  notificationType: string;
  /** Email subject (the notification's title). */
  subject: string;
  /** Address it went to. */
  email: string | null;
  /** Delivery status now (`send`), null for an event. */
  status: NotificationDeliveryStatus | null;
  /** Block/failure reason (`send`) or SendGrid's reason (bounce, dropped), else null. */
  reason: string | null;
  /** The clicked URL (`click`), else null. */
  url: string | null;
}
