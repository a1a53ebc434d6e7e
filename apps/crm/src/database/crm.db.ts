/**
 * Row shapes of the crm service's schema `crm`, generated from its migrations
 * by `node deploy/db-types.js` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or
 * crm.db-overrides.json) and run the command again; `npm test` fails when this file is stale.
 */
import type { PlatformDb } from '@keyhouse/platform/messaging';
import type {
  ContactConsent,
  ContactCustomFields,
  CrmContactPreferences,
  CrmContactScore,
  CrmContactStatus,
  CrmContactType,
  CrmCustomFieldType,
  CrmReferrer,
  CrmScoreReason,
  IntakeDocument,
  TimelineEntryData,
} from './crm-json.type';
import type {
  CrmAssignmentConditions,
  CrmAssignmentStrategy,
  CrmCompanyAddress,
  CrmCompanySize,
  CrmSavedReplyChannel,
  CrmSmartListFilters,
  CrmTagScope,
  CrmTaskPriority,
  CrmTaskStatus,
  CrmTaskType,
  WorkingHoursValue,
} from './crm-work-json.type';
import type { Generated, Int8, JsonColumn, Timestamp } from '@keyhouse/platform/database';

export interface AssignmentLedger {
  agent_id: string;
  assigned: Generated<number>;
  last_assigned_at: Timestamp | null;
  org_id: string;
  pool_id: string;
}

export interface AssignmentRule {
  active: Generated<boolean>;
  agent_ids: Generated<string[]>;
  conditions: Generated<JsonColumn<CrmAssignmentConditions>>;
  created_at: Generated<Timestamp>;
  deleted_at: Timestamp | null;
  id: string;
  name: string;
  org_id: string;
  pond_id: string | null;
  priority: number;
  response_deadline_minutes: number | null;
  rr_position: Generated<Int8>;
  strategy: CrmAssignmentStrategy;
  updated_at: Generated<Timestamp>;
}

export interface Company {
  address: JsonColumn<CrmCompanyAddress> | null;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  deleted_at: Timestamp | null;
  id: string;
  industry: string | null;
  name: string;
  org_id: string;
  phones: Generated<string[]>;
  size: CrmCompanySize | null;
  updated_at: Generated<Timestamp>;
  website: string | null;
}

export interface Contact {
  assigned_at: Timestamp | null;
  assigned_rule_id: string | null;
  assignment_reason: string | null;
  city: string | null;
  client_user_id: string | null;
  company_id: string | null;
  consent: Generated<JsonColumn<ContactConsent>>;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  custom_fields: Generated<JsonColumn<ContactCustomFields>>;
  deleted_at: Timestamp | null;
  do_not_contact: Generated<boolean>;
  emails: Generated<string[]>;
  engagement_count: Generated<number>;
  erased_at: Timestamp | null;
  first_name: string | null;
  full_name: Generated<string>;
  id: string;
  last_activity_at: Timestamp | null;
  last_contacted_at: Timestamp | null;
  last_name: string | null;
  merged_into_id: string | null;
  org_id: string;
  owner_id: string | null;
  phone_suffixes: Generated<string[]>;
  phones: Generated<string[]>;
  pond_id: string | null;
  postal_code: string | null;
  preferences: Generated<JsonColumn<CrmContactPreferences>>;
  referrer: JsonColumn<CrmReferrer> | null;
  respond_by: Timestamp | null;
  score: Generated<CrmContactScore>;
  score_override: CrmContactScore | null;
  score_reasons: Generated<JsonColumn<CrmScoreReason[]>>;
  search_text: Generated<string>;
  source: string | null;
  state: string | null;
  status: Generated<CrmContactStatus>;
  street: string | null;
  tag_ids: Generated<string[]>;
  tags: Generated<string[]>;
  type: CrmContactType | null;
  updated_at: Generated<Timestamp>;
}

export interface ContactAssignment {
  agent_id: string | null;
  assigned_at: Generated<Timestamp>;
  assigned_by: string | null;
  contact_id: string;
  end_reason: string | null;
  ended_at: Timestamp | null;
  id: string;
  org_id: string;
  pond_id: string | null;
  reason: string;
  respond_by: Timestamp | null;
  rule_id: string | null;
  strategy: string;
}

export interface ContactNote {
  author_id: string | null;
  body: string;
  contact_id: string;
  created_at: Generated<Timestamp>;
  deleted_at: Timestamp | null;
  id: string;
  org_id: string;
  pinned: Generated<boolean>;
  updated_at: Generated<Timestamp>;
}

export interface CustomFieldDefinition {
  created_at: Generated<Timestamp>;
  id: string;
  key: string;
  label: string;
  options: Generated<string[]>;
  org_id: string;
  required: Generated<boolean>;
  type: CrmCustomFieldType;
}

export interface FormSubmission {
  answers: Generated<JsonColumn<IntakeDocument>>;
  consent: Generated<JsonColumn<IntakeDocument>>;
  contact_id: string;
  form_type: string;
  id: string;
  idempotency_key: string | null;
  merged: boolean;
  org_id: string;
  received_at: Generated<Timestamp>;
  source: string | null;
  utm: Generated<JsonColumn<IntakeDocument>>;
}

export interface LeadEvent {
  contact_id: string;
  external_id: string;
  id: string;
  merged: boolean;
  occurred_at: Timestamp;
  org_id: string;
  payload: JsonColumn<IntakeDocument>;
  received_at: Generated<Timestamp>;
  source: string;
  type: string;
}

export interface LeadSource {
  archived_at: Timestamp | null;
  created_at: Generated<Timestamp>;
  key: string;
  label: string;
  org_id: string;
  position: number;
  updated_at: Generated<Timestamp>;
}

export interface LeadSourceList {
  defaults_applied_at: Generated<Timestamp>;
  org_id: string;
}

export interface OrgUser {
  capacity: Generated<number>;
  email: Generated<string>;
  is_agent: Generated<boolean>;
  name: Generated<string>;
  org_id: string;
  regions: Generated<string[]>;
  role: string;
  status: string;
  team_ids: Generated<string[]>;
  updated_at: Generated<Timestamp>;
  user_id: string;
  working_hours: JsonColumn<WorkingHoursValue> | null;
}

export interface Pond {
  agent_ids: Generated<string[]>;
  created_at: Generated<Timestamp>;
  deleted_at: Timestamp | null;
  id: string;
  name: string;
  org_id: string;
}

export interface SavedReply {
  body: string;
  channel: Generated<CrmSavedReplyChannel>;
  created_at: Generated<Timestamp>;
  id: string;
  name: string;
  org_id: string;
  owner_id: string;
  subject: string | null;
  updated_at: Generated<Timestamp>;
}

export interface SmartList {
  created_at: Generated<Timestamp>;
  filters: Generated<JsonColumn<CrmSmartListFilters>>;
  id: string;
  name: string;
  org_id: string;
  owner_id: string;
  team_id: string | null;
  updated_at: Generated<Timestamp>;
}

export interface TagDefinition {
  colour: string;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  id: string;
  name: string;
  org_id: string;
  owner_id: string | null;
  scope: CrmTagScope;
  updated_at: Generated<Timestamp>;
}

export interface Task {
  assignee_id: string;
  completed_at: Timestamp | null;
  contact_id: string | null;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  deal_id: string | null;
  description: string | null;
  due_at: Timestamp;
  id: string;
  listing_id: string | null;
  next_occurrence_id: string | null;
  org_id: string;
  overdue_notified_at: Timestamp | null;
  previous_occurrence_id: string | null;
  priority: Generated<CrmTaskPriority>;
  recurrence: string | null;
  reminders: Generated<number[]>;
  series_id: string | null;
  series_start_at: Timestamp | null;
  status: Generated<CrmTaskStatus>;
  title: string;
  type: CrmTaskType;
  updated_at: Generated<Timestamp>;
}

export interface TaskReminder {
  offset_minutes: number;
  org_id: string;
  remind_at: Timestamp;
  sent_at: Timestamp | null;
  task_id: string;
}

export interface TeamMember {
  org_id: string;
  team_id: string;
  user_id: string;
}

export interface TimelineEntry {
  actor_id: string | null;
  contact_id: string;
  data: Generated<JsonColumn<TimelineEntryData>>;
  id: string;
  kind: string;
  occurred_at: Generated<Timestamp>;
  org_id: string;
}

export interface CrmDb extends PlatformDb {
  assignment_ledger: AssignmentLedger;
  assignment_rule: AssignmentRule;
  company: Company;
  contact: Contact;
  contact_assignment: ContactAssignment;
  contact_note: ContactNote;
  custom_field_definition: CustomFieldDefinition;
  form_submission: FormSubmission;
  lead_event: LeadEvent;
  lead_source: LeadSource;
  lead_source_list: LeadSourceList;
  org_user: OrgUser;
  pond: Pond;
  saved_reply: SavedReply;
  smart_list: SmartList;
  tag_definition: TagDefinition;
  task: Task;
  task_reminder: TaskReminder;
  team_member: TeamMember;
  timeline_entry: TimelineEntry;
}
