import { defineEvent } from '../event-definition.util';

/** Kafka topic of the notifications service's domain events (without `KAFKA_TOPIC_PREFIX`). */
export const NOTIFICATIONS_EVENTS_TOPIC = 'notifications.events';

/**
 * Domain events of the notifications service (`notifications.<aggregate>.<past-tense>`), written
 * through its outbox to `notifications.events`; documented in docs/events/notifications-events.md.
 */
export const NotificationsEvent = {
  /** A notification was created for a user (from a trigger), with the channels it is delivered on. */
  notificationCreated: defineEvent<NotificationCreatedData>('notifications.notification.created'),
  /** A user marked one of their notifications read (`POST /v1/notifications/:id/read`). */
  notificationRead: defineEvent<NotificationReadData>('notifications.notification.read'),
  /** A user marked all their unread notifications read (`POST /v1/notifications/read-all`); one event per call. */
  notificationsAllRead: defineEvent<NotificationsAllReadData>('notifications.notification.all_read'),
  /** A delivery's status moved forward (sent, delivered, opened, bounced, failed, blocked, unknown). */
  deliveryStatusChanged: defineEvent<NotificationDeliveryStatusChangedData>('notifications.delivery.status_changed'),
  /** An address was put on the suppression list (a bounce, a spam report or an unsubscribe from SendGrid). */
  emailSuppressed: defineEvent<NotificationEmailSuppressedData>('notifications.email.suppressed'),
  /** A number opted out of SMS from our sender (an inbound STOP-like keyword, or Twilio error 21610 on a send). */
  smsOptedOut: defineEvent<NotificationSmsOptedOutData>('notifications.sms.opted_out'),
  /** A number opted back in to SMS from our sender (an inbound START or UNSTOP). */
  smsOptedIn: defineEvent<NotificationSmsOptedInData>('notifications.sms.opted_in'),
  /** An inbound SMS that is not a keyword (for the messaging service). */
  smsReceived: defineEvent<NotificationSmsReceivedData>('notifications.sms.received'),
};

/** Channels a notification is delivered on (`in_app`, `email`, `sms`; `push` in a later slice). */
export type NotificationChannel = 'in_app' | 'email' | 'sms' | 'push';

/**
 * Status of one delivery. Statuses only move forward (`queued` < `unknown` < `sent` < `delivered` |
 * `bounced` | `failed` | `blocked` < `opened`); `unknown` = the provider call's outcome is not known
 * (a timeout after the request was written), settled by a later reconcile, never resent blindly.
 */
export type NotificationDeliveryStatus = 'queued' | 'unknown' | 'sent' | 'delivered' | 'opened' | 'bounced' | 'failed' | 'blocked';

/** `notifications.notification.created`. */
export interface NotificationCreatedData {
  /** @format uuid */
  notificationId: string;
  /** @format uuid */
  recipientUserId: string;
  /** Notification type (`lead_assigned`, `task_assigned`). */
  type: string;
  channels: NotificationChannel[];
  /** Id of the domain event that triggered it (the dedupe key with recipient and type). */
  sourceEventId: string | null;
}

/** `notifications.notification.read`. */
export interface NotificationReadData {
  /** @format uuid */
  notificationId: string;
  /** @format uuid */
  recipientUserId: string;
}

/** `notifications.notification.all_read`: how many unread notifications were marked read. */
export interface NotificationsAllReadData {
  /** @format uuid */
  recipientUserId: string;
  count: number;
}

/** `notifications.delivery.status_changed`: `from` → `to`, with the provider's id and a reason code when there is one. */
export interface NotificationDeliveryStatusChangedData {
  /** @format uuid */
  deliveryId: string;
  /** @format uuid */
  notificationId: string;
  channel: NotificationChannel;
  from: NotificationDeliveryStatus;
  to: NotificationDeliveryStatus;
  /** Machine-readable reason (`SUPPRESSED`, `PROVIDER_REJECTED`, `PROVIDER_OUTCOME_UNKNOWN`, a SendGrid event name). */
  reason: string | null;
  providerMessageId: string | null;
}

/** `notifications.email.suppressed`: sends to `email` are blocked from now on (reason `SUPPRESSED`). */
export interface NotificationEmailSuppressedData {
  /** @format uuid */
  suppressionId: string;
  email: string;
  /** The SendGrid event that caused it: `bounce`, `spamreport`, `unsubscribe` or `group_unsubscribe`. */
  reason: string;
  /** SendGrid's `sg_event_id` of that event. */
  sgEventId: string;
  /** @format uuid */
  deliveryId: string | null;
}

/**
 * `notifications.sms.opted_out`: no SMS goes from `sender` to `phone` any more (deliveries are
 * blocked, `OPTED_OUT`). `orgid`: the organization of the latest SMS delivery to the number, else
 * of a recipient with that phone, else the nil UUID (the ledger itself belongs to no organization).
 */
export interface NotificationSmsOptedOutData {
  /** The person's number (E.164), the inbound `From`. */
  phone: string;
  /** Our number (E.164), the inbound `To`. */
  sender: string;
  /** `keyword`: the person texted `keyword`; `send_error`: Twilio refused a send with 21610. */
  source: 'keyword' | 'send_error';
  /** The keyword, upper case (`STOP`, `UNSUBSCRIBE`, ...), or null for a send error. */
  keyword: string | null;
  /** Twilio's `MessageSid` of the inbound message, or null. */
  messageSid: string | null;
  /** @format uuid */
  deliveryId: string | null;
}

/** `notifications.sms.opted_in`: SMS from `sender` to `phone` are allowed again. */
export interface NotificationSmsOptedInData {
  phone: string;
  sender: string;
  /** `START` or `UNSTOP`. */
  keyword: string;
  messageSid: string;
}

/** `notifications.sms.received`: an inbound SMS that is not a keyword, as Twilio posted it. */
export interface NotificationSmsReceivedData {
  /** @format uuid */
  inboundId: string;
  messageSid: string;
  /** The sender's number (E.164). */
  from: string;
  /** Our number it was sent to (E.164). */
  to: string;
  body: string;
  /** Media attached (`NumMedia`), 0 for text only. */
  numMedia: number;
}
