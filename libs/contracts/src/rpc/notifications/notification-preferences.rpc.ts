import type { NotificationChannel } from '../../events/notifications/notifications.event';
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

/**
 * NATS contracts of the notifications service's preferences, organization settings and push devices
 * (issue 14; docs/adr/0035 "Preferences, quiet hours and push"). Refusals: `FORBIDDEN`,
 * `USER_SESSION_REQUIRED` (API keys), `VALIDATION_FAILED`, `UNKNOWN_NOTIFICATION_TYPE`,
 * `NOTIFICATION_TYPE_MANDATORY`, `INVALID_TIME_ZONE`, `DEVICE_NOT_FOUND`, `INVALID_CURSOR`.
 */
export const NotificationPreferencesSubjects = {
  /** The caller's effective channels per type and quiet hours (a signed-in user). */
  getMine: defineRpc<Record<string, never>, NotificationPreferencesView>('notifications.preferences.get'),
  /** Replaces the caller's per-type channel switches and quiet hours; emits `notifications.preferences.updated`. */
  updateMine: defineRpc<NotificationPreferencesUpdateRequest, NotificationPreferencesView>('notifications.preferences.update'),
  /** The organization's defaults per type and channel, mandatory types and time zone (`notifications:manage` at `org`). */
  getSettings: defineRpc<Record<string, never>, NotificationSettingsView>('notifications.settings.get'),
  /** Replaces the organization's settings (`notifications:manage` at `org`); emits `notifications.settings.updated`. */
  updateSettings: defineRpc<NotificationSettingsUpdateRequest, NotificationSettingsView>('notifications.settings.update'),
  /** Registers an FCM token for the caller (idempotent on the token: the same token updates its row). */
  registerDevice: defineRpc<PushDeviceRegisterRequest, PushDeviceView>('notifications.devices.register'),
  /** The caller's devices, oldest first. */
  listDevices: defineRpc<PageQuery, Page<PushDeviceView>>('notifications.devices.list'),
  /** Removes one of the caller's devices; another user's or organization's answers 404 `DEVICE_NOT_FOUND`. */
  deleteDevice: defineRpc<PushDeviceIdRequest, void>('notifications.devices.delete'),
};

/** Where a channel's effective setting comes from. */
export type NotificationChannelSettingSource = 'default' | 'organization' | 'identity' | 'user' | 'mandatory';

/** One channel of one type: on or off, and why. */
export interface NotificationChannelSettingView {
  channel: NotificationChannel;
  enabled: boolean;
  /** On by the organization's default (or the trigger's default channels). */
  defaultEnabled: boolean;
  source: NotificationChannelSettingSource;
}

/** One notification type with its channels. */
export interface NotificationTypePreferenceView {
  type: string;
  /** Marked mandatory by the organization or always mandatory (security notices): default-on channels cannot be switched off. */
  mandatory: boolean;
  channels: NotificationChannelSettingView[];
}

/** Quiet hours: local `HH:mm` start (inclusive) and end (exclusive); `timeZone` IANA, null = the user's or organization's. */
export interface QuietHoursView {
  start: string;
  end: string;
  timeZone: string | null;
}

/** `GET /v1/users/me/notification-preferences`. */
export interface NotificationPreferencesView {
  types: NotificationTypePreferenceView[];
  quietHours: QuietHoursView | null;
  /** The zone quiet hours are read in: theirs, else the user's (identity), else the organization's, else `UTC`. */
  effectiveTimeZone: string;
}

/** One switch: `type`'s `channel` on or off. */
export interface NotificationChannelSwitch {
  type: string;
  channel: NotificationChannel;
  enabled: boolean;
}

/** `PUT /v1/users/me/notification-preferences`: the whole set of the caller's per-type switches, and quiet hours (null: none). */
export interface NotificationPreferencesUpdateRequest {
  preferences: NotificationChannelSwitch[];
  quietHours: QuietHoursView | null;
}

/** `GET /v1/notification-settings`. */
export interface NotificationSettingsView {
  types: NotificationTypePreferenceView[];
  /** Types the organization marked mandatory (always-mandatory types are not listed, they are flagged in `types`). */
  mandatoryTypes: string[];
  /** Default zone of the organization's users' quiet hours (IANA), null = UTC. */
  timeZone: string | null;
  updatedAt: string | null;
}

/** `PUT /v1/notification-settings`: the whole set of the organization's default switches, mandatory types and zone. */
export interface NotificationSettingsUpdateRequest {
  defaults: NotificationChannelSwitch[];
  mandatoryTypes: string[];
  timeZone: string | null;
}

export type PushDevicePlatform = 'ios' | 'android' | 'web';

/** `POST /v1/devices`. */
export interface PushDeviceRegisterRequest {
  /** FCM registration token. */
  token: string;
  platform: PushDevicePlatform;
  name?: string | null;
}

export interface PushDeviceIdRequest {
  /** @format uuid */
  id: string;
}

/** A registered device (the token is not echoed back). */
export interface PushDeviceView {
  id: string;
  platform: PushDevicePlatform;
  name: string | null;
  createdAt: string;
  updatedAt: string;
}
