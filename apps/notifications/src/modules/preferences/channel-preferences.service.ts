import { Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import type { NotificationChannel } from '@keyhouse/contracts';
import type { NotificationsDb } from '../../database/notifications.db';
import { NOTIFICATION_TRIGGERS } from '../triggers/notification-triggers.constant';
import { ALWAYS_MANDATORY_TYPES, EVERY_TYPE, channelSettings, type ChannelSetting, type ChannelSwitch } from './channel-preference.util';
import type { QuietWindow } from './quiet-hours.util';

/** Everything dispatch needs to know about one user and one type. */
export interface RecipientChannelPlan {
  /** Every channel's effective setting (`channelSettings`). */
  settings: ChannelSetting[];
  /** Mandatory for the organization, or always mandatory. */
  mandatory: boolean;
  /** Always mandatory (security notices): quiet hours do not defer it. */
  alwaysMandatory: boolean;
  /** The user's quiet hours in their effective zone, or null when they have none. */
  quietWindow: QuietWindow | null;
}

/** One type's channel settings for a view. */
export interface TypeChannelSettings {
  type: string;
  mandatory: boolean;
  channels: ChannelSetting[];
}

/** The notification types that exist (the keys of `NOTIFICATION_TRIGGERS`, whatever triggers it holds). */
export function knownNotificationTypes(): string[] {
  return Object.keys(NOTIFICATION_TRIGGERS);
}

/** The trigger's default channels of `type` (none for a type without a trigger). */
export function triggerDefaultChannels(type: string): readonly NotificationChannel[] {
  const trigger = (NOTIFICATION_TRIGGERS as Readonly<Record<string, { defaultChannels: readonly NotificationChannel[] }>>)[type];
  return trigger?.defaultChannels ?? [];
}

/**
 * Reads preferences, organization defaults, mandatory types and quiet hours (the tables of
 * migration 1765300000000) for dispatch and for the views. Every query is scoped by organization.
 * The zone of quiet hours: their own `time_zone`, else the user's zone from identity
 * (`recipient.timezone`), else the organization's (`org_notification_settings.time_zone`), else UTC.
 */
@Injectable()
export class ChannelPreferencesService {
  /**
   * The plan of `type` for `userId` in `orgId`, read in the caller's transaction `db`.
   *
   * @param baseChannels the channels the trigger starts from (its `defaultChannels`, or the
   *   organization's trigger override passed by the trigger consumer).
   */
  async planFor(
    db: Kysely<NotificationsDb>,
    orgId: string,
    userId: string,
    type: string,
    baseChannels: readonly NotificationChannel[],
  ): Promise<RecipientChannelPlan> {
    const [org, organization, userRows, quiet, recipient] = await Promise.all([
      this.orgSettings(db, orgId),
      db.selectFrom('org_channel_default').select(['channel', 'enabled']).where('org_id', '=', orgId).where('type', '=', type).execute(),
      db
        .selectFrom('notification_preference')
        .select(['type', 'channel', 'enabled'])
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .where('type', 'in', [type, EVERY_TYPE])
        .execute(),
      db
        .selectFrom('quiet_hours')
        .select(['start_local', 'end_local', 'time_zone'])
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst(),
      db.selectFrom('recipient').select('timezone').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst(),
    ]);
    const alwaysMandatory = ALWAYS_MANDATORY_TYPES.includes(type);
    const mandatory = alwaysMandatory || org.mandatoryTypes.includes(type);
    const settings = channelSettings({
      triggerDefaults: baseChannels,
      organization,
      everyType: userRows.filter((row) => row.type === EVERY_TYPE),
      thisType: userRows.filter((row) => row.type === type),
      mandatory,
    });
    const quietWindow = quiet
      ? { start: quiet.start_local, end: quiet.end_local, timeZone: quiet.time_zone ?? recipient?.timezone ?? org.timeZone ?? 'UTC' }
      : null;
    return { settings, mandatory, alwaysMandatory, quietWindow };
  }

  /** The organization's mandatory types and zone (defaults when it never saved settings). */
  async orgSettings(
    db: Kysely<NotificationsDb>,
    orgId: string,
  ): Promise<{ mandatoryTypes: string[]; timeZone: string | null; updatedAt: Date | null }> {
    const row = await db
      .selectFrom('org_notification_settings')
      .select(['mandatory_types', 'time_zone', 'updated_at'])
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return {
      mandatoryTypes: row?.mandatory_types ?? [],
      timeZone: row?.time_zone ?? null,
      updatedAt: row ? new Date(row.updated_at) : null,
    };
  }

  /**
   * Every known type's channel settings for the organization (`userId` null: its defaults only) or
   * for one user of it.
   */
  async typeSettings(db: Kysely<NotificationsDb>, orgId: string, userId: string | null): Promise<TypeChannelSettings[]> {
    const [org, organization, userRows] = await Promise.all([
      this.orgSettings(db, orgId),
      db.selectFrom('org_channel_default').select(['type', 'channel', 'enabled']).where('org_id', '=', orgId).execute(),
      userId
        ? db
            .selectFrom('notification_preference')
            .select(['type', 'channel', 'enabled'])
            .where('org_id', '=', orgId)
            .where('user_id', '=', userId)
            .execute()
        : Promise.resolve([] as Array<ChannelSwitch & { type: string }>),
    ]);
    const everyType = userRows.filter((row) => row.type === EVERY_TYPE);
    return knownNotificationTypes().map((type) => {
      const mandatory = ALWAYS_MANDATORY_TYPES.includes(type) || org.mandatoryTypes.includes(type);
      return {
        type,
        mandatory,
        channels: channelSettings({
          triggerDefaults: triggerDefaultChannels(type),
          organization: organization.filter((row) => row.type === type),
          everyType,
          thisType: userRows.filter((row) => row.type === type),
          mandatory,
        }),
      };
    });
  }
}
