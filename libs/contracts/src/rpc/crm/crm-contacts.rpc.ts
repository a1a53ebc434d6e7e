import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';
import type { CrmFieldSpecs } from './crm-field-spec.type';

/**
 * NATS contracts (subject + request + reply) of the crm service for contacts and leads, notes,
 * custom fields, lead intake, assignment rules and ponds, privacy, import, smart lists and the
 * timeline (`crm.<aggregate>.<verb>`). Every request carries the caller in the envelope; the crm
 * service re-checks the permission and narrows by its scope (own / team / org). Every delete and
 * erasure answers no content (`null` on the wire).
 */
export const CrmContactSubjects = {
  /** A merge into an existing contact (`onDuplicate: merge`) answers `merged: true`. */
  create: defineRpc<CrmContactCreateRequest, CrmContactCreateResult>('crm.contacts.create'),
  list: defineRpc<CrmContactListRequest, Page<CrmContactView>>('crm.contacts.list'),
  get: defineRpc<{ id: string }, CrmContactView>('crm.contacts.get'),
  update: defineRpc<CrmContactUpdateRequest, CrmContactView>('crm.contacts.update'),
  delete: defineRpc<{ id: string }, void>('crm.contacts.delete'),
  merge: defineRpc<CrmContactMergeRequest, CrmContactView>('crm.contacts.merge'),
  assign: defineRpc<CrmContactAssignRequest, CrmContactView>('crm.contacts.assign'),
  assignmentGet: defineRpc<{ id: string }, CrmContactAssignmentView>('crm.contacts.assignment-get'),
  timeline: defineRpc<CrmTimelineRequest, Page<CrmTimelineEntry>>('crm.contacts.timeline'),
  bulkStatus: defineRpc<CrmBulkStatusRequest, CrmBulkResult>('crm.contacts.bulk-status'),
  bulkAssign: defineRpc<CrmBulkAssignRequest, CrmBulkResult>('crm.contacts.bulk-assign'),
  bulkTags: defineRpc<CrmBulkTagsRequest, CrmBulkResult>('crm.contacts.bulk-tags'),
  noteCreate: defineRpc<CrmContactNoteCreateRequest, CrmContactNoteView>('crm.contact-notes.create'),
  noteList: defineRpc<{ contactId: string }, CrmContactNoteView[]>('crm.contact-notes.list'),
  noteUpdate: defineRpc<CrmContactNoteUpdateRequest, CrmContactNoteView>('crm.contact-notes.update'),
  noteDelete: defineRpc<{ contactId: string; noteId: string }, void>('crm.contact-notes.delete'),
  fieldList: defineRpc<Record<string, never>, CrmCustomFieldView[]>('crm.contact-fields.list'),
  fieldCreate: defineRpc<CrmCustomFieldCreateRequest, CrmCustomFieldView>('crm.contact-fields.create'),
  fieldUpdate: defineRpc<CrmCustomFieldUpdateRequest, CrmCustomFieldView>('crm.contact-fields.update'),
  fieldDelete: defineRpc<{ id: string }, void>('crm.contact-fields.delete'),
  leadEventIngest: defineRpc<CrmLeadEventRequest, CrmLeadEventResponse>('crm.lead-events.ingest'),
  /**
   * Applies the contact details a public submission proposed for an existing contact (the
   * `form.submitted` timeline entry `entryId` with `proposed`); `contacts:write` on the contact.
   * 404 `CONTACT_NOT_FOUND`, `PROPOSED_DETAILS_NOT_FOUND`; 409 `PROPOSED_DETAILS_ALREADY_ACCEPTED`.
   */
  proposedDetailsAccept: defineRpc<CrmProposedDetailsAcceptRequest, CrmContactView>('crm.contacts.proposed-details-accept'),
  publicLeadCapture: defineRpc<CrmPublicLeadRequest, CrmPublicLeadResponse>('crm.public-leads.capture'),
  ruleCreate: defineRpc<CrmAssignmentRuleInput, CrmAssignmentRuleView>('crm.assignment-rules.create'),
  ruleList: defineRpc<Record<string, never>, CrmAssignmentRuleView[]>('crm.assignment-rules.list'),
  ruleGet: defineRpc<{ id: string }, CrmAssignmentRuleView>('crm.assignment-rules.get'),
  ruleUpdate: defineRpc<CrmAssignmentRuleUpdateRequest, CrmAssignmentRuleView>('crm.assignment-rules.update'),
  ruleDelete: defineRpc<{ id: string }, void>('crm.assignment-rules.delete'),
  /** Fairness ledger of a pool: `id` is a rule id or a pond id. */
  ruleLedger: defineRpc<{ id: string }, CrmFairnessLedgerEntry[]>('crm.assignment-rules.ledger'),
  pondCreate: defineRpc<CrmPondCreateRequest, CrmPondView>('crm.ponds.create'),
  pondList: defineRpc<Record<string, never>, CrmPondView[]>('crm.ponds.list'),
  pondUpdate: defineRpc<CrmPondUpdateRequest, CrmPondView>('crm.ponds.update'),
  pondDelete: defineRpc<{ id: string }, void>('crm.ponds.delete'),
  pondClaim: defineRpc<CrmPondClaimRequest, CrmContactView>('crm.ponds.claim'),
  listByCompany: defineRpc<CrmContactsByCompanyRequest, Page<CrmContactView>>('crm.contacts.list-by-company'),
  dataExport: defineRpc<{ id: string }, CrmContactDataExport>('crm.contacts.data-export'),
  erase: defineRpc<{ id: string }, void>('crm.contacts.erase'),
  importRows: defineRpc<CrmImportRowsRequest, CrmImportResult>('crm.contacts.import-rows'),
  smartListCreate: defineRpc<CrmSmartListInput, CrmSmartListView>('crm.smart-lists.create'),
  smartListList: defineRpc<Record<string, never>, CrmSmartListView[]>('crm.smart-lists.list'),
  smartListGet: defineRpc<{ id: string }, CrmSmartListView>('crm.smart-lists.get'),
  smartListUpdate: defineRpc<CrmSmartListUpdateRequest, CrmSmartListView>('crm.smart-lists.update'),
  smartListDelete: defineRpc<{ id: string }, void>('crm.smart-lists.delete'),
  smartListContacts: defineRpc<CrmSmartListContactsRequest, Page<CrmContactView>>('crm.smart-lists.contacts'),
};

export const CRM_CONTACT_TYPES = ['buyer', 'seller', 'renter', 'investor'] as const;
export type CrmContactType = (typeof CRM_CONTACT_TYPES)[number];
export const CRM_CONTACT_STATUSES = ['new', 'contacted', 'qualified', 'nurturing', 'closed', 'lost'] as const;
export type CrmContactStatus = (typeof CRM_CONTACT_STATUSES)[number];
export const CRM_CONTACT_SCORES = ['hot', 'warm', 'cold'] as const;
export type CrmContactScore = (typeof CRM_CONTACT_SCORES)[number];
export const CRM_CONSENT_CHANNELS = ['email', 'sms', 'call'] as const;
export type CrmConsentChannel = (typeof CRM_CONSENT_CHANNELS)[number];
/**
 * The default lead sources (how a contact came to the brokerage): every organization starts with
 * these keys (labels: `CRM_DEFAULT_LEAD_SOURCE_LABELS`), and may archive them or add its own
 * (`/v1/lead-sources`, `CrmLeadSourceSubjects`; docs/adr/0032). A source written on a contact, an
 * intake, a rule condition or a smart-list filter is validated by the crm against the
 * organization's list (400 `UNKNOWN_LEAD_SOURCE`), so reports group cleanly.
 */
export const CRM_LEAD_SOURCES = [
  'website',
  'referral',
  'zillow',
  'realtor_com',
  'idx',
  'open_house',
  'sign_call',
  'social',
  'past_client',
  'sphere',
  'manual',
  'import',
  'other',
] as const;
/** A default lead source key (`CRM_LEAD_SOURCES`). */
export type CrmDefaultLeadSource = (typeof CRM_LEAD_SOURCES)[number];
/**
 * A lead source key of the organization's list: a default (`CrmDefaultLeadSource`) or one the
 * organization added; lowercase slug `CRM_LEAD_SOURCE_KEY_PATTERN`, at most 40 characters.
 */
export type CrmLeadSource = string;
/** The shape of a lead source key: a lowercase letter or digit, then up to 39 lowercase letters, digits or `_`. */
export const CRM_LEAD_SOURCE_KEY_PATTERN = '^[a-z0-9][a-z0-9_]{0,39}$';
/** Most characters of a lead source key. */
export const CRM_LEAD_SOURCE_KEY_MAX_LENGTH = 40;
/** The field spec of a lead source key (contact view, input and list filter). */
const LEAD_SOURCE_SPEC_DOC = 'A lead source key of the organization (GET /v1/lead-sources)';
/** Why two contacts are thought to be the same person (see docs/adr/0008). */
export type CrmDuplicateReason = 'email' | 'phone' | 'name';
export const CRM_DUPLICATE_POLICIES = ['reject', 'create', 'merge'] as const;
export type CrmDuplicatePolicy = (typeof CRM_DUPLICATE_POLICIES)[number];

export interface CrmReferrer {
  type: 'contact' | 'agent' | 'partner';
  /** Contact or agent (user) id; absent for a partner known only by name. */
  id?: string | null;
  name?: string | null;
}

/** What the contact is looking for. Prices in integer cents. */
export interface CrmContactPreferences {
  minPriceCents?: number | null;
  maxPriceCents?: number | null;
  postalCodes?: string[];
  areas?: string[];
  minBeds?: number | null;
  minBaths?: number | null;
  propertyTypes?: string[];
  preApproved?: boolean | null;
  preApprovedAmountCents?: number | null;
}

export interface CrmConsent {
  granted: boolean;
  /** Where the consent was given or withdrawn (`web_form`, `phone`, `import`, `agent`, ...). */
  source: string;
  /** ISO 8601 time of the consent or withdrawal. */
  at: string;
}

export interface CrmAddress {
  street?: string | null;
  city?: string | null;
  state?: string | null;
  postalCode?: string | null;
}

export interface CrmScoreReason {
  /** Signal code: `recent_activity`, `source`, `pre_approved`, `engagement`, `manual_override`, ... */
  signal: string;
  /** Points this signal added (the score bands are in docs/adr/0009). */
  points: number;
  detail: string;
}

/**
 * A contact (leads and clients are one model). The Contract fields are `id`, `firstName`,
 * `lastName`, `email`, `phone` (the primary ones), `type`, `status`, `score`, `ownerId`, `source`,
 * `tags`, `createdAt`; the rest are additions.
 */
export interface CrmContactView {
  id: string;
  orgId: string;
  firstName: string | null;
  lastName: string | null;
  /** Primary email (first of `emails`), lower-cased. */
  email: string | null;
  /** Primary phone (first of `phones`), E.164. */
  phone: string | null;
  emails: string[];
  phones: string[];
  type: CrmContactType | null;
  status: CrmContactStatus;
  score: CrmContactScore;
  scoreReasons: CrmScoreReason[];
  /** Set when an agent overrode the computed score. */
  scoreOverride: CrmContactScore | null;
  ownerId: string | null;
  /** Pond holding the contact while unclaimed. */
  pondId: string | null;
  source: CrmLeadSource | null;
  referrer: CrmReferrer | null;
  /** Names of the contact's tags (tag definitions, `/v1/tags`), in the order they were added. */
  tags: string[];
  /** The same tags with their definition (id, colour, scope); on API answers, not in events. */
  tagDetails?: CrmContactTagDetail[];
  preferences: CrmContactPreferences;
  address: CrmAddress;
  companyId: string | null;
  lastContactedAt: string | null;
  consent: Partial<Record<CrmConsentChannel, CrmConsent>>;
  doNotContact: boolean;
  customFields: Record<string, unknown>;
  assignment: { ruleId: string | null; reason: string | null; assignedAt: string | null };
  mergedIntoId: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Structures of a contact the gateway declares as nested DTOs (`type: 'nested'` in the field specs
 * below): request or view shapes of `referrer`, `preferences`, `address`, `consent`, a score reason,
 * a tag detail, the assignment summary.
 */
export type CrmContactStructure = 'referrer' | 'preferences' | 'address' | 'consent' | 'scoreReason' | 'tagDetail' | 'assignment';

/** How each `CrmContactView` field is documented (OpenAPI of every answer with a contact; `CrmFieldSpec`). */
export const CRM_CONTACT_VIEW_FIELDS = {
  id: { type: 'string', format: 'uuid' },
  orgId: { type: 'string', format: 'uuid' },
  firstName: { type: 'string', nullable: true },
  lastName: { type: 'string', nullable: true },
  email: { type: 'string', nullable: true, description: 'Primary email, lower-cased' },
  phone: { type: 'string', nullable: true, description: 'Primary phone, E.164' },
  emails: { type: 'string', list: true },
  phones: { type: 'string', list: true },
  type: { type: 'string', enum: CRM_CONTACT_TYPES, nullable: true },
  status: { type: 'string', enum: CRM_CONTACT_STATUSES },
  score: { type: 'string', enum: CRM_CONTACT_SCORES },
  scoreReasons: { type: 'nested', nested: 'scoreReason', list: true },
  scoreOverride: { type: 'string', enum: CRM_CONTACT_SCORES, nullable: true },
  ownerId: { type: 'string', format: 'uuid', nullable: true },
  pondId: { type: 'string', format: 'uuid', nullable: true },
  source: { type: 'string', nullable: true, maxLength: CRM_LEAD_SOURCE_KEY_MAX_LENGTH, description: LEAD_SOURCE_SPEC_DOC },
  referrer: { type: 'nested', nested: 'referrer', nullable: true, description: 'Who referred the contact' },
  tags: {
    type: 'string',
    list: true,
    description: 'Names of the contact’s tags (tag definitions, /v1/tags), in the order they were added',
  },
  tagDetails: { type: 'nested', nested: 'tagDetail', list: true, optional: true, description: 'The same tags with their definition' },
  preferences: { type: 'nested', nested: 'preferences' },
  address: { type: 'nested', nested: 'address' },
  companyId: { type: 'string', format: 'uuid', nullable: true },
  lastContactedAt: { type: 'string', format: 'date-time', nullable: true },
  consent: { type: 'nested', nested: 'consent', description: 'Per channel: the latest decision' },
  doNotContact: { type: 'boolean' },
  customFields: {
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    description: 'Values of the organization’s custom fields by key (text, number, boolean, date YYYY-MM-DD or a select option)',
  },
  assignment: { type: 'nested', nested: 'assignment' },
  mergedIntoId: { type: 'string', format: 'uuid', nullable: true },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
} satisfies CrmFieldSpecs<CrmContactView, CrmContactStructure>;

/** A tag on a contact, as its definition stands now. */
export interface CrmContactTagDetail {
  id: string;
  name: string;
  /** `#rrggbb`. */
  colour: string;
  scope: 'org' | 'personal';
}

/** Writable contact fields (create and update). Unknown custom field keys are refused. */
export interface CrmContactInput {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  emails?: string[];
  phones?: string[];
  type?: CrmContactType | null;
  status?: CrmContactStatus;
  /** Manual score override; `null` returns to the computed score. */
  scoreOverride?: CrmContactScore | null;
  ownerId?: string | null;
  source?: CrmLeadSource | null;
  referrer?: CrmReferrer | null;
  /**
   * Tag names, replacing the contact's list. Each resolves to a tag definition (docs/adr/0022): a
   * tag already on the contact with that name (case-insensitive), else the caller's personal tag,
   * else the organization's, else a new personal tag of the caller; API keys act for the
   * organization (its tags only) and get 400 `tags[i]` for an unknown name.
   */
  tags?: string[];
  preferences?: CrmContactPreferences;
  address?: CrmAddress;
  companyId?: string | null;
  lastContactedAt?: string | null;
  consent?: Partial<Record<CrmConsentChannel, { granted: boolean; source: string; at?: string }>>;
  doNotContact?: boolean;
  customFields?: Record<string, unknown>;
}

/**
 * How each `CrmContactInput` field is validated and documented at the gateway (`POST` and `PATCH
 * /v1/contacts`; every field optional; `CrmFieldSpec`). The crm service applies the fields
 * (`applyInput`, the column declarations of `contact.row.ts`).
 */
export const CRM_CONTACT_INPUT_FIELDS = {
  firstName: { type: 'string', nullable: true, maxLength: 100 },
  lastName: { type: 'string', nullable: true, maxLength: 100 },
  email: { type: 'string', nullable: true, format: 'email', maxLength: 254, description: 'Primary email' },
  phone: { type: 'string', nullable: true, maxLength: 40, description: 'Primary phone; normalised to E.164 (default region US)' },
  emails: { type: 'string', list: true, format: 'email', maxItems: 10 },
  phones: { type: 'string', list: true, maxItems: 10, maxLength: 40 },
  type: { type: 'string', enum: CRM_CONTACT_TYPES, nullable: true },
  status: { type: 'string', enum: CRM_CONTACT_STATUSES },
  scoreOverride: {
    type: 'string',
    enum: CRM_CONTACT_SCORES,
    nullable: true,
    description: 'Manual score override; null returns to the computed score',
  },
  ownerId: { type: 'string', format: 'uuid', nullable: true },
  source: {
    type: 'string',
    nullable: true,
    maxLength: CRM_LEAD_SOURCE_KEY_MAX_LENGTH,
    pattern: CRM_LEAD_SOURCE_KEY_PATTERN,
    description: `${LEAD_SOURCE_SPEC_DOC}; an active one for a new value (400 UNKNOWN_LEAD_SOURCE otherwise)`,
  },
  referrer: { type: 'nested', nested: 'referrer', nullable: true },
  tags: { type: 'string', list: true, maxItems: 50, maxLength: 50 },
  preferences: { type: 'nested', nested: 'preferences' },
  address: { type: 'nested', nested: 'address' },
  companyId: { type: 'string', format: 'uuid', nullable: true, description: 'A company of the organization' },
  lastContactedAt: { type: 'string', format: 'date-time', nullable: true },
  consent: { type: 'nested', nested: 'consent' },
  doNotContact: { type: 'boolean' },
  customFields: { type: 'object', additionalProperties: true, description: 'Values of the organization’s custom fields by key' },
} satisfies CrmFieldSpecs<CrmContactInput, CrmContactStructure>;

export interface CrmContactCreateRequest extends CrmContactInput {
  /** What to do when duplicates are found: `reject` (409, default), `create` anyway, or `merge` into the best match. */
  onDuplicate?: CrmDuplicatePolicy;
}

/** Reply of `crm.contacts.create`: the contact created, or the one the input was merged into. */
export interface CrmContactCreateResult {
  contact: CrmContactView;
  /** True when `onDuplicate: merge` applied the input to an existing contact (HTTP 200 instead of 201). */
  merged: boolean;
}

export interface CrmContactUpdateRequest extends CrmContactInput {
  id: string;
}

export const CRM_CONTACT_SORTS = [
  'createdAt',
  '-createdAt',
  'updatedAt',
  '-updatedAt',
  'name',
  '-name',
  'lastContactedAt',
  '-lastContactedAt',
] as const;
export type CrmContactSort = (typeof CRM_CONTACT_SORTS)[number];

export interface CrmContactListRequest extends PageQuery {
  status?: CrmContactStatus[];
  score?: CrmContactScore[];
  type?: CrmContactType[];
  source?: CrmLeadSource[];
  /** Tag names (case-insensitive); a contact must carry a tag of each name that the caller sees (the organization's or their own personal one). */
  tag?: string[];
  /** Tag definition ids; a contact must carry each (smart lists store their tags this way, so renames follow). */
  tagIds?: string[];
  ownerId?: string;
  /** Contacts owned by members of this team. */
  teamId?: string;
  pondId?: string;
  companyId?: string;
  createdFrom?: string;
  createdTo?: string;
  lastContactedFrom?: string;
  lastContactedTo?: string;
  /** Text search over name, emails and phones (substring, case-insensitive). */
  q?: string;
  /** Default `-createdAt`. */
  sort?: CrmContactSort;
  /** Custom field values that must all match exactly (smart lists). */
  customFields?: Record<string, string | number | boolean>;
}

/**
 * How each filter of `CrmContactListRequest` is validated and documented as a query parameter of
 * `GET /v1/contacts` (every one optional; lists also as `a,b` or repeated; `CrmFieldSpec`); `null`:
 * not a query parameter (smart lists only). Paging (`limit`, `cursor`) is the gateway's page query.
 */
export const CRM_CONTACT_LIST_FIELDS = {
  status: { type: 'string', list: true, enum: CRM_CONTACT_STATUSES },
  score: { type: 'string', list: true, enum: CRM_CONTACT_SCORES },
  type: { type: 'string', list: true, enum: CRM_CONTACT_TYPES },
  source: {
    type: 'string',
    list: true,
    maxItems: 50,
    maxLength: CRM_LEAD_SOURCE_KEY_MAX_LENGTH,
    pattern: CRM_LEAD_SOURCE_KEY_PATTERN,
    description: LEAD_SOURCE_SPEC_DOC,
  },
  tag: { type: 'string', list: true, maxItems: 20, description: 'All tags given must be on the contact' },
  tagIds: null,
  ownerId: { type: 'string', format: 'uuid' },
  teamId: { type: 'string', format: 'uuid', description: 'Contacts owned by members of this team' },
  pondId: { type: 'string', format: 'uuid' },
  companyId: { type: 'string', format: 'uuid' },
  createdFrom: { type: 'string', format: 'date-time' },
  createdTo: { type: 'string', format: 'date-time' },
  lastContactedFrom: { type: 'string', format: 'date-time' },
  lastContactedTo: { type: 'string', format: 'date-time' },
  q: { type: 'string', maxLength: 100, description: 'Search in name, emails and phones' },
  sort: { type: 'string', enum: CRM_CONTACT_SORTS, default: '-createdAt' },
  customFields: null,
} satisfies { [K in keyof Omit<CrmContactListRequest, keyof PageQuery>]-?: CrmFieldSpecs<CrmContactListRequest>[K] | null };

export interface CrmContactDuplicate {
  id: string;
  reason: CrmDuplicateReason;
}

export interface CrmContactMergeRequest {
  /** The surviving contact. */
  id: string;
  /** The contact merged into it; it keeps `mergedIntoId`. */
  sourceId: string;
}

export interface CrmContactAssignRequest {
  id: string;
  /** The new owner (an active agent, manager or admin of the organization); null unassigns. */
  ownerId: string | null;
  reason?: string;
}

export interface CrmAssignmentRecord {
  id: string;
  agentId: string | null;
  pondId: string | null;
  ruleId: string | null;
  strategy: CrmAssignmentStrategy | 'manual' | 'claim';
  reason: string;
  assignedBy: string | null;
  assignedAt: string;
  endedAt: string | null;
  endReason: string | null;
}

export interface CrmContactAssignmentView {
  contactId: string;
  ownerId: string | null;
  pondId: string | null;
  ruleId: string | null;
  reason: string | null;
  /** Speed-to-lead deadline of the current assignment, if its rule has one. */
  respondBy: string | null;
  history: CrmAssignmentRecord[];
}

export interface CrmTimelineEntry {
  id: string;
  contactId: string;
  /** `contact.created`, `contact.updated`, `contact.status_changed`, `contact.assigned`, `note.added`, `form.submitted`, `lead.event`, `contact.merged`, ... */
  kind: string;
  occurredAt: string;
  actorId: string | null;
  data: Record<string, unknown>;
}

/** `GET /v1/contacts/:id/timeline`: the contact and the page. */
export interface CrmTimelineRequest extends PageQuery {
  id: string;
}

export interface CrmBulkStatusRequest {
  ids: string[];
  status: CrmContactStatus;
}
export interface CrmBulkAssignRequest {
  ids: string[];
  ownerId: string | null;
}
export interface CrmBulkTagsRequest {
  ids: string[];
  add?: string[];
  remove?: string[];
}
export interface CrmBulkResult {
  /** Contacts named in the request. */
  matched: number;
  /** Contacts whose state actually changed. */
  updated: number;
}

export interface CrmContactNoteView {
  id: string;
  contactId: string;
  authorId: string | null;
  body: string;
  pinned: boolean;
  createdAt: string;
  updatedAt: string;
}
export interface CrmContactNoteCreateRequest {
  contactId: string;
  body: string;
  pinned?: boolean;
}
export interface CrmContactNoteUpdateRequest {
  contactId: string;
  noteId: string;
  body?: string;
  pinned?: boolean;
}

export const CRM_CUSTOM_FIELD_TYPES = ['text', 'number', 'boolean', 'date', 'select'] as const;
export type CrmCustomFieldType = (typeof CRM_CUSTOM_FIELD_TYPES)[number];
export interface CrmCustomFieldView {
  id: string;
  key: string;
  label: string;
  type: CrmCustomFieldType;
  /** Allowed values of a `select` field. */
  options: string[];
  required: boolean;
  createdAt: string;
}
/** Label, options (select) and required can change; key and type cannot (stored values depend on them). */
export interface CrmCustomFieldUpdateRequest {
  id: string;
  label?: string;
  options?: string[];
  required?: boolean;
}

export interface CrmCustomFieldCreateRequest {
  key: string;
  label: string;
  type: CrmCustomFieldType;
  options?: string[];
  required?: boolean;
}

export const CRM_LEAD_EVENT_TYPES = [
  'registration',
  'inquiry',
  'seller_inquiry',
  'viewed_property',
  'saved_property',
  'property_search',
  'saved_search',
  'visited_open_house',
] as const;
export type CrmLeadEventType = (typeof CRM_LEAD_EVENT_TYPES)[number];

/** A typed lead event from a website, IDX or portal (API key with `leads:write`). */
export interface CrmLeadEventRequest {
  type: CrmLeadEventType;
  /** Lead source (`zillow`, `website`, ...); with `externalId` the idempotency key of the event. */
  source: CrmLeadSource;
  externalId: string;
  occurredAt?: string;
  person: {
    firstName?: string;
    lastName?: string;
    email?: string;
    phone?: string;
    postalCode?: string;
    city?: string;
  };
  property?: {
    listingId?: string;
    mlsNumber?: string;
    address?: string;
    city?: string;
    postalCode?: string;
    priceCents?: number;
    beds?: number;
    baths?: number;
  };
  message?: string;
  contactType?: CrmContactType;
}

export interface CrmLeadEventResponse {
  eventId: string;
  contactId: string;
  /** True when the person matched an existing contact. */
  merged: boolean;
  /** True when this source + external id was already received (nothing was changed). */
  duplicateEvent: boolean;
}

/** Public form capture, `orgId` resolved by the gateway from the form key. */
export interface CrmPublicLeadRequest {
  orgId: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  message?: string;
  source?: CrmLeadSource;
  formType?: string;
  answers?: Record<string, unknown>;
  utm?: Record<string, string>;
  consent?: Partial<Record<CrmConsentChannel, boolean>>;
  postalCode?: string;
  contactType?: CrmContactType;
}

/**
 * The crm's answer to a public submission (internal: the gateway answers only `CrmPublicLeadAnswer`).
 * `merged`: the person matched an existing contact, whose details were not changed (the submitted
 * ones wait on the timeline entry `submissionEntryId` for an agent's acceptance).
 */
export interface CrmPublicLeadResponse {
  submissionId: string;
  contactId: string;
  merged: boolean;
}

/** `POST /v1/public/leads` answer: the same for a new and an existing person (issue 13 item 6). */
export interface CrmPublicLeadAnswer {
  /** The stored submission (the same for a replay with the same `Idempotency-Key`). */
  submissionId: string;
}

/**
 * Contact details a public submission proposed for an existing contact (as submitted; the
 * `proposed` of its `form.submitted` timeline entry, with `acceptedAt`/`acceptedBy` once applied).
 */
export interface CrmProposedDetails {
  firstName?: string;
  lastName?: string;
  email?: string;
  phone?: string;
  postalCode?: string;
}

/** `POST /v1/contacts/:id/proposed-details/:entryId/accept`. */
export interface CrmProposedDetailsAcceptRequest {
  id: string;
  entryId: string;
}

export const CRM_ASSIGNMENT_STRATEGIES = ['agent', 'round_robin', 'load_balanced', 'pond'] as const;
export type CrmAssignmentStrategy = (typeof CRM_ASSIGNMENT_STRATEGIES)[number];

/** Conditions of an assignment rule; all given conditions must hold (prices in cents). */
export interface CrmAssignmentConditions {
  sources?: CrmLeadSource[];
  postalCodes?: string[];
  cities?: string[];
  types?: CrmContactType[];
  minPrice?: number;
  maxPrice?: number;
}

export interface CrmAssignmentRuleInput {
  name: string;
  priority: number;
  conditions?: CrmAssignmentConditions;
  strategy: CrmAssignmentStrategy;
  agentIds?: string[];
  pondId?: string | null;
  responseDeadlineMinutes?: number | null;
  active?: boolean;
}

export interface CrmAssignmentRuleView extends Required<Omit<CrmAssignmentRuleInput, 'conditions'>> {
  id: string;
  conditions: CrmAssignmentConditions;
  createdAt: string;
  updatedAt: string;
}

export interface CrmAssignmentRuleUpdateRequest extends Partial<CrmAssignmentRuleInput> {
  id: string;
}

export interface CrmFairnessLedgerEntry {
  agentId: string;
  assigned: number;
  /** Share of this pool's assignments, in basis points. */
  shareBps: number;
  lastAssignedAt: string | null;
}

export interface CrmPondView {
  id: string;
  name: string;
  /** Agents allowed to claim; empty means every agent of the organization. */
  agentIds: string[];
  unclaimed: number;
  createdAt: string;
}

export interface CrmPondCreateRequest {
  name: string;
  agentIds?: string[];
}

/** `PATCH /v1/ponds/:id`: the given fields replace the pond's. */
export interface CrmPondUpdateRequest {
  id: string;
  name?: string;
  agentIds?: string[];
}

/** `GET /v1/companies/:id/contacts`: the contact list filtered by a company (404 for a company not of the caller's organization). */
export interface CrmContactsByCompanyRequest extends PageQuery {
  id: string;
  sort?: CrmContactSort;
}

export interface CrmPondClaimRequest {
  id: string;
  /** The contact to claim; the oldest unclaimed one when absent. */
  contactId?: string;
}

/** Everything the crm service holds about one person (privacy data export, JSON). */
export interface CrmContactDataExport {
  exportedAt: string;
  contact: CrmContactView;
  /** Contacts merged into this one (the same person's earlier records). */
  mergedContacts: CrmContactView[];
  notes: CrmContactNoteView[];
  timeline: CrmTimelineEntry[];
  formSubmissions: Array<{
    id: string;
    formType: string;
    answers: Record<string, unknown>;
    utm: Record<string, unknown>;
    source: string | null;
    consent: Record<string, unknown>;
    receivedAt: string;
  }>;
  leadEvents: Array<{ id: string; source: string; externalId: string; type: string; payload: unknown; occurredAt: string }>;
  assignments: CrmAssignmentRecord[];
}

/** Fields a CSV column can map to (`POST /v1/contacts/import`). */
export const CRM_IMPORT_FIELDS = [
  'firstName',
  'lastName',
  'email',
  'phone',
  'type',
  'status',
  'source',
  'tags',
  'postalCode',
  'city',
  'state',
  'street',
  'minPriceCents',
  'maxPriceCents',
] as const;
export type CrmImportField = (typeof CRM_IMPORT_FIELDS)[number];

export interface CrmImportRowsRequest {
  /** Rows already mapped to import fields; `row` is the 1-based CSV line number (header = 1). */
  rows: Array<{ row: number; values: Partial<Record<CrmImportField, string>> }>;
  /** Duplicates: `merge` into the existing contact (default) or `skip` (rejected with reason duplicate). */
  onDuplicate?: 'merge' | 'skip';
}

export interface CrmImportResult {
  created: number;
  merged: number;
  rejected: Array<{ row: number; reason: string; field?: string }>;
}

/** The saved filters of a smart list: the contact list filters (no paging) plus custom fields. */
export type CrmSmartListFilters = Omit<CrmContactListRequest, 'cursor' | 'limit'>;

export interface CrmSmartListView {
  id: string;
  name: string;
  ownerId: string;
  /** Shared with this team (its members and managers see it); null = personal. */
  teamId: string | null;
  filters: CrmSmartListFilters;
  createdAt: string;
  updatedAt: string;
}

export interface CrmSmartListInput {
  name: string;
  filters: CrmSmartListFilters;
  teamId?: string | null;
}

export interface CrmSmartListUpdateRequest extends Partial<CrmSmartListInput> {
  id: string;
}

/** `GET /v1/smart-lists/:id/contacts`: the list and the page of its contacts. */
export interface CrmSmartListContactsRequest extends PageQuery {
  id: string;
}
