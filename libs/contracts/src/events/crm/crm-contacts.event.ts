import type { CrmAssignmentStrategy, CrmContactView, CrmLeadEventType, CrmPondView } from '../../rpc/crm/crm-contacts.rpc';

/**
 * Domain events of contacts and leads, published on topic `crm.events` (see
 * docs/events/crm-events.md), keyed by the contact id (rules and ponds by their own id). Version 1.
 */
export const CRM_EVENTS_TOPIC = 'crm.events';

export const CrmContactEventTypes = {
  contactCreated: 'crm.contact.created',
  contactUpdated: 'crm.contact.updated',
  contactDeleted: 'crm.contact.deleted',
  contactMerged: 'crm.contact.merged',
  contactAssigned: 'crm.contact.assigned',
  contactScoreChanged: 'crm.contact.score_changed',
  contactNoteAdded: 'crm.contact.note_added',
  contactNoteUpdated: 'crm.contact.note_updated',
  contactNoteDeleted: 'crm.contact.note_deleted',
  contactErased: 'crm.contact.erased',
  leadCaptured: 'crm.lead.captured',
  assignmentRuleCreated: 'crm.assignment_rule.created',
  assignmentRuleUpdated: 'crm.assignment_rule.updated',
  assignmentRuleDeleted: 'crm.assignment_rule.deleted',
  pondCreated: 'crm.pond.created',
  pondUpdated: 'crm.pond.updated',
  pondDeleted: 'crm.pond.deleted',
  customFieldCreated: 'crm.custom_field.created',
  customFieldUpdated: 'crm.custom_field.updated',
  customFieldDeleted: 'crm.custom_field.deleted',
} as const;

export type CrmContactEventType = (typeof CrmContactEventTypes)[keyof typeof CrmContactEventTypes];

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
