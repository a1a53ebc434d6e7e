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
  /** An owner/admin replaced the organization's notification defaults, mandatory types or quiet-hours zone (`PUT /v1/notification-settings`). */
  settingsUpdated: defineEvent<NotificationSettingsUpdatedData>('notifications.settings.updated'),
  /** A user replaced their channel switches or quiet hours (`PUT /v1/users/me/notification-preferences`). */
  preferencesUpdated: defineEvent<NotificationPreferencesUpdatedData>('notifications.preferences.updated'),
  /** An owner/admin switched a built-in trigger on or off for the organization, or changed its channels (`PATCH /v1/notification-triggers/:type`). */
  triggerUpdated: defineEvent<NotificationTriggerUpdatedData>('notifications.trigger.updated'),
  /** An owner/admin set or removed the organization's SendGrid dynamic template id of a notification type (`PUT /v1/notification-templates/:type`). */
  templateUpdated: defineEvent<NotificationTemplateUpdatedData>('notifications.template.updated'),
  /** A notification to a crm contact was created (email / SMS only, never in-app), with each channel's outcome at creation. */
  contactNotificationCreated: defineEvent<ContactNotificationCreatedData>('notifications.contact_notification.created'),
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

/**
 * `notifications.contact_notification.created` (keyed by the notification id): a notification to a
 * crm contact (`invoice_sent`, `saved_search_match`), with the channels it has a delivery on and the
 * reason of each delivery blocked at creation (`CONSENT_MISSING`, `DO_NOT_CONTACT`, `SUPPRESSED`,
 * `OPTED_OUT`, `NO_ADDRESS`). Carries no address or phone (they stay in the notifications service).
 */
export interface ContactNotificationCreatedData {
  /** @format uuid */
  notificationId: string;
  /** @format uuid */
  contactId: string;
  /** Notification type (`invoice_sent`, `saved_search_match`). */
  type: string;
  /** True when the type is marketing (needs the channel's consent), false when transactional. */
  marketing: boolean;
  channels: NotificationChannel[];
  /** Channels blocked at creation, with the reason. */
  blocked: Array<{ channel: NotificationChannel; reason: string }>;
  /** Id of the domain event that triggered it (the dedupe key with contact and type). */
  sourceEventId: string | null;
}

/**
 * `notifications.trigger.updated` (keyed by the notification type): the organization's switch of
 * one built-in trigger after the change, and what it was before (the built-in default when the
 * organization had never changed it). `channels` null = the trigger's default channels.
 */
export interface NotificationTriggerUpdatedData {
  /** Notification type of the trigger (`lead_assigned`, `invoice_paid`, ...). */
  type: string;
  enabled: boolean;
  channels: NotificationChannel[] | null;
  from: { enabled: boolean; channels: NotificationChannel[] | null };
}

/** `notifications.template.updated` (keyed by the notification type). */
export interface NotificationTemplateUpdatedData {
  /** Notification type (`lead_assigned`, `invoice_sent`, ...). */
  type: string;
  /** The organization's SendGrid dynamic template id (`d-` + 32 hex) now, or null: the built-in default. */
  sendgridTemplateId: string | null;
  /** The id before the change (null: the built-in default). */
  from: string | null;
}

/** One channel switch of a type, as `notifications.settings.updated` and `notifications.preferences.updated` carry them. */
export interface NotificationChannelSwitchData {
  type: string;
  channel: NotificationChannel;
  enabled: boolean;
}

/**
 * `notifications.settings.updated` (keyed by the organization id): the organization's settings
 * after the change (the whole set: default switches per type and channel, mandatory types, the
 * default quiet-hours zone) and the user who changed them.
 */
export interface NotificationSettingsUpdatedData {
  defaults: NotificationChannelSwitchData[];
  mandatoryTypes: string[];
  /** IANA zone, null = UTC. */
  timeZone: string | null;
  /** @format uuid */
  updatedBy: string;
}

/**
 * `notifications.preferences.updated` (keyed by the user id): the user's per-type channel switches
 * and quiet hours after the change (the whole set; quiet hours null = none).
 */
export interface NotificationPreferencesUpdatedData {
  /** @format uuid */
  userId: string;
  preferences: NotificationChannelSwitchData[];
  quietHours: { start: string; end: string; timeZone: string | null } | null;
}
