import type { CrmTaskEventSnapshot, CrmTaskPriority, CrmTaskStatus, CrmTaskType, CrmTaskView } from '@keyhouse/contracts';

/** A `task` row as read with `TASK_COLUMNS`. */
export interface TaskRow {
  id: string;
  org_id: string;
  title: string;
  type: CrmTaskType;
  contact_id: string | null;
  deal_id: string | null;
  listing_id: string | null;
  assignee_id: string;
  created_by: string | null;
  due_at: Date;
  status: CrmTaskStatus;
  priority: CrmTaskPriority;
  description: string | null;
  reminders: number[];
  recurrence: string | null;
  series_id: string | null;
  series_start_at: Date | null;
  previous_occurrence_id: string | null;
  next_occurrence_id: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export const TASK_COLUMNS = `t.id, t.org_id, t.title, t.type, t.contact_id, t.deal_id, t.listing_id, t.assignee_id, t.created_by,
  t.due_at, t.status, t.priority, t.description, t.reminders, t.recurrence, t.series_id, t.series_start_at,
  t.previous_occurrence_id, t.next_occurrence_id, t.created_at, t.updated_at, t.completed_at`;

/** The API view of a task; `overdue` is computed against `now`. */
export function toTaskView(row: TaskRow, now = new Date()): CrmTaskView {
  return {
    id: row.id,
    title: row.title,
    type: row.type,
    contactId: row.contact_id,
    dealId: row.deal_id,
    listingId: row.listing_id,
    assigneeId: row.assignee_id,
    createdBy: row.created_by,
    dueAt: row.due_at.toISOString(),
    status: row.status,
    priority: row.priority,
    description: row.description,
    reminders: row.reminders,
    recurrence: row.recurrence,
    seriesId: row.series_id,
    nextOccurrenceId: row.next_occurrence_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    overdue: row.status === 'open' && row.due_at.getTime() < now.getTime(),
  };
}

/** What every task event carries about the task. */
export function taskSnapshot(row: TaskRow): CrmTaskEventSnapshot {
  return {
    taskId: row.id,
    title: row.title,
    type: row.type,
    contactId: row.contact_id,
    dealId: row.deal_id,
    listingId: row.listing_id,
    assigneeId: row.assignee_id,
    dueAt: row.due_at.toISOString(),
    status: row.status,
    priority: row.priority,
    recurrence: row.recurrence,
    seriesId: row.series_id,
  };
}

/** `TASK_COLUMNS` without the alias, for `RETURNING`. */
export const TASK_RETURNING = TASK_COLUMNS.replace(/\bt\./g, '');
