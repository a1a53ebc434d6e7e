/**
 * Row shapes of the crm service's schema `crm`, generated from its migrations
 * by `node deploy/db-types.js` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or
 * crm.db-overrides.json) and run the command again; `npm test` fails when this file is stale.
 */
import type { Generated, Int8, Json, Timestamp } from '@keyhouse/platform/database';

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
  conditions: Generated<Json>;
  created_at: Generated<Timestamp>;
  deleted_at: Timestamp | null;
  id: string;
  name: string;
  org_id: string;
  pond_id: string | null;
  priority: number;
  response_deadline_minutes: number | null;
  rr_position: Generated<Int8>;
  strategy: string;
  updated_at: Generated<Timestamp>;
}

export interface Company {
  address: Json | null;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  deleted_at: Timestamp | null;
  id: string;
  industry: string | null;
  name: string;
  org_id: string;
  phones: Generated<string[]>;
  size: string | null;
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
  consent: Generated<Json>;
  created_at: Generated<Timestamp>;
  created_by: string | null;
  custom_fields: Generated<Json>;
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
  preferences: Generated<Json>;
  referrer: Json | null;
  respond_by: Timestamp | null;
  score: Generated<string>;
  score_override: string | null;
  score_reasons: Generated<Json>;
  search_text: Generated<string>;
  source: string | null;
  state: string | null;
  status: Generated<string>;
  street: string | null;
  tag_ids: Generated<string[]>;
  tags: Generated<string[]>;
  type: string | null;
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
  type: string;
}

export interface FormSubmission {
  answers: Generated<Json>;
  consent: Generated<Json>;
  contact_id: string;
  form_type: string;
  id: string;
  idempotency_key: string | null;
  merged: boolean;
  org_id: string;
  received_at: Generated<Timestamp>;
  source: string | null;
  utm: Generated<Json>;
}

export interface InboxEvent {
  consumer: string;
  event_id: string;
  event_type: string;
  received_at: Generated<Timestamp>;
}

export interface LeadEvent {
  contact_id: string;
  external_id: string;
  id: string;
  merged: boolean;
  occurred_at: Timestamp;
  org_id: string;
  payload: Json;
  received_at: Generated<Timestamp>;
  source: string;
  type: string;
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
  working_hours: Json | null;
}

export interface OutboxEvent {
  attempts: Generated<number>;
  created_at: Generated<Timestamp>;
  event_type: string;
  headers: Generated<Json>;
  id: string;
  last_error: string | null;
  message_key: string;
  parked_at: Timestamp | null;
  payload: Json;
  published_at: Timestamp | null;
  seq: Generated<Int8>;
  topic: string;
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
  channel: Generated<string>;
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
  filters: Generated<Json>;
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
  scope: string;
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
  priority: Generated<string>;
  recurrence: string | null;
  reminders: Generated<number[]>;
  series_id: string | null;
  series_start_at: Timestamp | null;
  status: Generated<string>;
  title: string;
  type: string;
  updated_at: Generated<Timestamp>;
}

export interface TaskReminder {
  offset_minutes: number;
  org_id: string;
  remind_at: Timestamp;
  sent_at: Timestamp | null;
  task_id: string;
}

export interface TimelineEntry {
  actor_id: string | null;
  contact_id: string;
  data: Generated<Json>;
  id: string;
  kind: string;
  occurred_at: Generated<Timestamp>;
  org_id: string;
}

export interface CrmDb {
  assignment_ledger: AssignmentLedger;
  assignment_rule: AssignmentRule;
  company: Company;
  contact: Contact;
  contact_assignment: ContactAssignment;
  contact_note: ContactNote;
  custom_field_definition: CustomFieldDefinition;
  form_submission: FormSubmission;
  inbox_event: InboxEvent;
  lead_event: LeadEvent;
  org_user: OrgUser;
  outbox_event: OutboxEvent;
  pond: Pond;
  saved_reply: SavedReply;
  smart_list: SmartList;
  tag_definition: TagDefinition;
  task: Task;
  task_reminder: TaskReminder;
  timeline_entry: TimelineEntry;
}
