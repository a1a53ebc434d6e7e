import type { NotificationChannel } from '../../events/notifications/notifications.event';
import { defineRpc } from '../rpc-contract.util';

/**
 * NATS request/reply contracts of the per-organization trigger switches (issue 14 "Triggers and
 * history"; `GET/PATCH /v1/notification-triggers`, owner/admin through `notifications:manage` at
 * `org` scope). Refusals: 403 `FORBIDDEN`, 404 `NOTIFICATION_TRIGGER_NOT_FOUND` (a type that is no
 * built-in trigger), 400 `VALIDATION_FAILED`.
 */
export const NotificationTriggersSubjects = {
  /** Every built-in trigger with its event, recipients, default channels, template and whether it is on for the caller's organization. */
  list: defineRpc<Record<string, never>, NotificationTriggerListView>('notifications.triggers.list'),
  /** Switches one trigger on or off for the caller's organization, optionally with its own channels; emits `notifications.trigger.updated`. */
  update: defineRpc<NotificationTriggerUpdateRequest, NotificationTriggerView>('notifications.triggers.update'),
};

/** The built-in default template of a trigger (`{{name}}` placeholders filled from the event). */
export interface NotificationTriggerTemplateView {
  title: string;
  body: string;
  /** Label of the email's call to action. */
  action: string;
}

/** One built-in trigger as it applies to the caller's organization. */
export interface NotificationTriggerView {
  /** Notification type it creates (`lead_assigned`, `invoice_paid`, ...). */
  type: string;
  /** Domain event types that raise it. */
  events: string[];
  /** Who receives it, in words. */
  recipients: string;
  /** The built-in channels, in delivery order. */
  defaultChannels: NotificationChannel[];
  /** The organization's channels for it, or null when it uses the defaults. */
  channels: NotificationChannel[] | null;
  template: NotificationTriggerTemplateView;
  /** On for the organization (its switch, else the built-in default). */
  enabled: boolean;
  enabledByDefault: boolean;
  /** Who changed the organization's switch last (null: never changed). @format uuid */
  updatedBy: string | null;
  /** When it was changed last (null: never changed). @format date-time */
  updatedAt: string | null;
}

export interface NotificationTriggerListView {
  items: NotificationTriggerView[];
}

/** `PATCH /v1/notification-triggers/:type`: `channels` null = back to the defaults; absent = unchanged. */
export interface NotificationTriggerUpdateRequest {
  type: string;
  enabled: boolean;
  channels?: NotificationChannel[] | null;
}
