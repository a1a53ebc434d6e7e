import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  NotificationTriggersSubjects,
  NotificationsEvent,
  type NotificationChannel,
  type NotificationTriggerListView,
  type NotificationTriggerUpdateRequest,
  type NotificationTriggerView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { NOTIFICATION_TEMPLATES } from '../email/notification-templates.constant';
import { NOTIFICATION_TRIGGERS, type NotificationType } from '../triggers/notification-triggers.constant';
import { TriggerSettingsErrorCode } from './trigger-settings.exception';

/** What applies to one trigger in one organization: on or off, and the organization's channels (null: the defaults). */
export interface TriggerSetting {
  enabled: boolean;
  channels: NotificationChannel[] | null;
}

interface SettingRow {
  type: string;
  enabled: boolean;
  channels: string[] | null;
  updated_by: string | null;
  updated_at: Date;
}

/**
 * Per-organization switches of the built-in triggers (issue 14 "Triggers and history";
 * `notification_trigger`, one row per organization and type once changed; no row = the built-in
 * default of `NOTIFICATION_TRIGGERS`). The trigger consumers ask `settingFor` in their unit of work
 * before creating anything: a trigger switched off creates no notification. `list` and `update`
 * answer `GET/PATCH /v1/notification-triggers` for owners and admins (`notifications:manage` at
 * `org` scope), always within the caller's organization.
 */
@Injectable()
export class TriggerSettingsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** The organization's switch of `type` (the built-in default when it never changed it). */
  async settingFor(manager: EntityManager, orgId: string, type: NotificationType): Promise<TriggerSetting> {
    const row = await kyselyFor<NotificationsDb>(manager)
      .selectFrom('notification_trigger')
      .select(['enabled', 'channels'])
      .where('org_id', '=', orgId)
      .where('type', '=', type)
      .executeTakeFirst();
    if (!row) return { enabled: NOTIFICATION_TRIGGERS[type].enabledByDefault, channels: null };
    return { enabled: row.enabled, channels: row.channels as NotificationChannel[] | null };
  }

  /**
   * Every built-in trigger as it applies to the caller's organization (`NotificationTriggersSubjects.list`).
   *
   * @throws DomainException 403 `FORBIDDEN` without `notifications:manage` at `org` scope.
   */
  @RpcHandler(NotificationTriggersSubjects.list)
  async list(envelope: RequestEnvelope<Record<string, never>>): Promise<NotificationTriggerListView> {
    const actor = envelope.actor;
    requireScope(actor, 'notifications:manage', 'org');
    const rows = await kyselyFor<NotificationsDb>(this.dataSource)
      .selectFrom('notification_trigger')
      .select(['type', 'enabled', 'channels', 'updated_by', 'updated_at'])
      .where('org_id', '=', actor!.orgId)
      .execute();
    const byType = new Map(rows.map((row) => [row.type, row]));
    return { items: (Object.keys(NOTIFICATION_TRIGGERS) as NotificationType[]).map((type) => toTriggerView(type, byType.get(type))) };
  }

  /**
   * Switches a trigger on or off for the caller's organization (`NotificationTriggersSubjects.update`),
   * `channels` replacing the default channels (null: back to the defaults; absent: unchanged). One
   * locked upsert and `notifications.trigger.updated` (keyed by the type) in one unit of work; the
   * audit trail records it from `notifications.events`. A change to the same values is still
   * recorded (an explicit decision of an admin).
   *
   * @throws DomainException 403 `FORBIDDEN` without `notifications:manage` at `org` scope; 404
   *   `NOTIFICATION_TRIGGER_NOT_FOUND` for a type that is no built-in trigger; 400 `VALIDATION_FAILED`
   *   (`channels` empty or naming a channel twice).
   */
  @RpcHandler(NotificationTriggersSubjects.update)
  async update(envelope: RequestEnvelope<NotificationTriggerUpdateRequest>): Promise<NotificationTriggerView> {
    const actor = envelope.actor;
    requireScope(actor, 'notifications:manage', 'org');
    const orgId = actor!.orgId;
    const data = envelope.data;
    if (!Object.hasOwn(NOTIFICATION_TRIGGERS, data.type)) {
      throw DomainException.notFound(TriggerSettingsErrorCode.TriggerNotFound, 'Notification trigger');
    }
    const type = data.type as NotificationType;
    if (data.channels && (data.channels.length === 0 || new Set(data.channels).size !== data.channels.length)) {
      throw DomainException.validation([{ field: 'channels', message: 'channels must name at least one channel, each once' }]);
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<NotificationsDb>(unit.manager);
      const before = await db
        .selectFrom('notification_trigger')
        .select(['enabled', 'channels'])
        .where('org_id', '=', orgId)
        .where('type', '=', type)
        .forUpdate()
        .executeTakeFirst();
      const from: TriggerSetting = before
        ? { enabled: before.enabled, channels: before.channels as NotificationChannel[] | null }
        : { enabled: NOTIFICATION_TRIGGERS[type].enabledByDefault, channels: null };
      const channels = data.channels === undefined ? from.channels : data.channels;
      const row = await db
        .insertInto('notification_trigger')
        .values({ org_id: orgId, type, enabled: data.enabled, channels, updated_by: actor!.userId ?? null })
        .onConflict((conflict) =>
          conflict.columns(['org_id', 'type']).doUpdateSet((eb) => ({
            enabled: eb.ref('excluded.enabled'),
            channels: eb.ref('excluded.channels'),
            updated_by: eb.ref('excluded.updated_by'),
            updated_at: sql<Date>`now()`,
          })),
        )
        .returning(['type', 'enabled', 'channels', 'updated_by', 'updated_at'])
        .executeTakeFirstOrThrow();
      await unit.emit(NotificationsEvent.triggerUpdated, type, orgId, { type, enabled: data.enabled, channels, from });
      return toTriggerView(type, row);
    });
  }
}

/** The view of a built-in trigger with the organization's row (absent: the defaults). */
function toTriggerView(type: NotificationType, row: SettingRow | undefined): NotificationTriggerView {
  const trigger = NOTIFICATION_TRIGGERS[type];
  const template = NOTIFICATION_TEMPLATES[trigger.template];
  return {
    type,
    events: [...trigger.events],
    recipients: trigger.recipients,
    defaultChannels: [...trigger.defaultChannels],
    channels: (row?.channels as NotificationChannel[] | null | undefined) ?? null,
    template: { title: template.title, body: template.body, action: template.action },
    enabled: row ? row.enabled : trigger.enabledByDefault,
    enabledByDefault: trigger.enabledByDefault,
    updatedBy: row?.updated_by ?? null,
    updatedAt: row ? new Date(row.updated_at).toISOString() : null,
  };
}
