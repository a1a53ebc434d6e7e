import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import {
  NotificationsEvent,
  NotificationsRealtimeEvents,
  type CloudEvent,
  type NotificationCreatedData,
  type NotificationReadData,
  type NotificationsAllReadData,
  type RealtimePushMessage,
  type RealtimeUnreadCountData,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { NOTIFICATION_COLUMNS, toNotificationView } from '../inbox/notification.mapper';
import { PERSON_FACING_FETCH_WAIT_MS } from '../triggers/notification-triggers.constant';
import { RealtimePushService } from './realtime-push.service';

/** Consumer group over the service's own `notifications.events`, also the inbox's consumer name: never change it. */
export const NOTIFICATIONS_REALTIME_GROUP = 'notifications.realtime';

/**
 * Feeds the realtime channel (issue 14; docs/adr/0035 "Realtime channel") from the service's own
 * events (group `notifications.realtime`, each event handled once with its inbox row):
 * - `notifications.notification.created` with the `in_app` channel → `notification.created` (the
 *   view as `GET /v1/notifications` returns it) then `unread_count.changed`;
 * - `notifications.notification.read` / `.all_read` → `unread_count.changed`.
 * Both are read in the handler's transaction and published on core NATS after it committed
 * (`RealtimePushService`): a redelivered event is skipped by the inbox and pushes nothing again; a
 * crash between the commit and the publish loses that push (core NATS is at most once anyway),
 * which the client's catch-up (`after=`) covers. A notification gone by then (erased) pushes nothing.
 */
@Injectable()
export class NotificationsRealtimeConsumer {
  constructor(private readonly push: RealtimePushService) {}

  /** A new notification: its view and the recipient's unread count. */
  @OnEvent(NotificationsEvent.notificationCreated, { group: NOTIFICATIONS_REALTIME_GROUP, maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS })
  async onNotificationCreated(event: CloudEvent<NotificationCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (!data.channels.includes('in_app')) return;
    const row = await kyselyFor<NotificationsDb>(unit.manager)
      .selectFrom('notification as n')
      .select(NOTIFICATION_COLUMNS)
      .where('n.id', '=', data.notificationId)
      .where('n.org_id', '=', event.orgid)
      .where('n.recipient_user_id', '=', data.recipientUserId)
      .executeTakeFirst();
    if (!row) return;
    const base = { orgId: event.orgid, userId: data.recipientUserId };
    const messages: RealtimePushMessage[] = [
      { ...base, event: NotificationsRealtimeEvents.notificationCreated, data: toNotificationView(row) },
      {
        ...base,
        event: NotificationsRealtimeEvents.unreadCountChanged,
        data: await this.unreadCount(unit, event.orgid, data.recipientUserId),
      },
    ];
    unit.afterCommit(() => this.push.publish(messages));
  }

  /** One of a user's notifications was marked read: their unread count now. */
  @OnEvent(NotificationsEvent.notificationRead, { group: NOTIFICATIONS_REALTIME_GROUP, maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS })
  async onNotificationRead(event: CloudEvent<NotificationReadData>, unit: UnitOfWorkContext): Promise<void> {
    await this.pushUnreadCount(unit, event.orgid, event.data.recipientUserId);
  }

  /** All of a user's notifications were marked read: their unread count now (0 unless new ones came since). */
  @OnEvent(NotificationsEvent.notificationsAllRead, { group: NOTIFICATIONS_REALTIME_GROUP, maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS })
  async onAllRead(event: CloudEvent<NotificationsAllReadData>, unit: UnitOfWorkContext): Promise<void> {
    await this.pushUnreadCount(unit, event.orgid, event.data.recipientUserId);
  }

  private async pushUnreadCount(unit: UnitOfWorkContext, orgId: string, userId: string): Promise<void> {
    const message: RealtimePushMessage<RealtimeUnreadCountData> = {
      orgId,
      userId,
      event: NotificationsRealtimeEvents.unreadCountChanged,
      data: await this.unreadCount(unit, orgId, userId),
    };
    unit.afterCommit(() => this.push.publish([message]));
  }

  /** The user's unread count and the database time it was read at (`statement_timestamp()`, ISO 8601 UTC). */
  private async unreadCount(unit: UnitOfWorkContext, orgId: string, userId: string): Promise<RealtimeUnreadCountData> {
    const row = await kyselyFor<NotificationsDb>(unit.manager)
      .selectFrom('notification')
      .select((eb) => [eb.fn.countAll<string>().as('count'), sql<Date>`statement_timestamp()`.as('as_of')])
      .where('org_id', '=', orgId)
      .where('recipient_user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), asOf: new Date(row.as_of).toISOString() };
  }
}
