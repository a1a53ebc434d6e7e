import type { Selectable } from 'kysely';
import type { NotificationDeliveryView, NotificationView } from '@keyhouse/contracts';
import type { NotificationsDb } from '../../database/notifications.db';

/** Columns of a notification the views need. */
export const NOTIFICATION_COLUMNS = [
  'n.id',
  'n.type',
  'n.title',
  'n.body',
  'n.data',
  'n.link',
  'n.created_at',
  'n.read_at',
  'n.recipient_user_id',
  'n.source_event_id',
] as const;

export type NotificationRow = Pick<
  Selectable<NotificationsDb['notification']>,
  'id' | 'type' | 'title' | 'body' | 'data' | 'link' | 'created_at' | 'read_at' | 'recipient_user_id' | 'source_event_id'
>;

export type DeliveryRow = Pick<
  Selectable<NotificationsDb['delivery']>,
  | 'id'
  | 'notification_id'
  | 'channel'
  | 'status'
  | 'reason'
  | 'provider_message_id'
  | 'to_address'
  | 'attempts'
  | 'created_at'
  | 'updated_at'
>;

/** A notification row → its in-app view (times ISO 8601). */
export function toNotificationView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: row.data ?? {},
    link: row.link,
    createdAt: row.created_at.toISOString(),
    readAt: row.read_at ? row.read_at.toISOString() : null,
  };
}

/** A delivery row → its history view. */
export function toDeliveryView(row: DeliveryRow): NotificationDeliveryView {
  return {
    id: row.id,
    channel: row.channel,
    status: row.status,
    reason: row.reason,
    providerMessageId: row.provider_message_id,
    to: row.to_address,
    attempts: row.attempts,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
