import { defineEvent } from '../event-definition';
import type { CrmAssignmentStrategy, CrmContactView, CrmLeadEventType, CrmPondView } from '../../rpc/crm/crm-contacts.rpc';

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
  contactScoreChanged: defineEvent<Record<string, unknown>>('crm.contact.score_changed'),
  contactNoteAdded: defineEvent<Record<string, unknown>>('crm.contact.note_added'),
  contactNoteUpdated: defineEvent<Record<string, unknown>>('crm.contact.note_updated'),
  contactNoteDeleted: defineEvent<Record<string, unknown>>('crm.contact.note_deleted'),
  contactErased: defineEvent<Record<string, unknown>>('crm.contact.erased'),
  leadCaptured: defineEvent<CrmLeadCapturedData>('crm.lead.captured'),
  assignmentRuleCreated: defineEvent<Record<string, unknown>>('crm.assignment_rule.created'),
  assignmentRuleUpdated: defineEvent<Record<string, unknown>>('crm.assignment_rule.updated'),
  assignmentRuleDeleted: defineEvent<Record<string, unknown>>('crm.assignment_rule.deleted'),
  pondCreated: defineEvent<CrmPondEventData>('crm.pond.created'),
  pondUpdated: defineEvent<CrmPondEventData>('crm.pond.updated'),
  pondDeleted: defineEvent<CrmPondEventData>('crm.pond.deleted'),
  customFieldCreated: defineEvent<Record<string, unknown>>('crm.custom_field.created'),
  customFieldUpdated: defineEvent<Record<string, unknown>>('crm.custom_field.updated'),
  customFieldDeleted: defineEvent<Record<string, unknown>>('crm.custom_field.deleted'),
};


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
