import { defineEvent } from '../event-definition.util';
import type {
  CrmAssignmentRuleView,
  CrmAssignmentStrategy,
  CrmContactScore,
  CrmContactView,
  CrmCustomFieldView,
  CrmLeadEventType,
  CrmPondView,
  CrmScoreReason,
} from '../../rpc/crm/crm-contacts.rpc';

/**
 * Domain events of contacts and leads, published on topic `crm.events` (see
 * docs/events/crm-events.md), keyed by the contact id (rules and ponds by their own id). Version 1.
 */
export const CRM_EVENTS_TOPIC = 'crm.events';

export const CrmContactEvent = {
  contactCreated: defineEvent<CrmContactCreatedData>('crm.contact.created'),
  contactUpdated: defineEvent<CrmContactUpdatedData>('crm.contact.updated'),
  contactDeleted: defineEvent<CrmContactDeletedData>('crm.contact.deleted'),
  contactMerged: defineEvent<CrmContactMergedData>('crm.contact.merged'),
  contactAssigned: defineEvent<CrmContactAssignedData>('crm.contact.assigned'),
  contactScoreChanged: defineEvent<CrmContactScoreChangedData>('crm.contact.score_changed'),
  contactNoteAdded: defineEvent<CrmContactNoteAddedData>('crm.contact.note_added'),
  contactNoteUpdated: defineEvent<CrmContactNoteUpdatedData>('crm.contact.note_updated'),
  contactNoteDeleted: defineEvent<CrmContactNoteDeletedData>('crm.contact.note_deleted'),
  contactErased: defineEvent<CrmContactErasedData>('crm.contact.erased'),
  leadCaptured: defineEvent<CrmLeadCapturedData>('crm.lead.captured'),
  assignmentRuleCreated: defineEvent<CrmAssignmentRuleCreatedData>('crm.assignment_rule.created'),
  assignmentRuleUpdated: defineEvent<CrmAssignmentRuleUpdatedData>('crm.assignment_rule.updated'),
  assignmentRuleDeleted: defineEvent<CrmAssignmentRuleDeletedData>('crm.assignment_rule.deleted'),
  pondCreated: defineEvent<CrmPondEventData>('crm.pond.created'),
  pondUpdated: defineEvent<CrmPondEventData>('crm.pond.updated'),
  pondDeleted: defineEvent<CrmPondEventData>('crm.pond.deleted'),
  customFieldCreated: defineEvent<CrmCustomFieldCreatedData>('crm.custom_field.created'),
  customFieldUpdated: defineEvent<CrmCustomFieldUpdatedData>('crm.custom_field.updated'),
  customFieldDeleted: defineEvent<CrmCustomFieldDeletedData>('crm.custom_field.deleted'),
};

/** A field-by-field change: the value before and after (`crm.*.updated` payloads). */
export type CrmFieldChanges = Record<string, { from: unknown; to: unknown }>;

export interface CrmContactCreatedData {
  contact: CrmContactView;
}

export interface CrmContactUpdatedData {
  contactId: string;
  changes: Record<string, { from: unknown; to: unknown }>;
}

export interface CrmContactDeletedData {
  contactId: string;
}

export interface CrmContactMergedData {
  /** Surviving contact. */
  contactId: string;
  /** Contact merged into it (now carries `mergedIntoId`). */
  mergedId: string;
}

export interface CrmContactAssignedData {
  contactId: string;
  fromAgentId: string | null;
  toAgentId: string | null;
  pondId: string | null;
  ruleId: string | null;
  strategy: CrmAssignmentStrategy | 'manual' | 'claim';
  reason: string;
  /** Speed-to-lead deadline, when the rule has one. */
  respondBy: string | null;
}

export interface CrmLeadCapturedData {
  contactId: string;
  merged: boolean;
  channel: 'lead_event' | 'public_form';
  source: string | null;
  eventType?: CrmLeadEventType;
  formType?: string;
}

/**
 * `crm.pond.created`, `crm.pond.updated` (with `changes` of `name` / `agentIds`) and
 * `crm.pond.deleted` (the pond as it was; only an empty pond no active rule routes to is deleted).
 */
export interface CrmPondEventData {
  pond: CrmPondView;
  changes?: Record<string, { from: unknown; to: unknown }>;
}

/**
 * `crm.contact.score_changed`: the score band moved (a contact write, intake, engagement from
 * another service, a bulk change or the hourly recency refresh). `from`/`to` are the effective
 * scores (a manual override wins); `reasons` are the signals of the new score (docs/adr/0009).
 */
export interface CrmContactScoreChangedData {
  contactId: string;
  from: CrmContactScore;
  to: CrmContactScore;
  reasons: CrmScoreReason[];
}

/** `crm.contact.note_added` (note bodies stay in crm). */
export interface CrmContactNoteAddedData {
  contactId: string;
  noteId: string;
  pinned: boolean;
}

/** `crm.contact.note_updated`: `bodyChanged` when the request gave a new body. */
export interface CrmContactNoteUpdatedData {
  contactId: string;
  noteId: string;
  pinned: boolean;
  bodyChanged: boolean;
}

/** `crm.contact.note_deleted` (soft delete). */
export interface CrmContactNoteDeletedData {
  contactId: string;
  noteId: string;
}

/**
 * `crm.contact.erased`: privacy erasure; the person's data is gone from crm and other services
 * erase theirs. One event per erased contact: the one named, and every contact merged into it
 * (directly or through a chain) with `mergedIntoId` = the named contact.
 */
export interface CrmContactErasedData {
  contactId: string;
  mergedIntoId?: string;
}

/** `crm.assignment_rule.created`: the rule as `GET /v1/assignment-rules/:id` answers it. */
export interface CrmAssignmentRuleCreatedData {
  rule: CrmAssignmentRuleView;
}

/** `crm.assignment_rule.updated`: every changed rule field (not `updatedAt`) as `{ from, to }`; may be empty. */
export interface CrmAssignmentRuleUpdatedData {
  ruleId: string;
  changes: CrmFieldChanges;
}

/** `crm.assignment_rule.deleted` (soft delete; the rule stops routing). */
export interface CrmAssignmentRuleDeletedData {
  ruleId: string;
}

/** `crm.custom_field.created`: the field definition as `GET /v1/contact-fields` answers it. */
export interface CrmCustomFieldCreatedData {
  field: CrmCustomFieldView;
}

/** `crm.custom_field.updated`: `changes` of `label`, `options` and/or `required` as `{ from, to }` (key and type never change). */
export interface CrmCustomFieldUpdatedData {
  fieldId: string;
  key: string;
  changes: CrmFieldChanges;
}

/** `crm.custom_field.deleted`: the definition is gone; stored values stay on contacts until edited. */
export interface CrmCustomFieldDeletedData {
  fieldId: string;
  key: string;
}
