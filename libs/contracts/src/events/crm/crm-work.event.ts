import { defineEvent } from '../event-definition.util';
import type {
  CrmCompanyView,
  CrmSavedReplyChannel,
  CrmTagScope,
  CrmTaskPriority,
  CrmTaskStatus,
  CrmTaskType,
} from '../../rpc/crm/crm-work.rpc';

/**
 * Domain events of tasks, companies, saved replies and tag definitions, published on topic
 * `crm.events` (docs/events/crm-work-events.md), keyed by the task, company, reply or tag id.
 * All version 1.
 */
export const CrmTaskEvent = {
  taskCreated: defineEvent<CrmTaskCreatedData>('crm.task.created'),
  taskUpdated: defineEvent<CrmTaskUpdatedData>('crm.task.updated'),
  taskCompleted: defineEvent<CrmTaskCompletedData>('crm.task.completed'),
  taskDeleted: defineEvent<CrmTaskDeletedData>('crm.task.deleted'),
  /** A reminder offset of an open task was reached (the notifications service delivers it). */
  taskReminderDue: defineEvent<CrmTaskReminderDueData>('crm.task.reminder_due'),
  /** An open task passed its due time (once per due time). */
  taskOverdue: defineEvent<CrmTaskOverdueData>('crm.task.overdue'),
};

export const CrmCompanyEvent = {
  companyCreated: defineEvent<CrmCompanyCreatedData>('crm.company.created'),
  companyUpdated: defineEvent<CrmCompanyUpdatedData>('crm.company.updated'),
  companyDeleted: defineEvent<CrmCompanyDeletedData>('crm.company.deleted'),
};

export const CrmSavedReplyEvent = {
  savedReplyCreated: defineEvent<CrmSavedReplyEventData>('crm.saved_reply.created'),
  savedReplyUpdated: defineEvent<CrmSavedReplyEventData>('crm.saved_reply.updated'),
  savedReplyDeleted: defineEvent<CrmSavedReplyEventData>('crm.saved_reply.deleted'),
};

export const CrmTagEvent = {
  tagCreated: defineEvent<CrmTagEventData>('crm.tag.created'),
  tagUpdated: defineEvent<CrmTagEventData>('crm.tag.updated'),
  tagDeleted: defineEvent<CrmTagEventData>('crm.tag.deleted'),
};

/** What task events carry about the task (`contactId` lets the contact timeline show it). */
export interface CrmTaskEventSnapshot {
  taskId: string;
  title: string;
  type: CrmTaskType;
  contactId: string | null;
  dealId: string | null;
  listingId: string | null;
  assigneeId: string;
  dueAt: string;
  status: CrmTaskStatus;
  priority: CrmTaskPriority;
  recurrence: string | null;
  seriesId: string | null;
}

export type CrmTaskCreatedData = CrmTaskEventSnapshot & {
  /** The completed occurrence this one follows, for a recurring series. */
  previousOccurrenceId: string | null;
};

export type CrmTaskUpdatedData = CrmTaskEventSnapshot & {
  changes: Record<string, { from: unknown; to: unknown }>;
};

export type CrmTaskCompletedData = CrmTaskEventSnapshot & {
  completedAt: string;
  nextOccurrenceId: string | null;
};

export type CrmTaskDeletedData = Pick<CrmTaskEventSnapshot, 'taskId' | 'title' | 'type' | 'contactId' | 'assigneeId' | 'dueAt' | 'status'>;

export type CrmTaskReminderDueData = CrmTaskEventSnapshot & {
  /** Minutes before `dueAt`. */
  offsetMinutes: number;
  remindAt: string;
};

export type CrmTaskOverdueData = CrmTaskEventSnapshot;

export interface CrmCompanyCreatedData {
  company: CrmCompanyView;
}

export interface CrmCompanyUpdatedData {
  companyId: string;
  changes: Record<string, { from: unknown; to: unknown }>;
}

export interface CrmCompanyDeletedData {
  companyId: string;
  name: string;
}

/** Saved reply events carry no body text (it may hold personal data); the owner and name only. */
export interface CrmSavedReplyEventData {
  savedReplyId: string;
  ownerId: string;
  name: string;
  channel: CrmSavedReplyChannel;
}

export interface CrmTagEventData {
  tagId: string;
  name: string;
  colour: string;
  scope: CrmTagScope;
  ownerId: string | null;
  /** On `crm.tag.updated`: what changed (a rename lets holders of the old name follow it). */
  changes?: Record<string, { from: unknown; to: unknown }>;
  /**
   * On `crm.tag.updated` (rename) and `crm.tag.deleted`: how many contacts carried the tag. Their
   * `tags` follow the rename or lose the tag without one `crm.contact.updated` each (docs/adr/0022).
   */
  contactCount?: number;
  /** On `crm.tag.created`: `true` when the tag was created because a contact write named an unknown tag. */
  implicit?: boolean;
}
