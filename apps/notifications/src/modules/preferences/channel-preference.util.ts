import type { NotificationChannel } from '@keyhouse/contracts';

/** Every channel, in the order views list them. */
export const ALL_CHANNELS: readonly NotificationChannel[] = ['in_app', 'email', 'sms', 'push'];

/**
 * Types every organization treats as mandatory (a user cannot switch them off, quiet hours do not
 * defer them): security notices. Applies to a type of this list once a trigger of that type exists.
 */
export const ALWAYS_MANDATORY_TYPES: readonly string[] = ['security_notice'];

/** `type` of a `notification_preference` row that applies to every type (identity's channel switches). */
export const EVERY_TYPE = '*';

/** Where a channel's effective setting comes from. */
export type ChannelSettingSource = 'default' | 'organization' | 'identity' | 'user' | 'mandatory';

/** One channel of one type for one user: on or off, the organization's default, and why. */
export interface ChannelSetting {
  channel: NotificationChannel;
  enabled: boolean;
  /** On by the organization's default (or the trigger's `defaultChannels` when the organization set none). */
  defaultEnabled: boolean;
  source: ChannelSettingSource;
}

/** A stored switch: a channel on or off (an `org_channel_default` or `notification_preference` row). */
export interface ChannelSwitch {
  channel: string;
  enabled: boolean;
}

/** What decides one type's channels for one user. */
export interface ChannelSettingsInput {
  /** The trigger's `defaultChannels` (or an override passed by the trigger). */
  triggerDefaults: readonly NotificationChannel[];
  /** The organization's `org_channel_default` rows of this type. */
  organization: readonly ChannelSwitch[];
  /** The user's rows for every type (`type = '*'`, from identity's `notificationPreferences`). */
  everyType: readonly ChannelSwitch[];
  /** The user's rows for this type (`PUT /v1/users/me/notification-preferences`). */
  thisType: readonly ChannelSwitch[];
  /** Marked mandatory by the organization, or always mandatory. */
  mandatory: boolean;
}

/**
 * The effective setting of every channel (`ALL_CHANNELS`, the trigger's default channels first, in
 * their order). Rule (docs/adr/0035 "Preferences, quiet hours and push"):
 * 1. the default is the organization's row of that type and channel, else whether the trigger
 *    lists the channel (`source` `organization` / `default`);
 * 2. the user's row of this type wins over their every-type row (identity's switches), which wins
 *    over the default (`source` `user` / `identity`);
 * 3. a mandatory type keeps every default-on channel on whatever the user said (`source`
 *    `mandatory`); the user can still switch further channels on.
 */
export function channelSettings(input: ChannelSettingsInput): ChannelSetting[] {
  const order = [...input.triggerDefaults, ...ALL_CHANNELS.filter((channel) => !input.triggerDefaults.includes(channel))];
  const find = (rows: readonly ChannelSwitch[], channel: string) => rows.find((row) => row.channel === channel);
  return order.map((channel) => {
    const organization = find(input.organization, channel);
    const defaultEnabled = organization ? organization.enabled : input.triggerDefaults.includes(channel);
    const defaultSource: ChannelSettingSource = organization ? 'organization' : 'default';
    const own = find(input.thisType, channel);
    const every = find(input.everyType, channel);
    const user = own ?? every;
    if (!user) return { channel, enabled: defaultEnabled, defaultEnabled, source: defaultSource };
    if (input.mandatory && defaultEnabled && !user.enabled) return { channel, enabled: true, defaultEnabled, source: 'mandatory' };
    return { channel, enabled: user.enabled, defaultEnabled, source: own ? 'user' : 'identity' };
  });
}
