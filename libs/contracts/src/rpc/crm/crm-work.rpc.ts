/**
 * NATS contracts (subject + request + reply) and payloads of the agent's working tools in the crm
 * service: tasks, companies, saved replies and tag definitions (docs/adr/0010-crm-work-tools.md).
 * Every delete answers no content (`null` on the wire).
 */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

// ---------------------------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------------------------

export const CrmTaskSubjects = {
  create: defineRpc<CrmTaskCreateRequest, CrmTaskView>('crm.tasks.create'),
  list: defineRpc<CrmTaskListRequest, Page<CrmTaskView>>('crm.tasks.list'),
  get: defineRpc<{ id: string }, CrmTaskView>('crm.tasks.get'),
  update: defineRpc<CrmTaskUpdateRequest, CrmTaskView>('crm.tasks.update'),
  delete: defineRpc<{ id: string }, void>('crm.tasks.delete'),
  complete: defineRpc<{ id: string }, CrmTaskView>('crm.tasks.complete'),
  listForAgent: defineRpc<CrmAgentTaskListRequest, Page<CrmTaskView>>('crm.tasks.list-for-agent'),
};

export const CRM_TASK_TYPES = ['call', 'email', 'meeting', 'showing', 'follow-up', 'reminder'] as const;
export type CrmTaskType = (typeof CRM_TASK_TYPES)[number];

export const CRM_TASK_STATUSES = ['open', 'completed', 'cancelled'] as const;
export type CrmTaskStatus = (typeof CRM_TASK_STATUSES)[number];

export const CRM_TASK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type CrmTaskPriority = (typeof CRM_TASK_PRIORITIES)[number];

/** Reminder offsets are whole minutes before `dueAt`, 0 (at the due time) to 30 days; at most 5 per task. */
export const CRM_TASK_REMINDER_MAX_OFFSET_MINUTES = 30 * 24 * 60;
export const CRM_TASK_REMINDERS_MAX = 5;

/**
 * A task. Times are UTC ISO 8601 with milliseconds. `overdue` is computed at read time: open and
 * `dueAt` in the past. `recurrence` is an RFC 5545 RRULE (without DTSTART: the series starts at the
 * first occurrence's `dueAt`); completing a recurring task creates the next occurrence, whose id is
 * then `nextOccurrenceId`. `seriesId` is the id of the first task of a recurring series.
 */
export interface CrmTaskView {
  id: string;
  title: string;
  type: CrmTaskType;
  contactId: string | null;
  dealId: string | null;
  listingId: string | null;
  assigneeId: string;
  createdBy: string | null;
  dueAt: string;
  status: CrmTaskStatus;
  priority: CrmTaskPriority;
  description: string | null;
  /** Minutes before `dueAt`, ascending, distinct. */
  reminders: number[];
  recurrence: string | null;
  seriesId: string | null;
  nextOccurrenceId: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  overdue: boolean;
}

export interface CrmTaskCreateRequest {
  title: string;
  type: CrmTaskType;
  contactId?: string | null;
  dealId?: string | null;
  listingId?: string | null;
  /** Defaults to the caller. Agents (scope own) may assign only themselves; managers their teams' members. */
  assigneeId?: string;
  dueAt: string;
  priority?: CrmTaskPriority;
  description?: string | null;
  reminders?: number[];
  recurrence?: string | null;
}

export interface CrmTaskUpdateRequest {
  id: string;
  title?: string;
  type?: CrmTaskType;
  contactId?: string | null;
  dealId?: string | null;
  listingId?: string | null;
  assigneeId?: string;
  dueAt?: string;
  /** Reopen (`open`) or cancel (`cancelled`); completing goes through `complete`. */
  status?: 'open' | 'cancelled';
  priority?: CrmTaskPriority;
  description?: string | null;
  reminders?: number[];
  recurrence?: string | null;
}

export interface CrmTaskListRequest extends PageQuery {
  assigneeId?: string;
  status?: CrmTaskStatus;
  type?: CrmTaskType;
  contactId?: string;
  /** Inclusive lower bound of `dueAt` (ISO 8601). */
  dueFrom?: string;
  /** Exclusive upper bound of `dueAt` (ISO 8601). */
  dueTo?: string;
  /** true: open and past due; false: not overdue. */
  overdue?: boolean;
  /** `dueAt` ascending (default) or `-dueAt` descending; ties by id. */
  sort?: 'dueAt' | '-dueAt';
}

export interface CrmAgentTaskListRequest extends Omit<CrmTaskListRequest, 'assigneeId'> {
  agentId: string;
}

// ---------------------------------------------------------------------------------------------
// Companies
// ---------------------------------------------------------------------------------------------

export const CrmCompanySubjects = {
  create: defineRpc<CrmCompanyCreateRequest, CrmCompanyView>('crm.companies.create'),
  list: defineRpc<CrmCompanyListRequest, Page<CrmCompanyView>>('crm.companies.list'),
  /** With `contactCount`. */
  get: defineRpc<{ id: string }, CrmCompanyView>('crm.companies.get'),
  update: defineRpc<CrmCompanyUpdateRequest, CrmCompanyView>('crm.companies.update'),
  delete: defineRpc<{ id: string }, void>('crm.companies.delete'),
};

/** Head-count bands (employees). */
export const CRM_COMPANY_SIZES = ['1-10', '11-50', '51-200', '201-500', '501-1000', '1001+'] as const;
export type CrmCompanySize = (typeof CRM_COMPANY_SIZES)[number];

export interface CrmCompanyAddress {
  street?: string | null;
  city?: string | null;
  state?: string | null;
  postalCode?: string | null;
  /** ISO 3166-1 alpha-2. */
  country?: string | null;
}

/**
 * A company (an employer, a relocation firm, a builder, an investor entity). `phones` are E.164.
 * `contactCount` (only on `get`) counts the non-deleted contacts linked by `companyId` that the
 * caller may see with `contacts:read`; null when the caller does not hold it.
 */
export interface CrmCompanyView {
  id: string;
  name: string;
  industry: string | null;
  size: CrmCompanySize | null;
  website: string | null;
  phones: string[];
  address: CrmCompanyAddress | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  contactCount?: number | null;
}

export interface CrmCompanyCreateRequest {
  name: string;
  industry?: string | null;
  size?: CrmCompanySize | null;
  website?: string | null;
  /** Any common notation; normalized to E.164 (default region US). */
  phones?: string[];
  address?: CrmCompanyAddress | null;
}

export interface CrmCompanyUpdateRequest extends Partial<CrmCompanyCreateRequest> {
  id: string;
}

export interface CrmCompanyListRequest extends PageQuery {
  /** Case-insensitive substring of the name (trigram-indexed). */
  q?: string;
  industry?: string;
}

// ---------------------------------------------------------------------------------------------
// Saved replies
// ---------------------------------------------------------------------------------------------

export const CrmSavedReplySubjects = {
  create: defineRpc<CrmSavedReplyCreateRequest, CrmSavedReplyView>('crm.saved-replies.create'),
  list: defineRpc<CrmSavedReplyListRequest, Page<CrmSavedReplyView>>('crm.saved-replies.list'),
  get: defineRpc<{ id: string }, CrmSavedReplyView>('crm.saved-replies.get'),
  update: defineRpc<CrmSavedReplyUpdateRequest, CrmSavedReplyView>('crm.saved-replies.update'),
  delete: defineRpc<{ id: string }, void>('crm.saved-replies.delete'),
  render: defineRpc<CrmSavedReplyRenderRequest, CrmSavedReplyRendered>('crm.saved-replies.render'),
};

/** Placeholders a saved reply may use as `{{name}}`. */
export const CRM_SAVED_REPLY_PLACEHOLDERS = [
  'contact.firstName',
  'contact.lastName',
  'contact.fullName',
  'contact.email',
  'contact.phone',
  'agent.name',
  'agent.firstName',
  'agent.email',
  'agent.phone',
  'organization.name',
  'listing.address',
  'listing.price',
] as const;

export const CRM_SAVED_REPLY_CHANNELS = ['any', 'email', 'sms'] as const;
export type CrmSavedReplyChannel = (typeof CRM_SAVED_REPLY_CHANNELS)[number];

/** A canned response of one user. `placeholders` lists those used; `unknownPlaceholders` those not in the catalogue. */
export interface CrmSavedReplyView {
  id: string;
  name: string;
  channel: CrmSavedReplyChannel;
  subject: string | null;
  body: string;
  placeholders: string[];
  unknownPlaceholders: string[];
  createdAt: string;
  updatedAt: string;
}

export interface CrmSavedReplyCreateRequest {
  name: string;
  channel?: CrmSavedReplyChannel;
  subject?: string | null;
  body: string;
}

export interface CrmSavedReplyUpdateRequest extends Partial<CrmSavedReplyCreateRequest> {
  id: string;
}

export interface CrmSavedReplyListRequest extends PageQuery {
  q?: string;
  channel?: CrmSavedReplyChannel;
}

export interface CrmSavedReplyRenderRequest {
  id: string;
  /**
   * Placeholder name → text, e.g. `{ "contact.firstName": "Ann" }`. Any JSON value may arrive (the
   * gateway checks only that it is an object); the crm service refuses one that is not text of at
   * most 2,000 characters with 400 `INVALID_PLACEHOLDER_VALUE`.
   */
  values?: Record<string, unknown>;
  /** Fills `contact.*` from this contact (when the caller may read it); explicit values win. */
  contactId?: string;
}

/**
 * A rendered reply. Known placeholders without a value become empty text and are listed in
 * `missingValues`; unknown placeholders are left as written and listed in `unknownPlaceholders`.
 */
export interface CrmSavedReplyRendered {
  id: string;
  subject: string | null;
  body: string;
  unknownPlaceholders: string[];
  missingValues: string[];
}

// ---------------------------------------------------------------------------------------------
// Tag definitions
// ---------------------------------------------------------------------------------------------

export const CrmTagSubjects = {
  create: defineRpc<CrmTagCreateRequest, CrmTagView>('crm.tags.create'),
  list: defineRpc<CrmTagListRequest, Page<CrmTagView>>('crm.tags.list'),
  get: defineRpc<{ id: string }, CrmTagView>('crm.tags.get'),
  update: defineRpc<CrmTagUpdateRequest, CrmTagView>('crm.tags.update'),
  delete: defineRpc<{ id: string }, void>('crm.tags.delete'),
};

export const CRM_TAG_SCOPES = ['org', 'personal'] as const;
export type CrmTagScope = (typeof CRM_TAG_SCOPES)[number];

/**
 * A tag definition: a name other resources carry (contacts' `tags`), with a colour. `org` tags are
 * shared by the organization (managed with `contacts:write` at org scope); `personal` tags belong
 * to `ownerId` and only they see them. Names are unique (case-insensitive) per organization for
 * `org` tags and per owner for `personal` tags.
 */
export interface CrmTagView {
  id: string;
  name: string;
  /** `#rrggbb`, lower case. */
  colour: string;
  scope: CrmTagScope;
  ownerId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CrmTagCreateRequest {
  name: string;
  colour: string;
  scope?: CrmTagScope;
}

export interface CrmTagUpdateRequest {
  id: string;
  name?: string;
  colour?: string;
}

export interface CrmTagListRequest extends PageQuery {
  scope?: CrmTagScope;
  q?: string;
}
