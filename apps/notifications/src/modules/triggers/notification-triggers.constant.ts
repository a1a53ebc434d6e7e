import { CrmContactEvent, CrmTaskEvent, DealsEvent, IdentityEvent, ListingsEvent, type NotificationChannel } from '@keyhouse/contracts';

/** Notification types of the built-in triggers for users (also the template kind and the email category). */
export type NotificationType =
  | 'lead_assigned'
  | 'task_assigned'
  | 'lead_rerouted'
  | 'task_reminder'
  | 'task_overdue'
  | 'deal_date_reminder'
  | 'deal_deadline_missed'
  | 'offer_accepted'
  | 'invoice_paid'
  | 'contact_search_matched'
  | 'client_registered';

/**
 * One built-in trigger: the domain event that raises it, who receives it, on which channels by
 * default and with which template. Issue 14 "Triggers and history"; an organization switches a
 * trigger off (or overrides its channels) in `notification_trigger`
 * (`GET/PATCH /v1/notification-triggers`), which reads this list as the defaults.
 */
export interface NotificationTriggerDefinition {
  /** Notification type it creates (also the template kind and the email category). */
  type: NotificationType;
  /** Domain event type it reacts to (the first of `events`). */
  event: string;
  /** Every domain event type that raises it (`client_registered` has two). */
  events: readonly string[];
  /** Who receives it, in words (`GET /v1/notification-triggers`). */
  recipients: string;
  /** Channels on by default, in delivery order. */
  defaultChannels: readonly NotificationChannel[];
  /** Template kind of `NOTIFICATION_TEMPLATES`. */
  template: NotificationType;
  /** On unless an organization switches it off (`notification_trigger.enabled`). */
  enabledByDefault: boolean;
}

/** The built-in triggers for users, by type (in the order `GET /v1/notification-triggers` lists them). */
export const NOTIFICATION_TRIGGERS: Readonly<Record<NotificationType, NotificationTriggerDefinition>> = {
  lead_assigned: {
    type: 'lead_assigned',
    event: CrmContactEvent.contactAssigned.type,
    events: [CrmContactEvent.contactAssigned.type],
    recipients: 'the agent the contact was assigned to (not when agents assign a contact to themselves)',
    // sms: the speed-to-lead alert, for an agent with a phone when the SMS channel is configured.
    defaultChannels: ['in_app', 'email', 'sms', 'push'],
    template: 'lead_assigned',
    enabledByDefault: true,
  },
  task_assigned: {
    type: 'task_assigned',
    event: CrmTaskEvent.taskCreated.type,
    events: [CrmTaskEvent.taskCreated.type],
    recipients: 'the assignee of a new task, when someone else (or the system) created it',
    defaultChannels: ['in_app', 'email', 'push'],
    template: 'task_assigned',
    enabledByDefault: true,
  },
  lead_rerouted: {
    type: 'lead_rerouted',
    event: CrmContactEvent.contactAssigned.type,
    events: [CrmContactEvent.contactAssigned.type],
    recipients:
      'speed-to-lead: the agent a lead was re-routed to because the previous agent did not act in time, and the managers of both agents’ teams (the new agent gets lead_assigned instead when this trigger is off)',
    defaultChannels: ['in_app', 'email', 'sms', 'push'],
    template: 'lead_rerouted',
    enabledByDefault: true,
  },
  task_reminder: {
    type: 'task_reminder',
    event: CrmTaskEvent.taskReminderDue.type,
    events: [CrmTaskEvent.taskReminderDue.type],
    recipients: 'the assignee of an open task, at each of its reminder offsets',
    defaultChannels: ['in_app', 'email', 'push'],
    template: 'task_reminder',
    enabledByDefault: true,
  },
  task_overdue: {
    type: 'task_overdue',
    event: CrmTaskEvent.taskOverdue.type,
    events: [CrmTaskEvent.taskOverdue.type],
    recipients: 'the assignee of an open task that passed its due time (once per due time)',
    defaultChannels: ['in_app'],
    template: 'task_overdue',
    enabledByDefault: true,
  },
  deal_date_reminder: {
    type: 'deal_date_reminder',
    event: DealsEvent.dateReminderDue.type,
    events: [DealsEvent.dateReminderDue.type],
    recipients: 'the transaction’s agents (its agent and the team sharing it), at each reminder offset of a key date',
    defaultChannels: ['in_app', 'email'],
    template: 'deal_date_reminder',
    enabledByDefault: true,
  },
  deal_deadline_missed: {
    type: 'deal_deadline_missed',
    event: DealsEvent.deadlineMissed.type,
    events: [DealsEvent.deadlineMissed.type],
    recipients: 'the transaction’s agents, when a contract deadline passed without being marked done',
    defaultChannels: ['in_app', 'email', 'push'],
    template: 'deal_deadline_missed',
    enabledByDefault: true,
  },
  offer_accepted: {
    type: 'offer_accepted',
    event: DealsEvent.offerAccepted.type,
    events: [DealsEvent.offerAccepted.type],
    recipients: 'the transaction’s agents, except the user who accepted the offer',
    defaultChannels: ['in_app', 'email'],
    template: 'offer_accepted',
    enabledByDefault: true,
  },
  invoice_paid: {
    type: 'invoice_paid',
    event: DealsEvent.invoicePaid.type,
    events: [DealsEvent.invoicePaid.type],
    recipients: 'the organization’s owners and admins, except the user who recorded the payment',
    defaultChannels: ['in_app', 'email'],
    template: 'invoice_paid',
    enabledByDefault: true,
  },
  contact_search_matched: {
    type: 'contact_search_matched',
    event: ListingsEvent.searchMatched.type,
    events: [ListingsEvent.searchMatched.type],
    recipients: 'the agent who owns the contact whose saved search a listing matched',
    defaultChannels: ['in_app'],
    template: 'contact_search_matched',
    enabledByDefault: true,
  },
  client_registered: {
    type: 'client_registered',
    event: IdentityEvent.userCreated.type,
    events: [IdentityEvent.userCreated.type, IdentityEvent.userContactLinked.type],
    recipients:
      'the agent who owns the contact a client registered (or verified) as in the client portal; the organization’s owners and admins when the contact has no agent',
    defaultChannels: ['in_app', 'email'],
    template: 'client_registered',
    enabledByDefault: true,
  },
};

/**
 * Trigger events older than this (ms, from the event's `time`) notify nobody: a notification about
 * a lead assigned or a task due days ago is noise, and a first deployment's trigger groups read the
 * topics' whole retained history (about a week). 48 hours covers a long notifications outage.
 */
export const TRIGGER_EVENT_MAX_AGE_MS = 48 * 3600 * 1000;

/**
 * kafkajs `maxWaitTimeInMs` of the groups between a domain event and a person's screen (the
 * triggers, the realtime channel): an empty fetch is held at most this long (the consumers'
 * default is 500 ms; the local mock broker holds it that long even when an event arrives).
 */
export const PERSON_FACING_FETCH_WAIT_MS = 100;
