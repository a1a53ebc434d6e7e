import type { Selectable } from 'kysely';
import type { CrmTaskEventSnapshot, CrmTaskView } from '@keyhouse/contracts';
import type { CrmDb } from '../../../database/crm.db';

/** A row of `task` as node-postgres returns it (declared by the migrations: `crm.db.ts`, narrowed by `crm.db-overrides.json`). */
export type TaskRow = Selectable<CrmDb['task']>;

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
