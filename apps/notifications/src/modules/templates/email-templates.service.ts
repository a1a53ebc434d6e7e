import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Kysely } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  NotificationTemplatesSubjects,
  NotificationsEvent,
  type NotificationTemplateListView,
  type NotificationTemplateUpdateRequest,
  type NotificationTemplateView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { EMAIL_TEMPLATE_KINDS, type EmailBranding } from '../email/notification-templates.constant';
import { EmailTemplatesErrorCode } from './email-templates.exception';

/** A SendGrid dynamic template id: `d-` + 32 hex digits (stored lowercase). */
export const SENDGRID_TEMPLATE_ID = /^d-[0-9a-fA-F]{32}$/;

interface TemplateRow {
  kind: string;
  sendgrid_template_id: string;
  updated_by: string | null;
  updated_at: Date;
}

/**
 * The organization's SendGrid dynamic template per email kind (issue 14; `org_email_template`, one
 * row per organization and kind once set; no row = the built-in default template). `list` and
 * `update` answer `GET /v1/notification-templates` and `PUT /v1/notification-templates/:type` for
 * owners and admins (`notifications:manage` at `org` scope), always within the caller's
 * organization. `templateIdFor` and `brandingFor` are what the email job reads at send time.
 */
@Injectable()
export class EmailTemplatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * Every email kind with its built-in default and the organization's template id (`NotificationTemplatesSubjects.list`).
   *
   * @throws DomainException 403 `FORBIDDEN` without `notifications:manage` at `org` scope.
   */
  @RpcHandler(NotificationTemplatesSubjects.list)
  async list(envelope: RequestEnvelope<Record<string, never>>): Promise<NotificationTemplateListView> {
    const actor = envelope.actor;
    requireScope(actor, 'notifications:manage', 'org');
    const rows = await kyselyFor<NotificationsDb>(this.dataSource)
      .selectFrom('org_email_template')
      .select(['kind', 'sendgrid_template_id', 'updated_by', 'updated_at'])
      .where('org_id', '=', actor!.orgId)
      .execute();
    const byKind = new Map(rows.map((row) => [row.kind, row]));
    return { items: Object.keys(EMAIL_TEMPLATE_KINDS).map((kind) => toTemplateView(kind, byKind.get(kind))) };
  }

  /**
   * Sets the organization's SendGrid dynamic template id of one kind, or removes it with null (back
   * to the built-in default) (`NotificationTemplatesSubjects.update`). The row (locked) and
   * `notifications.template.updated` (keyed by the type, `{ type, sendgridTemplateId, from }`) in one
   * unit of work; the audit trail records it from `notifications.events`. A change to the same value
   * is still recorded (an explicit decision of an admin).
   *
   * @throws DomainException 403 `FORBIDDEN` without `notifications:manage` at `org` scope; 404
   *   `NOTIFICATION_TEMPLATE_NOT_FOUND` for a type that is no email kind; 400 `VALIDATION_FAILED`
   *   (`sendgridTemplateId` neither null nor `d-` + 32 hex).
   */
  @RpcHandler(NotificationTemplatesSubjects.update)
  async update(envelope: RequestEnvelope<NotificationTemplateUpdateRequest>): Promise<NotificationTemplateView> {
    const actor = envelope.actor;
    requireScope(actor, 'notifications:manage', 'org');
    const orgId = actor!.orgId;
    const { type, sendgridTemplateId } = envelope.data;
    if (!Object.hasOwn(EMAIL_TEMPLATE_KINDS, type)) {
      throw DomainException.notFound(EmailTemplatesErrorCode.TemplateNotFound, 'Notification template');
    }
    if (sendgridTemplateId !== null && (typeof sendgridTemplateId !== 'string' || !SENDGRID_TEMPLATE_ID.test(sendgridTemplateId))) {
      throw DomainException.validation([
        {
          field: 'sendgridTemplateId',
          message: 'sendgridTemplateId must be a SendGrid dynamic template id (d- and 32 hex digits) or null',
        },
      ]);
    }
    const templateId = sendgridTemplateId?.toLowerCase() ?? null;
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<NotificationsDb>(unit.manager);
      const before = await db
        .selectFrom('org_email_template')
        .select('sendgrid_template_id')
        .where('org_id', '=', orgId)
        .where('kind', '=', type)
        .forUpdate()
        .executeTakeFirst();
      let row: TemplateRow | undefined;
      if (templateId === null) {
        await db.deleteFrom('org_email_template').where('org_id', '=', orgId).where('kind', '=', type).execute();
      } else {
        row = await db
          .insertInto('org_email_template')
          .values({ org_id: orgId, kind: type, sendgrid_template_id: templateId, updated_by: actor!.userId ?? null })
          .onConflict((conflict) =>
            conflict.columns(['org_id', 'kind']).doUpdateSet((eb) => ({
              sendgrid_template_id: eb.ref('excluded.sendgrid_template_id'),
              updated_by: eb.ref('excluded.updated_by'),
              updated_at: sql<Date>`now()`,
            })),
          )
          .returning(['kind', 'sendgrid_template_id', 'updated_by', 'updated_at'])
          .executeTakeFirstOrThrow();
      }
      await unit.emit(NotificationsEvent.templateUpdated, type, orgId, {
        type,
        sendgridTemplateId: templateId,
        from: before?.sendgrid_template_id ?? null,
      });
      return toTemplateView(type, row);
    });
  }
}

/** The organization's SendGrid dynamic template id of `kind`, or null (the built-in default). */
export async function templateIdFor(db: Kysely<NotificationsDb>, orgId: string, kind: string): Promise<string | null> {
  const row = await db
    .selectFrom('org_email_template')
    .select('sendgrid_template_id')
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return row?.sendgrid_template_id ?? null;
}

/** The organization's branding from the read model (`org_branding`), or null when identity's events did not reach it yet. */
export async function brandingFor(db: Kysely<NotificationsDb>, orgId: string): Promise<EmailBranding | null> {
  const row = await db
    .selectFrom('org_branding')
    .select(['name', 'display_name', 'logo_url', 'primary_color', 'secondary_color'])
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    name: row.name,
    displayName: row.display_name,
    logoUrl: row.logo_url,
    primaryColor: row.primary_color,
    secondaryColor: row.secondary_color,
  };
}

/** The view of an email kind with the organization's row (absent: the built-in default). */
function toTemplateView(kind: string, row: TemplateRow | undefined): NotificationTemplateView {
  const template = EMAIL_TEMPLATE_KINDS[kind];
  return {
    type: kind,
    defaultSubject: template.subject,
    defaultBody: template.body,
    sendgridTemplateId: row?.sendgrid_template_id ?? null,
    updatedBy: row?.updated_by ?? null,
    updatedAt: row ? new Date(row.updated_at).toISOString() : null,
  };
}
