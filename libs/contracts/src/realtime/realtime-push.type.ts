import type { NotificationView } from '../rpc/notifications/notifications.rpc';

/**
 * The realtime channel (issue 14, docs/adr/0035 "Realtime channel"): a back-end service pushes an
 * event to a user's open Socket.IO connections by publishing a `RealtimePushMessage` on its own
 * core NATS subject `<service>.realtime.push` (a plain publish: no reply, no queue group). Every
 * gateway replica subscribes to `REALTIME_PUSH_SUBJECT_PATTERN` (behind `NATS_SUBJECT_PREFIX`) and
 * emits `event` with `data` to its local sockets of room `user:<userId>` whose organization is
 * `orgId`. Delivery is at most once (core NATS): a client catches up on what it missed through the
 * service's own list (`GET /v1/notifications?after=<last id seen>`).
 *
 * A new producer (messaging's conversation events) publishes on `realtimePushSubject('messaging')`
 * with its own event names; the gateway needs no change.
 */
export const REALTIME_PUSH_SUBJECT_PATTERN = '*.realtime.push';

/** The subject `service` publishes its pushes on (`notifications.realtime.push`), without `NATS_SUBJECT_PREFIX`. */
export function realtimePushSubject(service: string): string {
  return `${service}.realtime.push`;
}

/**
 * One push: deliver `event` with `data` to the sockets of user `userId` of organization `orgId`.
 * `event` matches `REALTIME_EVENT_NAME` (`notification.created`), at most 100 characters; `data` is
 * any JSON value, sent to the client as it is (the producer decides what the user may see).
 */
export interface RealtimePushMessage<TData = unknown> {
  /** @format uuid */
  orgId: string;
  /** @format uuid */
  userId: string;
  event: string;
  data: TData;
}

/**
 * Valid `RealtimePushMessage.event` names: at least two dotted lower-case parts
 * (`notification.created`, `unread_count.changed`, later `conversation.message_created`), so that a
 * push can never be one of Socket.IO's reserved events (`connect`, `disconnect`, ...) nor the
 * channel's own `auth_expired` / `reauth`.
 */
export const REALTIME_EVENT_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/** Socket.IO events the notifications service pushes (`RealtimePushMessage.event`). */
export const NotificationsRealtimeEvents = {
  /** A new in-app notification: the `NotificationView` exactly as `GET /v1/notifications` returns it. */
  notificationCreated: 'notification.created',
  /** The user's unread count changed (a new notification, one or all read): `RealtimeUnreadCountData`. */
  unreadCountChanged: 'unread_count.changed',
} as const;

/** Data of `notification.created`. */
export type RealtimeNotificationCreatedData = NotificationView;

/**
 * Data of `unread_count.changed`: the unread count read at `asOf` (ISO 8601, UTC, the database's
 * statement time). Pushes may arrive out of order (events of different partitions); a client keeps
 * the count with the latest `asOf`.
 */
export interface RealtimeUnreadCountData {
  count: number;
  asOf: string;
}
