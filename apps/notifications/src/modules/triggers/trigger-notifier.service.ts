import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { TriggerSettingsService } from '../trigger-settings/trigger-settings.service';
import { NotificationDispatchService, type NotificationRequest } from './notification-dispatch.service';
import type { NotificationType } from './notification-triggers.constant';

/** A notification of one type from one event, for each of several recipients. */
export type TriggerNotification = Omit<NotificationRequest, 'recipientUserId' | 'channels'>;

/**
 * What every built-in trigger does once it knows its recipients: asks the organization's switch
 * (`notification_trigger`) BEFORE anything is created — a trigger switched off creates nothing —
 * then dispatches one notification per distinct recipient on the organization's channels override (each deduped by the dispatch's unique
 * key recipient + type + source event, so a redelivered event creates nothing). Also the
 * recipient look-ups of the read models the triggers share (`recipient`, `trigger_transaction`,
 * `contact_recipient`), always within the event's organization.
 */
@Injectable()
export class TriggerNotifier {
  constructor(
    private readonly dispatch: NotificationDispatchService,
    private readonly settings: TriggerSettingsService,
  ) {}

  /** True when `type` is on for `orgId` (its switch, else the built-in default). */
  async enabled(unit: UnitOfWorkContext, orgId: string, type: NotificationType): Promise<boolean> {
    return (await this.settings.settingFor(unit.manager, orgId, type)).enabled;
  }

  /**
   * Creates `notification` for each of `recipientUserIds` (duplicates and `except` left out) when the
   * trigger is on, on the organization's channels for it when it set some (else the trigger's
   * defaults; the dispatch applies the organization's per-channel defaults and the user's
   * preferences on top); returns how many were created (0 when off, or when the event was seen before).
   */
  async notify(
    unit: UnitOfWorkContext,
    recipientUserIds: Iterable<string | null | undefined>,
    notification: TriggerNotification,
    except: string | null = null,
  ): Promise<number> {
    const recipients = [...new Set([...recipientUserIds].filter((id): id is string => Boolean(id) && id !== except))];
    if (recipients.length === 0) return 0;
    const setting = await this.settings.settingFor(unit.manager, notification.orgId, notification.type);
    if (!setting.enabled) return 0;
    let created = 0;
    for (const recipientUserId of recipients) {
      if (await this.dispatch.dispatch(unit, { ...notification, recipientUserId, channels: setting.channels })) created++;
    }
    return created;
  }

  /** Active owners and admins of the organization (recipients read model). */
  async ownersAndAdmins(manager: EntityManager, orgId: string): Promise<string[]> {
    const rows = await kyselyFor<NotificationsDb>(manager)
      .selectFrom('recipient')
      .select('user_id')
      .where('org_id', '=', orgId)
      .where('role', 'in', ['owner', 'admin'])
      .where('status', '!=', 'deactivated')
      .orderBy('user_id')
      .execute();
    return rows.map((row) => row.user_id);
  }

  /** Active managers of the organization sharing a team with any of `userIds` (recipients read model). */
  async managersOf(manager: EntityManager, orgId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const db = kyselyFor<NotificationsDb>(manager);
    const members = await db
      .selectFrom('recipient')
      .select('team_ids')
      .where('org_id', '=', orgId)
      .where('user_id', 'in', userIds)
      .execute();
    const teamIds = [...new Set(members.flatMap((row) => row.team_ids))];
    if (teamIds.length === 0) return [];
    const rows = await db
      .selectFrom('recipient')
      .select('user_id')
      .where('org_id', '=', orgId)
      .where('role', '=', 'manager')
      .where('status', '!=', 'deactivated')
      .where(sql<boolean>`team_ids && ${sql.val(teamIds)}::text[]`)
      .orderBy('user_id')
      .execute();
    return rows.map((row) => row.user_id);
  }

  /** The agents of a transaction (`trigger_transaction`: its agent, then its team shares' agents), empty when the read model does not know it. */
  async transactionAgents(manager: EntityManager, orgId: string, transactionId: string): Promise<string[]> {
    const row = await kyselyFor<NotificationsDb>(manager)
      .selectFrom('trigger_transaction')
      .select(['agent_id', 'team_agent_ids'])
      .where('transaction_id', '=', transactionId)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return row ? [row.agent_id, ...row.team_agent_ids] : [];
  }

  /**
   * The owner agent of a crm contact, from the contacts read model (`contact_recipient`, kept by the
   * `notifications.contacts` consumer); null when unassigned, deleted or not (yet) known.
   */
  async contactOwner(manager: EntityManager, orgId: string, contactId: string): Promise<string | null> {
    const row = await kyselyFor<NotificationsDb>(manager)
      .selectFrom('contact_recipient')
      .select('owner_id')
      .where('contact_id', '=', contactId)
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row?.owner_id ?? null;
  }

  /** The name of a user of the organization (recipients read model), or `fallback`. */
  async nameOf(manager: EntityManager, orgId: string, userId: string | null, fallback: string): Promise<string> {
    if (!userId) return fallback;
    const row = await kyselyFor<NotificationsDb>(manager)
      .selectFrom('recipient')
      .select('name')
      .where('user_id', '=', userId)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return row?.name ?? fallback;
  }
}
