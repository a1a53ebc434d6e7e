/**
 * NATS contracts (subject + request + reply) of the organization's lead sources in the crm
 * service (issue 13 item 16; docs/adr/0032-organization-lead-sources.md): the list every contact
 * source, intake, assignment rule condition and smart-list filter is validated against, and the
 * lead-source report. Every organization starts with the defaults (`CRM_LEAD_SOURCES` with
 * `CRM_DEFAULT_LEAD_SOURCE_LABELS`); it may relabel, reorder and archive them and add its own.
 * A delete answers no content (`null` on the wire).
 */
import { defineRpc } from '../rpc-contract.util';
import { CRM_LEAD_SOURCE_KEY_MAX_LENGTH, CRM_LEAD_SOURCE_KEY_PATTERN, type CrmDefaultLeadSource } from './crm-contacts.rpc';

export const CrmLeadSourceSubjects = {
  /** `organizations:read`: the organization's sources in position order (archived ones with `includeArchived`). */
  list: defineRpc<CrmLeadSourceListRequest, CrmLeadSourceView[]>('crm.lead-sources.list'),
  /** `organizations:write` at org scope: 409 `LEAD_SOURCE_EXISTS` for a key the organization has (archived ones too). */
  create: defineRpc<CrmLeadSourceCreateRequest, CrmLeadSourceView>('crm.lead-sources.create'),
  /** `organizations:write` at org scope: 404 `LEAD_SOURCE_NOT_FOUND`. */
  update: defineRpc<CrmLeadSourceUpdateRequest, CrmLeadSourceView>('crm.lead-sources.update'),
  /** `organizations:write` at org scope: 404 `LEAD_SOURCE_NOT_FOUND`; 409 `LEAD_SOURCE_IN_USE` while a contact, rule or smart list names it. */
  delete: defineRpc<{ key: string }, void>('crm.lead-sources.delete'),
  /** `reports:read`, narrowed by its scope (own: contacts the caller owns; team: their teams'; org: all). */
  report: defineRpc<CrmLeadSourceReportRequest, CrmLeadSourceReport>('crm.lead-sources.report'),
};

/** Readable labels of the default sources (an organization may change its own labels). */
export const CRM_DEFAULT_LEAD_SOURCE_LABELS: Readonly<Record<CrmDefaultLeadSource, string>> = {
  website: 'Website',
  referral: 'Referral',
  zillow: 'Zillow',
  realtor_com: 'Realtor.com',
  idx: 'IDX',
  open_house: 'Open house',
  sign_call: 'Sign call',
  social: 'Social',
  past_client: 'Past client',
  sphere: 'Sphere',
  manual: 'Manual',
  import: 'Import',
  other: 'Other',
};

/** Most characters of a lead source label (at least 1 after trimming). */
export const CRM_LEAD_SOURCE_LABEL_MAX_LENGTH = 60;
export { CRM_LEAD_SOURCE_KEY_MAX_LENGTH, CRM_LEAD_SOURCE_KEY_PATTERN };

/** One source of the organization's list. */
export interface CrmLeadSourceView {
  /** Lowercase slug (`CRM_LEAD_SOURCE_KEY_PATTERN`), unique in the organization, never changes. */
  key: string;
  label: string;
  /** Archived: kept on existing contacts and valid in list filters, refused for new writes and new rule conditions. */
  archived: boolean;
  /** 0-based place in the list (the order of pickers and of the report's ties). */
  position: number;
  /** One of the defaults every organization starts with (`CRM_LEAD_SOURCES`). */
  builtIn: boolean;
  /** Live contacts with this source that the caller may read (their `contacts:read` scope; 0 without it). */
  contactCount: number;
}

export interface CrmLeadSourceListRequest {
  /** Default false: only active sources. */
  includeArchived?: boolean;
}

export interface CrmLeadSourceCreateRequest {
  /** Lowercase slug, `CRM_LEAD_SOURCE_KEY_PATTERN`. */
  key: string;
  /** 1–60 characters after trimming. */
  label: string;
}

/** `PATCH /v1/lead-sources/:key`: the given fields change; `position` moves the source (clamped to the list). */
export interface CrmLeadSourceUpdateRequest {
  key: string;
  label?: string;
  archived?: boolean;
  position?: number;
}

/** `GET /v1/reports/lead-sources`: UTC days, both inclusive; default the last 90 days ending today. */
export interface CrmLeadSourceReportRequest {
  /** `YYYY-MM-DD`; default `to` minus 89 days. */
  from?: string;
  /** `YYYY-MM-DD`; default today (UTC). */
  to?: string;
}

/** The counts of one source: contacts created in the period, by their status now. */
export interface CrmLeadSourceReportCounts {
  /** Contacts created in the period (every status). */
  leads: number;
  /** Of them, with status `contacted` now. */
  contacted: number;
  /** Of them, with status `qualified` now. */
  qualified: number;
  /** Of them, with status `closed` now. */
  closed: number;
  /** Of them, with status `lost` now. */
  lost: number;
  /** `closed / leads` in basis points (10,000 = 100 %), rounded half up to an integer; 0 without leads. */
  conversionRateBps: number;
}

export interface CrmLeadSourceReportRow extends CrmLeadSourceReportCounts {
  /** The source key; `null` for contacts without a source. */
  key: string | null;
  /** The organization's label (`No source` for `key: null`; the key itself for a key no longer listed). */
  label: string;
}

export interface CrmLeadSourceReport {
  /** The period, UTC days, both inclusive. */
  from: string;
  to: string;
  /**
   * Every active source of the organization (with zero leads too), archived sources and contacts
   * without a source only when they have leads in the period; by `leads` descending, then list position.
   */
  sources: CrmLeadSourceReportRow[];
  totals: CrmLeadSourceReportCounts;
}
