import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type ExpressionBuilder } from 'kysely';
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
import { DomainException, PlatformErrorCode, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
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
   * The caller's notifications, newest first (`NotificationsSubjects.list`); with `after`, only
   * those newer than that notification id or ISO time (the realtime channel's catch-up, ADR 0035).
   *
   * @throws DomainException 403 `USER_SESSION_REQUIRED` (API keys, the system); 400 `INVALID_CURSOR`
   *   (a foreign `cursor`, or an `after` that is not one of the caller's notification ids nor a date-time).
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
    if (data.after) {
      const after = await this.afterPosition(actor, data.after);
      query =
        after.id === null
          ? query.where('n.created_at', '>', after.createdAt)
          : query.where(sql<boolean>`(n.created_at, n.id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
    }
    const page = keysetPage(query, { sort: sql.ref('n.created_at'), id: sql.ref('n.id'), direction: 'desc' }, data);
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toNotificationView);
  }

  /**
   * Where the list's `after` starts: an ISO 8601 time (strictly newer), or one of the caller's
   * notifications by id (strictly after its `(created_at, id)`, the list's order; ids are UUIDv7).
   *
   * @throws DomainException 400 `INVALID_CURSOR` (field `after`) for an id that is not one of the
   *   caller's notifications, or a value that is neither a UUID nor an ISO 8601 date-time.
   */
  private async afterPosition(actor: { orgId: string; userId: string }, after: string): Promise<{ createdAt: Date; id: string | null }> {
    if (UUID.test(after)) {
      const row = await kyselyFor<NotificationsDb>(this.dataSource)
        .selectFrom('notification')
        .select(['id', 'created_at'])
        .where('id', '=', after.toLowerCase())
        .where('org_id', '=', actor.orgId)
        .where('recipient_user_id', '=', actor.userId)
        .executeTakeFirst();
      if (!row) throw invalidAfter('must be the id of one of your notifications');
      return { createdAt: row.created_at, id: row.id };
    }
    const time = ISO_DATE_TIME.test(after) ? new Date(after) : null;
    if (!time || Number.isNaN(time.getTime())) throw invalidAfter('must be a notification id or an ISO 8601 date-time');
    return { createdAt: time, id: null };
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
    let query = db
      .selectFrom('notification as n')
      .select(NOTIFICATION_COLUMNS)
      .select('n.recipient_contact_id') // contacts slice
      .where('n.org_id', '=', actor.orgId);
    if (scope === 'own') {
      const me = actor.userId ?? '00000000-0000-0000-0000-000000000000';
      // contacts slice: also the notifications to crm contacts the caller owns (contact_recipient.owner_id).
      query = query.where((eb) =>
        eb.or([
          eb('n.recipient_user_id', '=', me),
          eb(
            'n.recipient_contact_id',
            'in',
            eb.selectFrom('contact_recipient as cr').select('cr.contact_id').where('cr.owner_id', '=', me),
          ),
        ]),
      );
    } else if (scope === 'team') {
      const teamIds = actor.teamIds.length ? actor.teamIds : [''];
      const teamUsers = (eb: ExpressionBuilder<NotificationsDb & { n: NotificationsDb['notification'] }, 'n'>) =>
        eb
          .selectFrom('recipient as r')
          .select('r.user_id')
          .where('r.org_id', '=', actor.orgId)
          .where(sql<boolean>`r.team_ids && ${sql.val(teamIds)}::text[]`);
      query = query.where((eb) =>
        eb.or([
          eb('n.recipient_user_id', '=', actor.userId ?? '00000000-0000-0000-0000-000000000000'),
          eb('n.recipient_user_id', 'in', teamUsers(eb)),
          // contacts slice: notifications to crm contacts owned by the caller or their teams.
          eb(
            'n.recipient_contact_id',
            'in',
            eb
              .selectFrom('contact_recipient as cr')
              .select('cr.contact_id')
              .where('cr.org_id', '=', actor.orgId)
              .where((inner) =>
                inner.or([
                  inner('cr.owner_id', '=', actor.userId ?? '00000000-0000-0000-0000-000000000000'),
                  inner('cr.owner_id', 'in', teamUsers(eb)),
                ]),
              ),
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
        recipientContactId: row.recipient_contact_id, // contacts slice
        sourceEventId: row.source_event_id,
        deliveries: deliveries.filter((delivery) => delivery.notification_id === row.id).map(toDeliveryView),
      }),
    );
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

function invalidAfter(message: string): DomainException {
  return DomainException.validation([{ field: 'after', message }], PlatformErrorCode.InvalidCursor);
}

function parseDate(value: string | undefined, field: string): Date | null {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw DomainException.validation([{ field, message: 'must be an ISO 8601 date-time' }], NotificationsErrorCode.InvalidDateRange);
  }
  return date;
}
