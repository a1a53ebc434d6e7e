import { defineEvent } from '../event-definition.util';

/**
 * Domain events of the organization's lead sources (docs/adr/0032), published on topic
 * `crm.events` (docs/events/crm-events.md), keyed by the source key (unique within its
 * organization; the envelope's `orgid` names the organization). Version 1. The defaults an
 * organization starts with are not announced (they are the same for every organization).
 */
export const CrmLeadSourceEvent = {
  leadSourceCreated: defineEvent<CrmLeadSourceEventData>('crm.lead_source.created'),
  /** Label, archived or position changed (`changes`). */
  leadSourceUpdated: defineEvent<CrmLeadSourceEventData>('crm.lead_source.updated'),
  /** Deleted (only while no contact, rule or smart list names it). */
  leadSourceDeleted: defineEvent<CrmLeadSourceEventData>('crm.lead_source.deleted'),
};

/**
 * A lead source as it is after the change (as it was, for a delete). The key is `sourceKey` (not
 * `key`: the audit trail redacts fields named `key`).
 */
export interface CrmLeadSourceEventData {
  sourceKey: string;
  label: string;
  archived: boolean;
  /** 0-based place in the organization's list. */
  position: number;
  /** One of the defaults (`CRM_LEAD_SOURCES`). */
  builtIn: boolean;
  /** `crm.lead_source.updated`: each changed field (`label`, `archived`, `position`) as `{ from, to }`. */
  changes?: Record<string, { from: unknown; to: unknown }>;
}
