import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  NotificationsSubjects,
  type ContactEmailActivityRequest,
  type ContactEmailActivityView,
  type NotificationDeliveryStatus,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { NotificationsErrorCode } from '../../notifications.exception';

/**
 * A crm contact's email activity (`GET /v1/contacts/:id/email-activity`, issue 14), answered from
 * this service's own rows: every email delivery of the contact's notifications (`kind: 'send'`,
 * with its status and reason: a blocked one shows `CONSENT_MISSING`, `SUPPRESSED`, ...) and every
 * SendGrid event stored for those deliveries (`delivered`, `open`, `click` with its URL, `bounce`
 * with SendGrid's reason, ...), newest first on `(occurredAt, id)` with a keyset cursor. Access is
 * crm's `contacts:read` on the contacts read model: `org` any contact of the organization, `team`
 * contacts owned by the caller or by a user sharing one of the caller's teams (the recipients read
 * model), `own` contacts the caller owns. Unclaimed pond leads (which crm lets pond agents read)
 * are reachable only with `org` here: the read model does not follow ponds.
 */
@Injectable()
export class ContactEmailActivityService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The page of activity (`NotificationsSubjects.contactEmailActivity`).
   *
   * @throws DomainException 403 `FORBIDDEN` without `contacts:read`; 404 `CONTACT_NOT_FOUND` for a
   *   contact of another organization, deleted, unknown, or outside the caller's scope; 400 `INVALID_CURSOR`.
   */
  @RpcHandler(NotificationsSubjects.contactEmailActivity)
  async list(envelope: RequestEnvelope<ContactEmailActivityRequest>): Promise<Page<ContactEmailActivityView>> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'contacts:read', 'own');
    const data = envelope.data;
    const db = kyselyFor<NotificationsDb>(this.dataSource);
    const me = actor.userId ?? '00000000-0000-0000-0000-000000000000';
    let contactQuery = db
      .selectFrom('contact_recipient as c')
      .select('c.contact_id')
      .where('c.org_id', '=', actor.orgId)
      .where('c.contact_id', '=', data.contactId)
      .where('c.deleted_at', 'is', null);
    if (scope === 'own') contactQuery = contactQuery.where('c.owner_id', '=', me);
    if (scope === 'team') {
      const teamIds = actor.teamIds.length ? actor.teamIds : [''];
      contactQuery = contactQuery.where((eb) =>
        eb.or([
          eb('c.owner_id', '=', me),
          eb(
            'c.owner_id',
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
    if (!(await contactQuery.executeTakeFirst())) throw DomainException.notFound(NotificationsErrorCode.ContactNotFound, 'Contact');
    const sends = db
      .selectFrom('delivery as d')
      .innerJoin('notification as n', 'n.id', 'd.notification_id')
      .select([
        'd.id as id',
        sql<string>`'send'`.as('kind'),
        sql<Date>`coalesce(d.sent_at, d.created_at)`.as('occurred_at'),
        'n.id as notification_id',
        'd.id as delivery_id',
        'n.type as notification_type',
        'n.title as subject',
        'd.to_address as email',
        sql<NotificationDeliveryStatus | null>`d.status`.as('status'),
        'd.reason as reason',
        sql<string | null>`null::text`.as('url'),
      ])
      .where('n.org_id', '=', actor.orgId)
      .where('n.recipient_contact_id', '=', data.contactId)
      .where('d.channel', '=', 'email');
    const events = db
      .selectFrom('email_event as e')
      .innerJoin('delivery as d', 'd.id', 'e.delivery_id')
      .innerJoin('notification as n', 'n.id', 'd.notification_id')
      .select([
        'e.id as id',
        'e.event as kind',
        sql<Date>`e.occurred_at`.as('occurred_at'),
        'n.id as notification_id',
        'd.id as delivery_id',
        'n.type as notification_type',
        'n.title as subject',
        sql<string | null>`e.email`.as('email'),
        sql<NotificationDeliveryStatus | null>`null::text`.as('status'),
        'e.reason as reason',
        sql<string | null>`e.payload->>'url'`.as('url'),
      ])
      .where('n.org_id', '=', actor.orgId)
      .where('n.recipient_contact_id', '=', data.contactId)
      .where('d.channel', '=', 'email');
    const query = db.selectFrom(sends.unionAll(events).as('a')).selectAll('a');
    const page = keysetPage(query, { sort: sql.ref('a.occurred_at'), id: sql.ref('a.id'), direction: 'desc' }, data);
    const rows = await page.query.execute();
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.occurred_at, id: row.id }),
      (row) => ({
        id: row.id,
        kind: row.kind,
        occurredAt: new Date(row.occurred_at).toISOString(),
        notificationId: row.notification_id,
        deliveryId: row.delivery_id,
        notificationType: row.notification_type,
        subject: row.subject,
        email: row.email,
        status: row.status,
        reason: row.reason,
        url: row.url,
      }),
    );
  }
}
