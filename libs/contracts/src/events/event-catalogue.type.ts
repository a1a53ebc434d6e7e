import type { CloudEvent } from './cloud-event.type';
import { AUDIT_GATEWAY_EVENTS_TOPIC, AuditEvent } from './audit/audit.event';
import { CRM_EVENTS_TOPIC, CrmContactEvent } from './crm/crm-contacts.event';
import { CrmCompanyEvent, CrmSavedReplyEvent, CrmTagEvent, CrmTaskEvent } from './crm/crm-work.event';
import { CrmLeadSourceEvent } from './crm/crm-lead-sources.event';
import { DEALS_EVENTS_TOPIC, DealsEvent } from './deals/deals.event';
import { IDENTITY_EVENTS_TOPIC, IdentityEvent } from './identity/identity.event';
import { LISTINGS_EVENTS_TOPIC, ListingsEvent } from './listings/listings.event';
import { NOTIFICATIONS_EVENTS_TOPIC, NotificationsEvent } from './notifications/notifications.event';

/**
 * The event catalogue: every event definition of every `*Event` object (`defineEvent`) exported from
 * `@keyhouse/contracts`, with where it is published and what it carries. `deploy/api-docs.js`
 * turns it into the AsyncAPI document `docs/events/asyncapi.yaml` (payload schemas generated from
 * the named TypeScript types), and `event-catalogue.type.spec.ts` fails when an event type has no
 * entry here, or an entry names a type no `*Event` object declares.
 *
 * Adding an event type: add its `defineEvent<Payload>('<type>')` to its service's `*Event` object, add its entry below (topic,
 * key, payload type name exported from `@keyhouse/contracts`, or `null` while it has none), run
 * `npm run docs:api`, and describe it in the service's `docs/events/<svc>-events.md`.
 */
export interface EventCatalogueEntry {
  /** Kafka topic without `KAFKA_TOPIC_PREFIX`; `null` for types recorded without Kafka (audit's own actions). */
  topic: string | null;
  /** Service (apps/ folder) that produces it. */
  producer: string;
  /** What the Kafka message key and the CloudEvents `subject` are (the aggregate). */
  key: string;
  /**
   * Name of the exported type of `data` in `@keyhouse/contracts` (an interface or type alias),
   * or `null` when the contracts have no type for it yet (the payload is then described only in
   * `doc`).
   */
  payload: string | null;
  /** The hand-written page that documents it (repository path). */
  doc: string;
}

/** A Kafka topic of the catalogue: who writes it and who reads it. */
export interface EventTopicEntry {
  /** Service that produces every message of the topic. */
  producer: string;
  /** CloudEvents `source` of its events. */
  source: string;
  description: string;
  /** Consumer groups (without `KAFKA_TOPIC_PREFIX`) reading the topic, with their service. */
  consumers: ReadonlyArray<{ service: string; groupId: string; purpose: string }>;
}

const IDENTITY_DOC = 'docs/events/identity-events.md';
const CRM_DOC = 'docs/events/crm-events.md';
const CRM_WORK_DOC = 'docs/events/crm-work-events.md';
const LISTINGS_DOC = 'docs/events/listings-events.md';
const DEALS_DOC = 'docs/events/deals-events.md';
const AUDIT_DOC = 'docs/events/audit-events.md';
const NOTIFICATIONS_DOC = 'docs/events/notifications-events.md';

const AUDIT_TRAIL_CONSUMER = {
  service: 'audit',
  groupId: 'audit.trail',
  purpose: 'records every event once in the hash-chained audit trail (docs/adr/0015)',
};

/** Every Kafka topic that carries domain events, by name (without `KAFKA_TOPIC_PREFIX`). */
export const EventTopicCatalogue: Readonly<Record<string, EventTopicEntry>> = {
  [IDENTITY_EVENTS_TOPIC]: {
    producer: 'identity',
    source: 'keyhouse/identity',
    description: 'Organizations, users, agents, teams, roles, sessions, 2FA, passwords and API keys.',
    consumers: [
      {
        service: 'crm',
        groupId: 'crm.identity-read-model',
        purpose: 'local read model of users, teams and agent routing profiles (crm.org_user)',
      },
      {
        service: 'crm',
        groupId: 'crm.client-link',
        purpose: 'identity.user.contact_linked: links a verified client user to their contact (contact.client_user_id)',
      },
      {
        service: 'listings',
        groupId: 'listings.contacts',
        purpose: 'which crm contact each self-registered client user is (listings.client_contact), for client visibility',
      },
      {
        service: 'deals-commission',
        groupId: 'deals-commission.client-contacts',
        purpose: 'which crm contact each verified client user is (deals.client_contact), for the client portal',
      },
      {
        service: 'notifications',
        groupId: 'notifications.recipients',
        purpose:
          'recipients read model (notifications.recipient): email, name, role, status and teams of every user, for sending without calls',
      },
      {
        service: 'notifications',
        groupId: 'notifications.triggers',
        purpose:
          'built-in trigger: a self-registered client (identity.user.created with role client and contactId, identity.user.contact_linked) → client_registered to the contact’s agent, else the owners and admins',
      },
      {
        service: 'notifications',
        groupId: 'notifications.branding',
        purpose:
          'organization branding read model (notifications.org_branding): name, display name, logo and colours of every organization, for the emails',
      },
      AUDIT_TRAIL_CONSUMER,
    ],
  },
  [CRM_EVENTS_TOPIC]: {
    producer: 'crm',
    source: 'keyhouse/crm',
    description: 'Contacts and leads, assignment, scoring, notes, tasks, companies, saved replies and tags.',
    consumers: [
      AUDIT_TRAIL_CONSUMER,
      { service: 'crm', groupId: 'crm.task-activity', purpose: "tasks created and completed for a contact on the contact's timeline" },
      {
        service: 'identity',
        groupId: 'identity.contact-erasure',
        purpose:
          'crm.contact.erased: erases the personal data of the client user linked to the contact and ends their sessions (identity.user.erased)',
      },
      {
        service: 'listings',
        groupId: 'listings.contacts',
        purpose: 'moves a merged contact’s views, interest, shares and saved searches to the survivor; deletes them on crm.contact.erased',
      },
      {
        service: 'deals-commission',
        groupId: 'deals.contact-erasure',
        purpose:
          'crm.contact.erased: anonymises the contact’s transaction participants, offer buyer names, invoice addressees and their copies in the deal timeline, and deletes the client-portal link; amounts and statements kept (deals.contact.erased)',
      },
      {
        service: 'deals-commission',
        groupId: 'deals-commission.client-contacts',
        purpose: 'crm.contact.merged: moves the merged contact’s client-portal link (deals.client_contact) to the survivor',
      },
      {
        service: 'notifications',
        groupId: 'notifications.triggers',
        purpose:
          'built-in triggers: crm.contact.assigned → lead_assigned to the agent (a speed-to-lead re-route → lead_rerouted to the new agent and the managers), crm.task.created → task_assigned, crm.task.reminder_due → task_reminder, crm.task.overdue → task_overdue to the assignee; each unless the organization switched it off',
      },
      {
        service: 'notifications',
        groupId: 'notifications.contacts',
        purpose:
          'contacts read model (notifications.contact_recipient): owner, primary email and phone, email/SMS consent and do-not-contact of every contact, for sending to contacts; erasure deletes the row',
      },
    ],
  },
  [LISTINGS_EVENTS_TOPIC]: {
    producer: 'listings',
    source: 'keyhouse/listings',
    description:
      'Properties (RESO fields), property views, shares, contact interests, saved searches and matches, MLS sources and sync runs.',
    consumers: [
      {
        service: 'crm',
        groupId: 'crm.activity',
        purpose:
          "views, reactions, shares, saved searches and matches about a contact on the contact's timeline; engagement re-scores the lead",
      },
      AUDIT_TRAIL_CONSUMER,
      {
        service: 'notifications',
        groupId: 'notifications.contact-triggers',
        purpose: 'listings.search.matched → saved_search_match to the contact (email and SMS, marketing: consent checked)',
      },
      {
        service: 'notifications',
        groupId: 'notifications.triggers',
        purpose: 'built-in trigger: listings.search.matched → contact_search_matched to the contact’s agent (in-app)',
      },
    ],
  },
  [DEALS_EVENTS_TOPIC]: {
    producer: 'deals-commission',
    source: 'keyhouse/deals-commission',
    description: 'Transactions and pipelines, offers, key dates, commission plans and statements, invoices, payments and files.',
    consumers: [
      {
        service: 'crm',
        groupId: 'crm.deal-activity',
        purpose:
          "deal created, stage changes, closing, deletion, offers and contacts linked to a deal on each linked contact's timeline; a buyer's offer counts as engagement in the lead score",
      },
      AUDIT_TRAIL_CONSUMER,
      {
        service: 'notifications',
        groupId: 'notifications.contact-triggers',
        purpose: 'deals.invoice.sent → invoice_sent to the invoice’s contact (email, transactional)',
      },
      {
        service: 'notifications',
        groupId: 'notifications.triggers',
        purpose:
          'transaction agents read model (notifications.trigger_transaction); built-in triggers: deals.date.reminder_due → deal_date_reminder, deals.deadline.missed → deal_deadline_missed, deals.offer.accepted → offer_accepted to the transaction’s agents, deals.invoice.paid → invoice_paid to the owners and admins',
      },
      {
        service: 'crm',
        groupId: 'crm.deadline-tasks',
        purpose:
          'deals.deadline.task_requested → an open task for the transaction’s agent, linked to the transaction (one per event: the task id derives from the event id)',
      },
    ],
  },
  [AUDIT_GATEWAY_EVENTS_TOPIC]: {
    producer: 'gateway',
    source: 'keyhouse/gateway',
    description:
      'Refusals answered by the gateway (401 and 403), for the audit trail (docs/adr/0016). Not written through an outbox: buffered in memory.',
    consumers: [AUDIT_TRAIL_CONSUMER],
  },
  [NOTIFICATIONS_EVENTS_TOPIC]: {
    producer: 'notifications',
    source: 'keyhouse/notifications',
    description:
      'Notifications created and read, channel deliveries and their statuses, email suppressions, SMS opt-outs/opt-ins and inbound SMS (docs/adr/0035).',
    consumers: [
      {
        service: 'crm',
        groupId: 'crm.consent',
        purpose:
          "notifications.email.suppressed, notifications.sms.opted_out / opted_in: withdraws (or grants again) the email / SMS consent of the organization's contacts with that address or number, with a timeline entry",
      },
      {
        service: 'notifications',
        groupId: 'notifications.realtime',
        purpose:
          'notifications.notification.created / read / all_read: pushes notification.created and unread_count.changed to the user’s sockets through the gateways (core NATS notifications.realtime.push)',
      },
      AUDIT_TRAIL_CONSUMER,
    ],
  },
};

const identity = (key: string, payload: string | null): EventCatalogueEntry => ({
  topic: IDENTITY_EVENTS_TOPIC,
  producer: 'identity',
  key,
  payload,
  doc: IDENTITY_DOC,
});
const crm = (key: string, payload: string | null, doc = CRM_DOC): EventCatalogueEntry => ({
  topic: CRM_EVENTS_TOPIC,
  producer: 'crm',
  key,
  payload,
  doc,
});
const listings = (key: string, payload: string | null): EventCatalogueEntry => ({
  topic: LISTINGS_EVENTS_TOPIC,
  producer: 'listings',
  key,
  payload,
  doc: LISTINGS_DOC,
});
const notifications = (key: string, payload: string): EventCatalogueEntry => ({
  topic: NOTIFICATIONS_EVENTS_TOPIC,
  producer: 'notifications',
  key,
  payload,
  doc: NOTIFICATIONS_DOC,
});
const deals = (key: string, payload: string | null): EventCatalogueEntry => ({
  topic: DEALS_EVENTS_TOPIC,
  producer: 'deals-commission',
  key,
  payload,
  doc: DEALS_DOC,
});

/** Every event type string → its catalogue entry. */
export const EventCatalogue: Readonly<Record<string, EventCatalogueEntry>> = {
  // identity.events
  [IdentityEvent.organizationCreated.type]: identity('organization id', 'OrganizationCreatedData'),
  [IdentityEvent.organizationUpdated.type]: identity('organization id', 'OrganizationUpdatedData'),
  [IdentityEvent.userCreated.type]: identity('user id', 'UserCreatedData'),
  [IdentityEvent.userUpdated.type]: identity('user id', 'UserUpdatedData'),
  [IdentityEvent.userDeactivated.type]: identity('user id', 'UserDeactivatedData'),
  [IdentityEvent.userErased.type]: identity('user id', 'UserErasedData'),
  [IdentityEvent.userContactLinked.type]: identity('user id', 'UserContactLinkedData'),
  [IdentityEvent.userRoleChanged.type]: identity('user id', 'UserRoleChangedData'),
  [IdentityEvent.userTeamsChanged.type]: identity('user id', 'UserTeamsChangedData'),
  [IdentityEvent.agentProfileUpdated.type]: identity('user id of the agent', 'AgentProfileUpdatedData'),
  [IdentityEvent.agentRemoved.type]: identity('user id of the agent', 'AgentRemovedData'),
  [IdentityEvent.teamCreated.type]: identity('team id', 'TeamCreatedData'),
  [IdentityEvent.teamUpdated.type]: identity('team id', 'TeamUpdatedData'),
  [IdentityEvent.teamDeleted.type]: identity('team id', 'TeamDeletedData'),
  [IdentityEvent.roleCreated.type]: identity('role key', 'RoleCreatedData'),
  [IdentityEvent.roleUpdated.type]: identity('role key', 'RoleUpdatedData'),
  [IdentityEvent.roleDeleted.type]: identity('role key', 'RoleDeletedData'),
  [IdentityEvent.loginSucceeded.type]: identity('user id', 'LoginData'),
  [IdentityEvent.loginFailed.type]: identity('user id, or the lower-cased email of an unknown address', 'LoginData'),
  [IdentityEvent.loginLockedOut.type]: identity('user id', 'LoginLockedOutData'),
  [IdentityEvent.refreshTokenReused.type]: identity('user id', 'RefreshTokenReusedData'),
  [IdentityEvent.sessionRevoked.type]: identity('user id', 'SessionRevokedData'),
  [IdentityEvent.mfaEnabled.type]: identity('user id', 'UserSecurityEventData'),
  [IdentityEvent.mfaDisabled.type]: identity('user id', 'UserSecurityEventData'),
  [IdentityEvent.mfaCodeReused.type]: identity('user id', 'UserSecurityEventData'),
  [IdentityEvent.recoveryCodesRegenerated.type]: identity('user id', 'UserSecurityEventData'),
  [IdentityEvent.passwordResetRequested.type]: identity('user id', 'UserSecurityEventData'),
  [IdentityEvent.passwordChanged.type]: identity('user id', 'PasswordChangedData'),
  [IdentityEvent.emailVerified.type]: identity('user id', 'UserSecurityEventData'),
  [IdentityEvent.apiKeyCreated.type]: identity('API key id', 'ApiKeyCreatedData'),
  [IdentityEvent.apiKeyRevoked.type]: identity('API key id', 'ApiKeyEventData'),
  [IdentityEvent.apiKeyUsed.type]: identity('API key id', 'ApiKeyEventData'),

  // crm.events: contacts and leads
  [CrmContactEvent.contactCreated.type]: crm('contact id', 'CrmContactCreatedData'),
  [CrmContactEvent.contactUpdated.type]: crm('contact id', 'CrmContactUpdatedData'),
  [CrmContactEvent.contactDeleted.type]: crm('contact id', 'CrmContactDeletedData'),
  [CrmContactEvent.contactMerged.type]: crm('surviving contact id', 'CrmContactMergedData'),
  [CrmContactEvent.contactAssigned.type]: crm('contact id', 'CrmContactAssignedData'),
  [CrmContactEvent.contactScoreChanged.type]: crm('contact id', 'CrmContactScoreChangedData'),
  [CrmContactEvent.contactNoteAdded.type]: crm('contact id', 'CrmContactNoteAddedData'),
  [CrmContactEvent.contactNoteUpdated.type]: crm('contact id', 'CrmContactNoteUpdatedData'),
  [CrmContactEvent.contactNoteDeleted.type]: crm('contact id', 'CrmContactNoteDeletedData'),
  [CrmContactEvent.contactErased.type]: crm('contact id', 'CrmContactErasedData'),
  [CrmContactEvent.leadCaptured.type]: crm('contact id', 'CrmLeadCapturedData'),
  [CrmContactEvent.assignmentRuleCreated.type]: crm('assignment rule id', 'CrmAssignmentRuleCreatedData'),
  [CrmContactEvent.assignmentRuleUpdated.type]: crm('assignment rule id', 'CrmAssignmentRuleUpdatedData'),
  [CrmContactEvent.assignmentRuleDeleted.type]: crm('assignment rule id', 'CrmAssignmentRuleDeletedData'),
  [CrmContactEvent.pondCreated.type]: crm('pond id', 'CrmPondEventData'),
  [CrmContactEvent.pondUpdated.type]: crm('pond id', 'CrmPondEventData'),
  [CrmContactEvent.pondDeleted.type]: crm('pond id', 'CrmPondEventData'),
  [CrmContactEvent.customFieldCreated.type]: crm('custom field id', 'CrmCustomFieldCreatedData'),
  [CrmContactEvent.customFieldUpdated.type]: crm('custom field id', 'CrmCustomFieldUpdatedData'),
  [CrmContactEvent.customFieldDeleted.type]: crm('custom field id', 'CrmCustomFieldDeletedData'),
  [CrmLeadSourceEvent.leadSourceCreated.type]: crm('lead source key (unique in its organization)', 'CrmLeadSourceEventData'),
  [CrmLeadSourceEvent.leadSourceUpdated.type]: crm('lead source key (unique in its organization)', 'CrmLeadSourceEventData'),
  [CrmLeadSourceEvent.leadSourceDeleted.type]: crm('lead source key (unique in its organization)', 'CrmLeadSourceEventData'),

  // crm.events: tasks, companies, saved replies, tags
  [CrmTaskEvent.taskCreated.type]: crm('task id', 'CrmTaskCreatedData', CRM_WORK_DOC),
  [CrmTaskEvent.taskUpdated.type]: crm('task id', 'CrmTaskUpdatedData', CRM_WORK_DOC),
  [CrmTaskEvent.taskCompleted.type]: crm('task id', 'CrmTaskCompletedData', CRM_WORK_DOC),
  [CrmTaskEvent.taskDeleted.type]: crm('task id', 'CrmTaskDeletedData', CRM_WORK_DOC),
  [CrmTaskEvent.taskReminderDue.type]: crm('task id', 'CrmTaskReminderDueData', CRM_WORK_DOC),
  [CrmTaskEvent.taskOverdue.type]: crm('task id', 'CrmTaskOverdueData', CRM_WORK_DOC),
  [CrmCompanyEvent.companyCreated.type]: crm('company id', 'CrmCompanyCreatedData', CRM_WORK_DOC),
  [CrmCompanyEvent.companyUpdated.type]: crm('company id', 'CrmCompanyUpdatedData', CRM_WORK_DOC),
  [CrmCompanyEvent.companyDeleted.type]: crm('company id', 'CrmCompanyDeletedData', CRM_WORK_DOC),
  [CrmSavedReplyEvent.savedReplyCreated.type]: crm('saved reply id', 'CrmSavedReplyEventData', CRM_WORK_DOC),
  [CrmSavedReplyEvent.savedReplyUpdated.type]: crm('saved reply id', 'CrmSavedReplyEventData', CRM_WORK_DOC),
  [CrmSavedReplyEvent.savedReplyDeleted.type]: crm('saved reply id', 'CrmSavedReplyEventData', CRM_WORK_DOC),
  [CrmTagEvent.tagCreated.type]: crm('tag id', 'CrmTagEventData', CRM_WORK_DOC),
  [CrmTagEvent.tagUpdated.type]: crm('tag id', 'CrmTagEventData', CRM_WORK_DOC),
  [CrmTagEvent.tagDeleted.type]: crm('tag id', 'CrmTagEventData', CRM_WORK_DOC),

  // listings.events
  [ListingsEvent.propertyCreated.type]: listings('property id', 'PropertyCreatedData'),
  [ListingsEvent.propertyUpdated.type]: listings('property id', 'PropertyUpdatedData'),
  [ListingsEvent.propertyStatusChanged.type]: listings('property id', 'PropertyStatusChangedData'),
  [ListingsEvent.propertyDeleted.type]: listings('property id', 'PropertyDeletedData'),
  [ListingsEvent.propertyViewed.type]: listings('property id', 'PropertyViewedData'),
  [ListingsEvent.contactListingChanged.type]: listings('property id', 'ContactListingChangedData'),
  [ListingsEvent.searchMatched.type]: listings('saved search id', 'SearchMatchedData'),
  [ListingsEvent.propertyShared.type]: listings('property id', 'PropertySharedData'),
  [ListingsEvent.propertyUnshared.type]: listings('property id', 'PropertySharedData'),
  [ListingsEvent.savedSearchCreated.type]: listings('saved search id', 'SavedSearchChangedData'),
  [ListingsEvent.savedSearchDeleted.type]: listings('saved search id', 'SavedSearchChangedData'),
  [ListingsEvent.mlsSourceCreated.type]: listings('MLS source id', 'MlsSourceChangedData'),
  [ListingsEvent.mlsSourceUpdated.type]: listings('MLS source id', 'MlsSourceChangedData'),
  [ListingsEvent.mlsSourceDeleted.type]: listings('MLS source id', 'MlsSourceChangedData'),
  [ListingsEvent.mlsSyncCompleted.type]: listings('MLS source id', 'MlsSyncCompletedData'),

  // deals.events
  [DealsEvent.transactionCreated.type]: deals('transaction id', 'DealsTransactionCreatedData'),
  [DealsEvent.transactionUpdated.type]: deals('transaction id', 'DealsTransactionUpdatedData'),
  [DealsEvent.transactionStageChanged.type]: deals('transaction id', 'TransactionStageChangedData'),
  [DealsEvent.transactionClosed.type]: deals('transaction id', 'DealsTransactionClosedData'),
  [DealsEvent.transactionDeleted.type]: deals('transaction id', 'DealsTransactionDeletedData'),
  [DealsEvent.pipelineCreated.type]: deals('pipeline id', 'DealsPipelineCreatedData'),
  [DealsEvent.commissionPlanCreated.type]: deals('commission plan id', 'DealsCommissionPlanEventData'),
  [DealsEvent.commissionPlanUpdated.type]: deals('commission plan id', 'DealsCommissionPlanEventData'),
  [DealsEvent.agentCommissionPlanAssigned.type]: deals('agent (user) id', 'DealsAgentCommissionPlanAssignedData'),
  [DealsEvent.commissionStatementCreated.type]: deals('transaction id', 'CommissionStatementCreatedData'),
  [DealsEvent.offerSubmitted.type]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEvent.offerCountered.type]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEvent.offerAccepted.type]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEvent.offerRejected.type]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEvent.offerWithdrawn.type]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEvent.settingsUpdated.type]: deals('organization id', 'DealsSettingsUpdatedData'),
  [DealsEvent.deadlineTaskRequested.type]: deals('transaction id', 'DealsDeadlineTaskRequestedData'),
  [DealsEvent.deadlineMissed.type]: deals('transaction id', 'DealsDeadlineMissedData'),
  [DealsEvent.keyDateCompleted.type]: deals('transaction id', 'DealsKeyDateCompletedData'),
  [DealsEvent.dateReminderDue.type]: deals('transaction id', 'DealsDateReminderDueData'),
  [DealsEvent.invoiceCreated.type]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEvent.invoiceUpdated.type]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEvent.invoiceSent.type]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEvent.invoicePaid.type]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEvent.invoiceOverdue.type]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEvent.invoiceVoided.type]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEvent.paymentRecorded.type]: deals('invoice id', 'DealsPaymentRecordedData'),
  [DealsEvent.fileUploaded.type]: deals('transaction id', 'DealsFileUploadedData'),
  [DealsEvent.fileDeleted.type]: deals('transaction id', 'DealsFileDeletedData'),
  [DealsEvent.fileShared.type]: deals('transaction id', 'DealsFileSharingData'),
  [DealsEvent.fileUnshared.type]: deals('transaction id', 'DealsFileSharingData'),
  [DealsEvent.portalDocumentDownloaded.type]: deals('transaction id', 'DealsPortalDocumentDownloadedData'),
  [DealsEvent.contactErased.type]: deals('crm contact id', 'DealsContactErasedData'),

  // gateway.events (refusals, for the audit trail); the key is the organization id, the subject the route
  [AuditEvent.accessDenied.type]: {
    topic: AUDIT_GATEWAY_EVENTS_TOPIC,
    producer: 'gateway',
    key: 'organization id of the caller (nil UUID when unknown); the CloudEvents subject is the route, e.g. `GET /v1/users/:id`',
    payload: 'AuditAccessRefusedData',
    doc: AUDIT_DOC,
  },
  [AuditEvent.authenticationFailed.type]: {
    topic: AUDIT_GATEWAY_EVENTS_TOPIC,
    producer: 'gateway',
    key: 'organization id of the caller (nil UUID when unknown); the CloudEvents subject is the route, e.g. `GET /v1/users/:id`',
    payload: 'AuditAccessRefusedData',
    doc: AUDIT_DOC,
  },

  // notifications.events
  [NotificationsEvent.notificationCreated.type]: notifications('notification id', 'NotificationCreatedData'),
  [NotificationsEvent.notificationRead.type]: notifications('notification id', 'NotificationReadData'),
  [NotificationsEvent.notificationsAllRead.type]: notifications('recipient user id', 'NotificationsAllReadData'),
  [NotificationsEvent.deliveryStatusChanged.type]: notifications('delivery id', 'NotificationDeliveryStatusChangedData'),
  [NotificationsEvent.emailSuppressed.type]: notifications('suppression id', 'NotificationEmailSuppressedData'),
  [NotificationsEvent.smsOptedOut.type]: notifications('phone number (E.164)', 'NotificationSmsOptedOutData'),
  [NotificationsEvent.smsOptedIn.type]: notifications('phone number (E.164)', 'NotificationSmsOptedInData'),
  [NotificationsEvent.smsReceived.type]: notifications('inbound message id', 'NotificationSmsReceivedData'),
  [NotificationsEvent.settingsUpdated.type]: notifications('organization id', 'NotificationSettingsUpdatedData'),
  [NotificationsEvent.preferencesUpdated.type]: notifications('user id', 'NotificationPreferencesUpdatedData'),
  [NotificationsEvent.triggerUpdated.type]: notifications('notification type', 'NotificationTriggerUpdatedData'),
  [NotificationsEvent.templateUpdated.type]: notifications('notification type', 'NotificationTemplateUpdatedData'),
  [NotificationsEvent.contactNotificationCreated.type]: notifications('notification id', 'ContactNotificationCreatedData'),

  // audit's own actions: appended straight to the chain, never on Kafka
  [AuditEvent.logExported.type]: { topic: null, producer: 'audit', key: 'audit log (model `log`)', payload: null, doc: AUDIT_DOC },
  [AuditEvent.logArchived.type]: { topic: null, producer: 'audit', key: 'archive id (model `archive`)', payload: null, doc: AUDIT_DOC },
  [AuditEvent.settingsUpdated.type]: {
    topic: null,
    producer: 'audit',
    key: 'organization id (model `settings`)',
    payload: null,
    doc: AUDIT_DOC,
  },
};

/** The CloudEvents envelope every catalogued event is published in (`data` is given per type), for schema generation. */
export type CatalogueEventEnvelope = CloudEvent<unknown>;
