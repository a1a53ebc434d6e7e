import type { JsonObject } from '@keyhouse/platform/database';

/** `notification.data`: the ids the notification is about (`contactId`, `taskId`, ...), shown to the client as they are. */
export type NotificationData = Record<string, string | number | boolean | null>;

/** `email_event.payload`: the SendGrid event object as received (untrusted input, kept for reconciling). */
export type EmailEventPayload = JsonObject;

/** `local_email.custom_args`: the custom args the email would have carried (`notificationId`, `deliveryId`). */
export type EmailCustomArgs = Record<string, string>;
