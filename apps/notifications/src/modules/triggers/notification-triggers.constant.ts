import { CrmContactEvent, CrmTaskEvent, type NotificationChannel } from '@keyhouse/contracts';

/** Notification types of this slice (also the template kind and the email category). */
export type NotificationType = 'lead_assigned' | 'task_assigned';

/**
 * One built-in trigger: the domain event that raises it, who receives it, on which channels by
 * default and with which template. Issue 14 "Triggers and history"; the per-organization switch
 * (`notification_trigger`, `GET/PATCH /v1/notification-triggers`) is a later slice and will read
 * this list as the defaults.
 */
export interface NotificationTriggerDefinition {
  /** Notification type it creates (also the template kind and the email category). */
  type: NotificationType;
  /** Domain event type it reacts to. */
  event: string;
  /** Who receives it, in words (for the later `GET /v1/notification-triggers`). */
  recipients: string;
  /** Channels on by default, in delivery order. */
  defaultChannels: readonly NotificationChannel[];
  /** Template kind of `NOTIFICATION_TEMPLATES`. */
  template: NotificationType;
  /** On unless an organization switches it off (always on in this slice). */
  enabledByDefault: boolean;
}

/** The built-in triggers of this slice, by type. */
export const NOTIFICATION_TRIGGERS: Readonly<Record<NotificationType, NotificationTriggerDefinition>> = {
  lead_assigned: {
    type: 'lead_assigned',
    event: CrmContactEvent.contactAssigned.type,
    recipients: 'the agent the contact was assigned to (not when agents assign a contact to themselves)',
    // sms: the speed-to-lead alert, for an agent with a phone when the SMS channel is configured.
    defaultChannels: ['in_app', 'email', 'sms'],
    template: 'lead_assigned',
    enabledByDefault: true,
  },
  task_assigned: {
    type: 'task_assigned',
    event: CrmTaskEvent.taskCreated.type,
    recipients: 'the assignee of a new task, when someone else created it',
    defaultChannels: ['in_app', 'email'],
    template: 'task_assigned',
    enabledByDefault: true,
  },
};
