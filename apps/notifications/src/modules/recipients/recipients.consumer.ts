import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import {
  IdentityEvent,
  type CloudEvent,
  type UserCreatedData,
  type UserDeactivatedData,
  type UserErasedData,
  type UserRoleChangedData,
  type UserTeamsChangedData,
  type UserUpdatedData,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { EVERY_TYPE } from '../preferences/channel-preference.util';
import { isValidTimeZone } from '../preferences/quiet-hours.util';
import { e164OrNull } from '../sms/phone-number.util';

/** identity's `notificationPreferences` keys → our channels (identity has no push switch). */
const IDENTITY_CHANNELS: Record<string, 'email' | 'sms' | 'in_app'> = { email: 'email', sms: 'sms', inApp: 'in_app' };

/**
 * The channel switches that changed in identity's `notificationPreferences` change (`{ from, to }`,
 * each the whole `{ email, sms, inApp }` object): only keys whose boolean differs from `from`, so
 * a user who switched one channel does not switch the others to identity's stored defaults.
 */
export function changedChannelSwitches(change: { from: unknown; to: unknown } | undefined): Array<{ channel: string; enabled: boolean }> {
  if (!change || typeof change.to !== 'object' || change.to === null) return [];
  const from = (typeof change.from === 'object' && change.from !== null ? change.from : {}) as Record<string, unknown>;
  const to = change.to as Record<string, unknown>;
  return Object.entries(IDENTITY_CHANNELS)
    .filter(([key]) => typeof to[key] === 'boolean' && to[key] !== from[key])
    .map(([key, channel]) => ({ channel, enabled: to[key] as boolean }));
}

/** Consumer group over `identity.events`, also the inbox's consumer name: never change it. */
export const NOTIFICATIONS_RECIPIENTS_GROUP = 'notifications.recipients';

/**
 * The recipients read model (`recipient`): each user's email, name, role, status and teams, from
 * identity's events (group `notifications.recipients`, each event applied once with its inbox
 * row), so a notification is addressed without a call to identity (issue 14). `user.created`
 * inserts (or refreshes) the row, with the phone when it is an E.164 number (the SMS channel);
 * `user.updated` applies its `changes` of `email`, `name`, `status`, `phone` and `timezone` (an IANA
 * zone: quiet hours are read in it), and the channels of `notificationPreferences` that changed
 * become the user's every-type switches (`notification_preference`, type `*`, source `identity`:
 * identity's channel switches seed the preferences this service owns; a per-type switch wins);
 * `user.deactivated` sets `status = 'deactivated'` (no email goes to it);
 * `user.role_changed` and `user.teams_changed` keep role and teams for the history's team scope;
 * `user.erased` deletes the row (the person's address is not kept) and the user's preferences,
 * quiet hours and push devices. Emits nothing.
 */
@Injectable()
export class RecipientsConsumer {
  /** `identity.user.created`: the user's row, replacing any earlier one. */
  @OnEvent(IdentityEvent.userCreated, { group: NOTIFICATIONS_RECIPIENTS_GROUP })
  async onUserCreated(event: CloudEvent<UserCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    await kyselyFor<NotificationsDb>(unit.manager)
      .insertInto('recipient')
      .values({
        user_id: data.userId,
        org_id: event.orgid,
        email: data.email,
        name: data.name,
        role: data.role,
        status: data.status,
        team_ids: data.teamIds ?? [],
        phone: e164OrNull(data.phone),
      })
      .onConflict((conflict) =>
        conflict.column('user_id').doUpdateSet((eb) => ({
          email: eb.ref('excluded.email'),
          name: eb.ref('excluded.name'),
          role: eb.ref('excluded.role'),
          status: eb.ref('excluded.status'),
          team_ids: eb.ref('excluded.team_ids'),
          phone: eb.ref('excluded.phone'),
          updated_at: sql<Date>`now()`,
        })),
      )
      .execute();
  }

  /** `identity.user.updated`: `email`, `name`, `status` and `phone` changes (`{ from, to }`); other fields are not kept. */
  @OnEvent(IdentityEvent.userUpdated, { group: NOTIFICATIONS_RECIPIENTS_GROUP })
  async onUserUpdated(event: CloudEvent<UserUpdatedData>, unit: UnitOfWorkContext): Promise<void> {
    const changes = event.data.changes ?? {};
    const set: { email?: string; name?: string; status?: string; phone?: string | null; timezone?: string | null } = {};
    if (typeof changes.email?.to === 'string') set.email = changes.email.to;
    if (typeof changes.name?.to === 'string') set.name = changes.name.to;
    if (typeof changes.status?.to === 'string') set.status = changes.status.to;
    if (changes.phone) set.phone = e164OrNull(changes.phone.to);
    if (changes.timezone)
      set.timezone = typeof changes.timezone.to === 'string' && isValidTimeZone(changes.timezone.to) ? changes.timezone.to : null;
    const switches = changedChannelSwitches(changes.notificationPreferences);
    if (switches.length > 0) {
      await kyselyFor<NotificationsDb>(unit.manager)
        .insertInto('notification_preference')
        .values(
          switches.map((entry) => ({
            user_id: event.data.userId,
            org_id: event.orgid,
            type: EVERY_TYPE,
            channel: entry.channel,
            enabled: entry.enabled,
            source: 'identity',
          })),
        )
        .onConflict((conflict) =>
          conflict.columns(['user_id', 'type', 'channel']).doUpdateSet((eb) => ({
            enabled: eb.ref('excluded.enabled'),
            updated_at: sql<Date>`now()`,
          })),
        )
        .execute();
    }
    if (Object.keys(set).length === 0) return;
    await this.update(unit, event.data.userId, set);
  }

  /** `identity.user.deactivated`: no email goes to the user any more. */
  @OnEvent(IdentityEvent.userDeactivated, { group: NOTIFICATIONS_RECIPIENTS_GROUP })
  async onUserDeactivated(event: CloudEvent<UserDeactivatedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.update(unit, event.data.userId, { status: 'deactivated' });
  }

  /** `identity.user.role_changed`. */
  @OnEvent(IdentityEvent.userRoleChanged, { group: NOTIFICATIONS_RECIPIENTS_GROUP })
  async onUserRoleChanged(event: CloudEvent<UserRoleChangedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.update(unit, event.data.userId, { role: event.data.to });
  }

  /** `identity.user.teams_changed`: the full team list (`to`). */
  @OnEvent(IdentityEvent.userTeamsChanged, { group: NOTIFICATIONS_RECIPIENTS_GROUP })
  async onUserTeamsChanged(event: CloudEvent<UserTeamsChangedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.update(unit, event.data.userId, { team_ids: event.data.to });
  }

  /** `identity.user.erased`: the row (email and name) goes. Notifications already sent stay in the history. */
  @OnEvent(IdentityEvent.userErased, { group: NOTIFICATIONS_RECIPIENTS_GROUP })
  async onUserErased(event: CloudEvent<UserErasedData>, unit: UnitOfWorkContext): Promise<void> {
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const userId = event.data.userId;
    await db.deleteFrom('recipient').where('user_id', '=', userId).execute();
    await db.deleteFrom('notification_preference').where('user_id', '=', userId).execute();
    await db.deleteFrom('quiet_hours').where('user_id', '=', userId).execute();
    await db.deleteFrom('push_device').where('user_id', '=', userId).execute();
  }

  private async update(
    unit: UnitOfWorkContext,
    userId: string,
    set: {
      email?: string;
      name?: string;
      status?: string;
      role?: string;
      team_ids?: string[];
      phone?: string | null;
      timezone?: string | null;
    },
  ): Promise<void> {
    await kyselyFor<NotificationsDb>(unit.manager)
      .updateTable('recipient')
      .set({ ...set, updated_at: sql<Date>`now()` })
      .where('user_id', '=', userId)
      .execute();
  }
}
