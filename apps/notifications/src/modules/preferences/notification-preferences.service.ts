import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Kysely } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  NotificationPreferencesSubjects,
  NotificationsEvent,
  type FieldError,
  type NotificationChannelSwitch,
  type NotificationPreferencesUpdateRequest,
  type NotificationPreferencesView,
  type NotificationSettingsUpdateRequest,
  type NotificationSettingsView,
  type NotificationTypePreferenceView,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope, requireUserSession } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { NotificationsErrorCode } from '../../notifications.exception';
import type { ChannelSetting } from './channel-preference.util';
import { ChannelPreferencesService, knownNotificationTypes, type TypeChannelSettings } from './channel-preferences.service';
import { isValidTimeZone, LOCAL_TIME_PATTERN } from './quiet-hours.util';

/**
 * A user's notification preferences and the organization's notification settings (issue 14;
 * docs/adr/0035 "Preferences, quiet hours and push"), served over NATS for the gateway's
 * `/v1/users/me/notification-preferences` (a signed-in user, their own only; API keys refused
 * `USER_SESSION_REQUIRED`) and `/v1/notification-settings` (`notifications:manage` at `org`:
 * owner and admin). A PUT replaces the whole set (per-type switches and quiet hours; defaults,
 * mandatory types and zone) in one unit of work with its event.
 */
@Injectable()
export class NotificationPreferencesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly preferences: ChannelPreferencesService,
  ) {}

  /**
   * The caller's effective channels per type, their quiet hours and the zone those are read in.
   *
   * @throws DomainException 403 `USER_SESSION_REQUIRED`.
   */
  @RpcHandler(NotificationPreferencesSubjects.getMine)
  async getMine(envelope: RequestEnvelope<Record<string, never>>): Promise<NotificationPreferencesView> {
    const actor = requireUserSession(envelope.actor);
    return this.viewOf(kyselyFor<NotificationsDb>(this.dataSource), actor.orgId, actor.userId);
  }

  /**
   * Replaces the caller's per-type switches (identity's every-type switches stay) and quiet hours;
   * emits `notifications.preferences.updated`.
   *
   * @throws DomainException 403 `USER_SESSION_REQUIRED`; 422 `UNKNOWN_NOTIFICATION_TYPE`,
   *   `NOTIFICATION_TYPE_MANDATORY` (a default-on channel of a mandatory type switched off),
   *   `INVALID_TIME_ZONE`, `VALIDATION_FAILED` (a type and channel twice, a malformed `HH:mm`).
   */
  @RpcHandler(NotificationPreferencesSubjects.updateMine)
  async updateMine(envelope: RequestEnvelope<NotificationPreferencesUpdateRequest>): Promise<NotificationPreferencesView> {
    const actor = requireUserSession(envelope.actor);
    const data = envelope.data;
    const switches = checkSwitches(data.preferences, 'preferences');
    const quiet = data.quietHours;
    if (quiet) {
      const errors: FieldError[] = [];
      if (!LOCAL_TIME_PATTERN.test(quiet.start)) errors.push({ field: 'quietHours.start', message: 'must be HH:mm' });
      if (!LOCAL_TIME_PATTERN.test(quiet.end)) errors.push({ field: 'quietHours.end', message: 'must be HH:mm' });
      if (errors.length) throw DomainException.validation(errors);
      if (quiet.timeZone) checkTimeZone(quiet.timeZone, 'quietHours.timeZone');
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<NotificationsDb>(unit.manager);
      const defaults = await this.preferences.typeSettings(db, actor.orgId, null);
      const refused = switches.filter(
        (entry) =>
          !entry.enabled &&
          defaults.some((type) => type.type === entry.type && type.mandatory && isDefaultOn(type.channels, entry.channel)),
      );
      if (refused.length) {
        throw new DomainException(
          'unprocessable',
          NotificationsErrorCode.NotificationTypeMandatory,
          'A default channel of a mandatory notification type cannot be switched off',
          refused.map((entry) => ({ field: 'preferences', message: `${entry.type} ${entry.channel} is mandatory` })),
        );
      }
      await db.deleteFrom('notification_preference').where('user_id', '=', actor.userId).where('source', '=', 'user').execute();
      if (switches.length) {
        await db
          .insertInto('notification_preference')
          .values(
            switches.map((entry) => ({
              user_id: actor.userId,
              org_id: actor.orgId,
              type: entry.type,
              channel: entry.channel,
              enabled: entry.enabled,
              source: 'user',
            })),
          )
          .execute();
      }
      if (quiet) {
        await db
          .insertInto('quiet_hours')
          .values({
            user_id: actor.userId,
            org_id: actor.orgId,
            start_local: quiet.start,
            end_local: quiet.end,
            time_zone: quiet.timeZone ?? null,
          })
          .onConflict((conflict) =>
            conflict.column('user_id').doUpdateSet((eb) => ({
              start_local: eb.ref('excluded.start_local'),
              end_local: eb.ref('excluded.end_local'),
              time_zone: eb.ref('excluded.time_zone'),
              updated_at: sql<Date>`now()`,
            })),
          )
          .execute();
      } else {
        await db.deleteFrom('quiet_hours').where('user_id', '=', actor.userId).where('org_id', '=', actor.orgId).execute();
      }
      await unit.emit(NotificationsEvent.preferencesUpdated, actor.userId, actor.orgId, {
        userId: actor.userId,
        preferences: switches,
        quietHours: quiet ? { start: quiet.start, end: quiet.end, timeZone: quiet.timeZone ?? null } : null,
      });
      return this.viewOf(db, actor.orgId, actor.userId);
    });
  }

  /**
   * The organization's defaults per type and channel, mandatory types and zone.
   *
   * @throws DomainException 403 `FORBIDDEN` without `notifications:manage` at `org`.
   */
  @RpcHandler(NotificationPreferencesSubjects.getSettings)
  async getSettings(envelope: RequestEnvelope<Record<string, never>>): Promise<NotificationSettingsView> {
    const actor = envelope.actor!;
    requireScope(actor, 'notifications:manage', 'org');
    return this.settingsOf(kyselyFor<NotificationsDb>(this.dataSource), actor.orgId);
  }

  /**
   * Replaces the organization's default switches, mandatory types and zone; emits
   * `notifications.settings.updated`. Users' switches of a type made mandatory are kept but ignored
   * for its default-on channels (dispatch).
   *
   * @throws DomainException 403 `FORBIDDEN` without `notifications:manage` at `org`, or for a
   *   session-less actor; 422 `UNKNOWN_NOTIFICATION_TYPE`, `INVALID_TIME_ZONE`, `VALIDATION_FAILED`.
   */
  @RpcHandler(NotificationPreferencesSubjects.updateSettings)
  async updateSettings(envelope: RequestEnvelope<NotificationSettingsUpdateRequest>): Promise<NotificationSettingsView> {
    const actor = requireUserSession(envelope.actor);
    requireScope(actor, 'notifications:manage', 'org');
    const data = envelope.data;
    const defaults = checkSwitches(data.defaults, 'defaults');
    const mandatoryTypes = [...new Set(data.mandatoryTypes)].sort();
    checkTypes(mandatoryTypes, 'mandatoryTypes');
    if (data.timeZone) checkTimeZone(data.timeZone, 'timeZone');
    return this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<NotificationsDb>(unit.manager);
      await db
        .insertInto('org_notification_settings')
        .values({ org_id: actor.orgId, mandatory_types: mandatoryTypes, time_zone: data.timeZone ?? null, updated_by: actor.userId })
        .onConflict((conflict) =>
          conflict.column('org_id').doUpdateSet((eb) => ({
            mandatory_types: eb.ref('excluded.mandatory_types'),
            time_zone: eb.ref('excluded.time_zone'),
            updated_by: eb.ref('excluded.updated_by'),
            updated_at: sql<Date>`now()`,
          })),
        )
        .execute();
      await db.deleteFrom('org_channel_default').where('org_id', '=', actor.orgId).execute();
      if (defaults.length) {
        await db
          .insertInto('org_channel_default')
          .values(defaults.map((entry) => ({ org_id: actor.orgId, type: entry.type, channel: entry.channel, enabled: entry.enabled })))
          .execute();
      }
      await unit.emit(NotificationsEvent.settingsUpdated, actor.orgId, actor.orgId, {
        defaults,
        mandatoryTypes,
        timeZone: data.timeZone ?? null,
        updatedBy: actor.userId,
      });
      return this.settingsOf(db, actor.orgId);
    });
  }

  private async viewOf(db: Kysely<NotificationsDb>, orgId: string, userId: string): Promise<NotificationPreferencesView> {
    const [types, quiet, recipient, org] = await Promise.all([
      this.preferences.typeSettings(db, orgId, userId),
      db
        .selectFrom('quiet_hours')
        .select(['start_local', 'end_local', 'time_zone'])
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst(),
      db.selectFrom('recipient').select('timezone').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst(),
      this.preferences.orgSettings(db, orgId),
    ]);
    return {
      types: types.map(toTypeView),
      quietHours: quiet ? { start: quiet.start_local, end: quiet.end_local, timeZone: quiet.time_zone } : null,
      effectiveTimeZone: quiet?.time_zone ?? recipient?.timezone ?? org.timeZone ?? 'UTC',
    };
  }

  private async settingsOf(db: Kysely<NotificationsDb>, orgId: string): Promise<NotificationSettingsView> {
    const [types, org] = await Promise.all([this.preferences.typeSettings(db, orgId, null), this.preferences.orgSettings(db, orgId)]);
    return {
      types: types.map(toTypeView),
      mandatoryTypes: org.mandatoryTypes,
      timeZone: org.timeZone,
      updatedAt: org.updatedAt ? org.updatedAt.toISOString() : null,
    };
  }
}

function toTypeView(type: TypeChannelSettings): NotificationTypePreferenceView {
  return {
    type: type.type,
    mandatory: type.mandatory,
    channels: type.channels.map((setting) => ({
      channel: setting.channel,
      enabled: setting.enabled,
      defaultEnabled: setting.defaultEnabled,
      source: setting.source,
    })),
  };
}

function isDefaultOn(channels: readonly ChannelSetting[], channel: string): boolean {
  return channels.some((setting) => setting.channel === channel && setting.defaultEnabled);
}

/** The switches, checked: known types, each type and channel once. */
function checkSwitches(switches: NotificationChannelSwitch[], field: string): NotificationChannelSwitch[] {
  checkTypes(
    switches.map((entry) => entry.type),
    field,
  );
  const seen = new Set<string>();
  for (const entry of switches) {
    const key = `${entry.type}/${entry.channel}`;
    if (seen.has(key)) throw DomainException.validation([{ field, message: `${entry.type} ${entry.channel} is listed twice` }]);
    seen.add(key);
  }
  return switches.map((entry) => ({ type: entry.type, channel: entry.channel, enabled: entry.enabled }));
}

function checkTypes(types: string[], field: string): void {
  const known = new Set(knownNotificationTypes());
  const unknown = types.filter((type) => !known.has(type));
  if (unknown.length) {
    throw new DomainException(
      'unprocessable',
      NotificationsErrorCode.UnknownNotificationType,
      'Unknown notification type',
      unknown.map((type) => ({ field, message: `${type} is not a notification type` })),
    );
  }
}

function checkTimeZone(zone: string, field: string): void {
  if (!isValidTimeZone(zone)) {
    throw new DomainException('unprocessable', NotificationsErrorCode.InvalidTimeZone, 'Unknown time zone', [
      { field, message: 'must be an IANA time zone such as America/New_York' },
    ]);
  }
}
