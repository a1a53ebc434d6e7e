import type { CloudEvent } from './cloud-event';
import { AUDIT_GATEWAY_EVENTS_TOPIC, AuditEventTypes } from './audit/audit.event';
import { CRM_EVENTS_TOPIC, CrmContactEventTypes } from './crm/crm-contacts.event';
import { CrmCompanyEventTypes, CrmSavedReplyEventTypes, CrmTagEventTypes, CrmTaskEventTypes } from './crm/crm-work.event';
import { DEALS_EVENTS_TOPIC, DealsEventTypes } from './deals/deals.event';
import { IDENTITY_EVENTS_TOPIC, IdentityEventTypes } from './identity/identity.event';
import { LISTINGS_EVENTS_TOPIC, ListingsEventTypes } from './listings/listings.event';

/**
 * The event catalogue: every event type of every `*EventTypes` constants object exported from
 * `@keyhouse/contracts`, with where it is published and what it carries. `deploy/api-docs.js`
 * turns it into the AsyncAPI document `docs/events/asyncapi.yaml` (payload schemas generated from
 * the named TypeScript types), and `event-catalogue.spec.ts` fails when an event type has no
 * entry here, or an entry names a type no constants object declares.
 *
 * Adding an event type: add it to its service's constants object, add its entry below (topic,
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

const AUDIT_TRAIL_CONSUMER = { service: 'audit', groupId: 'audit.trail', purpose: 'records every event once in the hash-chained audit trail (docs/adr/0015)' };

/** Every Kafka topic that carries domain events, by name (without `KAFKA_TOPIC_PREFIX`). */
export const EventTopicCatalogue: Readonly<Record<string, EventTopicEntry>> = {
  [IDENTITY_EVENTS_TOPIC]: {
    producer: 'identity',
    source: 'keyhouse/identity',
    description: 'Organizations, users, agents, teams, roles, sessions, 2FA, passwords and API keys.',
    consumers: [
      { service: 'crm', groupId: 'crm.identity-read-model', purpose: 'local read model of users, teams and agent routing profiles (crm.org_user)' },
      { service: 'listings', groupId: 'listings.contacts', purpose: 'which crm contact each self-registered client user is (listings.client_contact), for client visibility' },
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
        purpose: 'crm.contact.erased: erases the personal data of the client user linked to the contact and ends their sessions (identity.user.erased)',
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
          'crm.contact.erased: anonymises the contact’s transaction participants, offer buyer names, invoice addressees and their copies in the deal timeline; amounts and statements kept (deals.contact.erased)',
      },
    ],
  },
  [LISTINGS_EVENTS_TOPIC]: {
    producer: 'listings',
    source: 'keyhouse/listings',
    description: 'Properties (RESO fields), property views, shares, contact interests, saved searches and matches, MLS sources and sync runs.',
    consumers: [
      { service: 'crm', groupId: 'crm.activity', purpose: "views, reactions, shares, saved searches and matches about a contact on the contact's timeline; engagement re-scores the lead" },
      AUDIT_TRAIL_CONSUMER,
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
        purpose: "deal created, stage changes, closing, deletion, offers and contacts linked to a deal on each linked contact's timeline; a buyer's offer counts as engagement in the lead score",
      },
      AUDIT_TRAIL_CONSUMER,
    ],
  },
  [AUDIT_GATEWAY_EVENTS_TOPIC]: {
    producer: 'gateway',
    source: 'keyhouse/gateway',
    description: 'Refusals answered by the gateway (401 and 403), for the audit trail (docs/adr/0016). Not written through an outbox: buffered in memory.',
    consumers: [AUDIT_TRAIL_CONSUMER],
  },
};

const identity = (key: string, payload: string | null): EventCatalogueEntry => ({ topic: IDENTITY_EVENTS_TOPIC, producer: 'identity', key, payload, doc: IDENTITY_DOC });
const crm = (key: string, payload: string | null, doc = CRM_DOC): EventCatalogueEntry => ({ topic: CRM_EVENTS_TOPIC, producer: 'crm', key, payload, doc });
const listings = (key: string, payload: string | null): EventCatalogueEntry => ({ topic: LISTINGS_EVENTS_TOPIC, producer: 'listings', key, payload, doc: LISTINGS_DOC });
const deals = (key: string, payload: string | null): EventCatalogueEntry => ({ topic: DEALS_EVENTS_TOPIC, producer: 'deals-commission', key, payload, doc: DEALS_DOC });

/** Every event type string → its catalogue entry. */
export const EventCatalogue: Readonly<Record<string, EventCatalogueEntry>> = {
  // identity.events
  [IdentityEventTypes.organizationCreated]: identity('organization id', 'OrganizationCreatedData'),
  [IdentityEventTypes.organizationUpdated]: identity('organization id', 'OrganizationUpdatedData'),
  [IdentityEventTypes.userCreated]: identity('user id', 'UserCreatedData'),
  [IdentityEventTypes.userUpdated]: identity('user id', 'UserUpdatedData'),
  [IdentityEventTypes.userDeactivated]: identity('user id', 'UserDeactivatedData'),
  [IdentityEventTypes.userErased]: identity('user id', 'UserErasedData'),
  [IdentityEventTypes.userRoleChanged]: identity('user id', 'UserRoleChangedData'),
  [IdentityEventTypes.userTeamsChanged]: identity('user id', 'UserTeamsChangedData'),
  [IdentityEventTypes.agentProfileUpdated]: identity('user id of the agent', 'AgentProfileUpdatedData'),
  [IdentityEventTypes.agentRemoved]: identity('user id of the agent', 'AgentRemovedData'),
  [IdentityEventTypes.teamCreated]: identity('team id', 'TeamCreatedData'),
  [IdentityEventTypes.teamUpdated]: identity('team id', 'TeamUpdatedData'),
  [IdentityEventTypes.teamDeleted]: identity('team id', 'TeamDeletedData'),
  [IdentityEventTypes.roleCreated]: identity('role key', 'RoleCreatedData'),
  [IdentityEventTypes.roleUpdated]: identity('role key', 'RoleUpdatedData'),
  [IdentityEventTypes.roleDeleted]: identity('role key', 'RoleDeletedData'),
  [IdentityEventTypes.loginSucceeded]: identity('user id', 'LoginData'),
  [IdentityEventTypes.loginFailed]: identity('user id, or the lower-cased email of an unknown address', 'LoginData'),
  [IdentityEventTypes.loginLockedOut]: identity('user id', 'LoginLockedOutData'),
  [IdentityEventTypes.refreshTokenReused]: identity('user id', 'RefreshTokenReusedData'),
  [IdentityEventTypes.sessionRevoked]: identity('user id', 'SessionRevokedData'),
  [IdentityEventTypes.mfaEnabled]: identity('user id', 'UserSecurityEventData'),
  [IdentityEventTypes.mfaDisabled]: identity('user id', 'UserSecurityEventData'),
  [IdentityEventTypes.mfaCodeReused]: identity('user id', 'UserSecurityEventData'),
  [IdentityEventTypes.recoveryCodesRegenerated]: identity('user id', 'UserSecurityEventData'),
  [IdentityEventTypes.passwordResetRequested]: identity('user id', 'UserSecurityEventData'),
  [IdentityEventTypes.passwordChanged]: identity('user id', 'PasswordChangedData'),
  [IdentityEventTypes.emailVerified]: identity('user id', 'UserSecurityEventData'),
  [IdentityEventTypes.apiKeyCreated]: identity('API key id', 'ApiKeyCreatedData'),
  [IdentityEventTypes.apiKeyRevoked]: identity('API key id', 'ApiKeyEventData'),
  [IdentityEventTypes.apiKeyUsed]: identity('API key id', 'ApiKeyEventData'),

  // crm.events: contacts and leads
  [CrmContactEventTypes.contactCreated]: crm('contact id', 'CrmContactCreatedData'),
  [CrmContactEventTypes.contactUpdated]: crm('contact id', 'CrmContactUpdatedData'),
  [CrmContactEventTypes.contactDeleted]: crm('contact id', 'CrmContactDeletedData'),
  [CrmContactEventTypes.contactMerged]: crm('surviving contact id', 'CrmContactMergedData'),
  [CrmContactEventTypes.contactAssigned]: crm('contact id', 'CrmContactAssignedData'),
  [CrmContactEventTypes.contactScoreChanged]: crm('contact id', null),
  [CrmContactEventTypes.contactNoteAdded]: crm('contact id', null),
  [CrmContactEventTypes.contactNoteUpdated]: crm('contact id', null),
  [CrmContactEventTypes.contactNoteDeleted]: crm('contact id', null),
  [CrmContactEventTypes.contactErased]: crm('contact id', null),
  [CrmContactEventTypes.leadCaptured]: crm('contact id', 'CrmLeadCapturedData'),
  [CrmContactEventTypes.assignmentRuleCreated]: crm('assignment rule id', null),
  [CrmContactEventTypes.assignmentRuleUpdated]: crm('assignment rule id', null),
  [CrmContactEventTypes.assignmentRuleDeleted]: crm('assignment rule id', null),
  [CrmContactEventTypes.pondCreated]: crm('pond id', 'CrmPondEventData'),
  [CrmContactEventTypes.pondUpdated]: crm('pond id', 'CrmPondEventData'),
  [CrmContactEventTypes.pondDeleted]: crm('pond id', 'CrmPondEventData'),
  [CrmContactEventTypes.customFieldCreated]: crm('custom field id', null),
  [CrmContactEventTypes.customFieldUpdated]: crm('custom field id', null),
  [CrmContactEventTypes.customFieldDeleted]: crm('custom field id', null),

  // crm.events: tasks, companies, saved replies, tags
  [CrmTaskEventTypes.taskCreated]: crm('task id', 'CrmTaskCreatedData', CRM_WORK_DOC),
  [CrmTaskEventTypes.taskUpdated]: crm('task id', 'CrmTaskUpdatedData', CRM_WORK_DOC),
  [CrmTaskEventTypes.taskCompleted]: crm('task id', 'CrmTaskCompletedData', CRM_WORK_DOC),
  [CrmTaskEventTypes.taskDeleted]: crm('task id', 'CrmTaskDeletedData', CRM_WORK_DOC),
  [CrmTaskEventTypes.taskReminderDue]: crm('task id', 'CrmTaskReminderDueData', CRM_WORK_DOC),
  [CrmTaskEventTypes.taskOverdue]: crm('task id', 'CrmTaskOverdueData', CRM_WORK_DOC),
  [CrmCompanyEventTypes.companyCreated]: crm('company id', 'CrmCompanyCreatedData', CRM_WORK_DOC),
  [CrmCompanyEventTypes.companyUpdated]: crm('company id', 'CrmCompanyUpdatedData', CRM_WORK_DOC),
  [CrmCompanyEventTypes.companyDeleted]: crm('company id', 'CrmCompanyDeletedData', CRM_WORK_DOC),
  [CrmSavedReplyEventTypes.savedReplyCreated]: crm('saved reply id', 'CrmSavedReplyEventData', CRM_WORK_DOC),
  [CrmSavedReplyEventTypes.savedReplyUpdated]: crm('saved reply id', 'CrmSavedReplyEventData', CRM_WORK_DOC),
  [CrmSavedReplyEventTypes.savedReplyDeleted]: crm('saved reply id', 'CrmSavedReplyEventData', CRM_WORK_DOC),
  [CrmTagEventTypes.tagCreated]: crm('tag id', 'CrmTagEventData', CRM_WORK_DOC),
  [CrmTagEventTypes.tagUpdated]: crm('tag id', 'CrmTagEventData', CRM_WORK_DOC),
  [CrmTagEventTypes.tagDeleted]: crm('tag id', 'CrmTagEventData', CRM_WORK_DOC),

  // listings.events
  [ListingsEventTypes.propertyCreated]: listings('property id', 'PropertyCreatedData'),
  [ListingsEventTypes.propertyUpdated]: listings('property id', 'PropertyUpdatedData'),
  [ListingsEventTypes.propertyStatusChanged]: listings('property id', 'PropertyStatusChangedData'),
  [ListingsEventTypes.propertyDeleted]: listings('property id', 'PropertyDeletedData'),
  [ListingsEventTypes.propertyViewed]: listings('property id', 'PropertyViewedData'),
  [ListingsEventTypes.contactListingChanged]: listings('property id', 'ContactListingChangedData'),
  [ListingsEventTypes.searchMatched]: listings('saved search id', 'SearchMatchedData'),
  [ListingsEventTypes.propertyShared]: listings('property id', 'PropertySharedData'),
  [ListingsEventTypes.propertyUnshared]: listings('property id', 'PropertySharedData'),
  [ListingsEventTypes.savedSearchCreated]: listings('saved search id', 'SavedSearchChangedData'),
  [ListingsEventTypes.savedSearchDeleted]: listings('saved search id', 'SavedSearchChangedData'),
  [ListingsEventTypes.mlsSourceCreated]: listings('MLS source id', 'MlsSourceChangedData'),
  [ListingsEventTypes.mlsSourceUpdated]: listings('MLS source id', 'MlsSourceChangedData'),
  [ListingsEventTypes.mlsSourceDeleted]: listings('MLS source id', 'MlsSourceChangedData'),
  [ListingsEventTypes.mlsSyncCompleted]: listings('MLS source id', 'MlsSyncCompletedData'),

  // deals.events
  [DealsEventTypes.transactionCreated]: deals('transaction id', 'DealsTransactionCreatedData'),
  [DealsEventTypes.transactionUpdated]: deals('transaction id', 'DealsTransactionUpdatedData'),
  [DealsEventTypes.transactionStageChanged]: deals('transaction id', 'TransactionStageChangedData'),
  [DealsEventTypes.transactionClosed]: deals('transaction id', 'DealsTransactionClosedData'),
  [DealsEventTypes.transactionDeleted]: deals('transaction id', 'DealsTransactionDeletedData'),
  [DealsEventTypes.pipelineCreated]: deals('pipeline id', 'DealsPipelineCreatedData'),
  [DealsEventTypes.commissionPlanCreated]: deals('commission plan id', 'DealsCommissionPlanEventData'),
  [DealsEventTypes.commissionPlanUpdated]: deals('commission plan id', 'DealsCommissionPlanEventData'),
  [DealsEventTypes.agentCommissionPlanAssigned]: deals('agent (user) id', 'DealsAgentCommissionPlanAssignedData'),
  [DealsEventTypes.commissionStatementCreated]: deals('transaction id', 'CommissionStatementCreatedData'),
  [DealsEventTypes.offerSubmitted]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEventTypes.offerCountered]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEventTypes.offerAccepted]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEventTypes.offerRejected]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEventTypes.offerWithdrawn]: deals('transaction id', 'DealsOfferEventData'),
  [DealsEventTypes.settingsUpdated]: deals('organization id', 'DealsSettingsUpdatedData'),
  [DealsEventTypes.deadlineTaskRequested]: deals('transaction id', 'DealsDeadlineTaskRequestedData'),
  [DealsEventTypes.deadlineMissed]: deals('transaction id', 'DealsDeadlineMissedData'),
  [DealsEventTypes.keyDateCompleted]: deals('transaction id', 'DealsKeyDateCompletedData'),
  [DealsEventTypes.dateReminderDue]: deals('transaction id', 'DealsDateReminderDueData'),
  [DealsEventTypes.invoiceCreated]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEventTypes.invoiceUpdated]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEventTypes.invoiceSent]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEventTypes.invoicePaid]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEventTypes.invoiceOverdue]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEventTypes.invoiceVoided]: deals('invoice id', 'DealsInvoiceEventData'),
  [DealsEventTypes.paymentRecorded]: deals('invoice id', 'DealsPaymentRecordedData'),
  [DealsEventTypes.fileUploaded]: deals('transaction id', 'DealsFileUploadedData'),
  [DealsEventTypes.fileDeleted]: deals('transaction id', 'DealsFileDeletedData'),
  [DealsEventTypes.contactErased]: deals('crm contact id', 'DealsContactErasedData'),

  // gateway.events (refusals, for the audit trail); the key is the organization id, the subject the route
  [AuditEventTypes.accessDenied]: {
    topic: AUDIT_GATEWAY_EVENTS_TOPIC,
    producer: 'gateway',
    key: 'organization id of the caller (nil UUID when unknown); the CloudEvents subject is the route, e.g. `GET /v1/users/:id`',
    payload: 'AuditAccessRefusedData',
    doc: AUDIT_DOC,
  },
  [AuditEventTypes.authenticationFailed]: {
    topic: AUDIT_GATEWAY_EVENTS_TOPIC,
    producer: 'gateway',
    key: 'organization id of the caller (nil UUID when unknown); the CloudEvents subject is the route, e.g. `GET /v1/users/:id`',
    payload: 'AuditAccessRefusedData',
    doc: AUDIT_DOC,
  },

  // audit's own actions: appended straight to the chain, never on Kafka
  [AuditEventTypes.logExported]: { topic: null, producer: 'audit', key: 'audit log (model `log`)', payload: null, doc: AUDIT_DOC },
  [AuditEventTypes.logArchived]: { topic: null, producer: 'audit', key: 'archive id (model `archive`)', payload: null, doc: AUDIT_DOC },
  [AuditEventTypes.settingsUpdated]: { topic: null, producer: 'audit', key: 'organization id (model `settings`)', payload: null, doc: AUDIT_DOC },
};

/** The CloudEvents envelope every catalogued event is published in (`data` is given per type), for schema generation. */
export type CatalogueEventEnvelope = CloudEvent<unknown>;
