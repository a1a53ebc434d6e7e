import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  NotificationsEvent,
  NotificationsSubjects,
  type NotificationHistoryRequest,
  type NotificationHistoryView,
  type NotificationIdRequest,
  type NotificationListRequest,
  type NotificationMarkAllReadView,
  type NotificationUnreadCountView,
  type NotificationView,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope, requireUserSession } from '@keyhouse/platform/auth';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { NotificationsErrorCode } from '../../notifications.exception';
import { NOTIFICATION_COLUMNS, toDeliveryView, toNotificationView, type DeliveryRow } from './notification.mapper';

/**
 * A user's in-app notifications (issue 14): their own list (newest first, keyset cursor, `unread`
 * and `type` filters), the unread count, marking one or all read — any signed-in user, for their
 * own notifications only (another user's or organization's id answers 404) — and the history with
 * each notification's deliveries, scoped by `notifications:read`: `org` the organization's,
 * `team` the recipients sharing a team with the caller, `own` the caller's.
 */
@Injectable()
export class NotificationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * The caller's notifications, newest first (`NotificationsSubjects.list`).
   *
   * @throws DomainException 403 `USER_SESSION_REQUIRED` (API keys, the system); 400 `INVALID_CURSOR`.
   */
  @RpcHandler(NotificationsSubjects.list)
  async list(envelope: RequestEnvelope<NotificationListRequest>): Promise<Page<NotificationView>> {
    const actor = requireUserSession(envelope.actor);
    const data = envelope.data;
    let query = kyselyFor<NotificationsDb>(this.dataSource)
      .selectFrom('notification as n')
      .select(NOTIFICATION_COLUMNS)
      .where('n.org_id', '=', actor.orgId)
      .where('n.recipient_user_id', '=', actor.userId);
    if (data.unread) query = query.where('n.read_at', 'is', null);
    if (data.type) query = query.where('n.type', '=', data.type);
    const page = keysetPage(query, { sort: sql.ref('n.created_at'), id: sql.ref('n.id'), direction: 'desc' }, data);
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toNotificationView);
  }

  /** How many of the caller's notifications are unread (`NotificationsSubjects.unreadCount`). */
  @RpcHandler(NotificationsSubjects.unreadCount)
  async unreadCount(envelope: RequestEnvelope<Record<string, never>>): Promise<NotificationUnreadCountView> {
    const actor = requireUserSession(envelope.actor);
    const row = await kyselyFor<NotificationsDb>(this.dataSource)
      .selectFrom('notification')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('org_id', '=', actor.orgId)
      .where('recipient_user_id', '=', actor.userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count) };
  }

  /**
   * Marks one of the caller's notifications read (`NotificationsSubjects.markRead`); already read:
   * unchanged, no event. Emits `notifications.notification.read`.
   *
   * @throws DomainException 404 `NOTIFICATION_NOT_FOUND` (not the caller's, or another organization's).
   */
  @RpcHandler(NotificationsSubjects.markRead)
  async markRead(envelope: RequestEnvelope<NotificationIdRequest>): Promise<NotificationView> {
    const actor = requireUserSession(envelope.actor);
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<NotificationsDb>(unit.manager);
      const row = await db
        .selectFrom('notification as n')
        .select(NOTIFICATION_COLUMNS)
        .where('n.id', '=', envelope.data.id)
        .where('n.org_id', '=', actor.orgId)
        .where('n.recipient_user_id', '=', actor.userId)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw DomainException.notFound(NotificationsErrorCode.NotificationNotFound, 'Notification');
      if (row.read_at) return toNotificationView(row);
      const updated = await db
        .updateTable('notification')
        .set({ read_at: sql<Date>`now()` })
        .where('id', '=', row.id)
        .returning('read_at')
        .executeTakeFirstOrThrow();
      await unit.emit(NotificationsEvent.notificationRead, row.id, actor.orgId, { notificationId: row.id, recipientUserId: actor.userId });
      return toNotificationView({ ...row, read_at: updated.read_at });
    });
  }

  /** Marks every unread notification of the caller read; one `notifications.notification.all_read` when any changed. */
  @RpcHandler(NotificationsSubjects.markAllRead)
  async markAllRead(envelope: RequestEnvelope<Record<string, never>>): Promise<NotificationMarkAllReadView> {
    const actor = requireUserSession(envelope.actor);
    return this.unitOfWork.run(envelope, async (unit) => {
      const result = await kyselyFor<NotificationsDb>(unit.manager)
        .updateTable('notification')
        .set({ read_at: sql<Date>`now()` })
        .where('org_id', '=', actor.orgId)
        .where('recipient_user_id', '=', actor.userId)
        .where('read_at', 'is', null)
        .executeTakeFirst();
      const count = Number(result.numUpdatedRows);
      if (count > 0) {
        await unit.emit(NotificationsEvent.notificationsAllRead, actor.userId, actor.orgId, { recipientUserId: actor.userId, count });
      }
      return { updated: count };
    });
  }

  /**
   * The notification history, newest first, each with its deliveries (`NotificationsSubjects.history`).
   * Filters: type, channel and status (a notification with a delivery on that channel / in that
   * status), recipientId, from/to on the creation time.
   *
   * @throws DomainException 403 `FORBIDDEN` without `notifications:read`; 400 `INVALID_DATE_RANGE`, `INVALID_CURSOR`.
   */
  @RpcHandler(NotificationsSubjects.history)
  async history(envelope: RequestEnvelope<NotificationHistoryRequest>): Promise<Page<NotificationHistoryView>> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'notifications:read', 'own');
    const data = envelope.data;
    const from = parseDate(data.from, 'from');
    const to = parseDate(data.to, 'to');
    const db = kyselyFor<NotificationsDb>(this.dataSource);
    let query = db.selectFrom('notification as n').select(NOTIFICATION_COLUMNS).where('n.org_id', '=', actor.orgId);
    if (scope === 'own') {
      query = query.where('n.recipient_user_id', '=', actor.userId ?? '00000000-0000-0000-0000-000000000000');
    } else if (scope === 'team') {
      const teamIds = actor.teamIds.length ? actor.teamIds : [''];
      query = query.where((eb) =>
        eb.or([
          eb('n.recipient_user_id', '=', actor.userId ?? '00000000-0000-0000-0000-000000000000'),
          eb(
            'n.recipient_user_id',
            'in',
            eb
              .selectFrom('recipient as r')
              .select('r.user_id')
              .where('r.org_id', '=', actor.orgId)
              .where(sql<boolean>`r.team_ids && ${sql.val(teamIds)}::text[]`),
          ),
        ]),
      );
    }
    if (data.type) query = query.where('n.type', '=', data.type);
    if (data.recipientId) query = query.where('n.recipient_user_id', '=', data.recipientId);
    if (from) query = query.where('n.created_at', '>=', from);
    if (to) query = query.where('n.created_at', '<', to);
    if (data.channel || data.status) {
      const { channel, status } = data;
      query = query.where((eb) => {
        let deliveries = eb.selectFrom('delivery as d').select('d.id').whereRef('d.notification_id', '=', 'n.id');
        if (channel) deliveries = deliveries.where('d.channel', '=', channel);
        if (status) deliveries = deliveries.where('d.status', '=', status);
        return eb.exists(deliveries);
      });
    }
    const page = keysetPage(query, { sort: sql.ref('n.created_at'), id: sql.ref('n.id'), direction: 'desc' }, data);
    const rows = await page.query.execute();
    const ids = rows.map((row) => row.id);
    const deliveries: DeliveryRow[] = ids.length
      ? await db
          .selectFrom('delivery')
          .select([
            'id',
            'notification_id',
            'channel',
            'status',
            'reason',
            'provider_message_id',
            'to_address',
            'attempts',
            'created_at',
            'updated_at',
          ])
          .where('notification_id', 'in', ids)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      : [];
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.created_at, id: row.id }),
      (row) => ({
        ...toNotificationView(row),
        recipientUserId: row.recipient_user_id,
        sourceEventId: row.source_event_id,
        deliveries: deliveries.filter((delivery) => delivery.notification_id === row.id).map(toDeliveryView),
      }),
    );
  }
}

function parseDate(value: string | undefined, field: string): Date | null {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw DomainException.validation([{ field, message: 'must be an ISO 8601 date-time' }], NotificationsErrorCode.InvalidDateRange);
  }
  return date;
}
