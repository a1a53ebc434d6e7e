import { Injectable } from '@nestjs/common';
import { v5 as uuidv5 } from 'uuid';
import {
  CrmTaskEvent,
  DealsEvent,
  type CloudEvent,
  type CrmTaskCreatedData,
  type DealsDeadlineTaskRequestedData,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { CrmDb } from '../../../database/crm.db';
import { taskSnapshot } from './task.row';

/** Consumer group over `deals.events`, also the inbox's consumer name: never change it. */
export const CRM_DEADLINE_TASKS_GROUP = 'crm.deadline-tasks';

/** Namespace of the task ids derived from a `deals.deadline.task_requested` event id (UUID v5). */
const DEADLINE_TASK_NAMESPACE = '6f1d7c7e-3b0a-4c55-9d5e-0d2b8e6a41c7';

/** The id of the task a `deals.deadline.task_requested` event creates: the same event always gives the same id. */
export function deadlineTaskId(eventId: string): string {
  return uuidv5(`deals.deadline.task_requested:${eventId}`, DEADLINE_TASK_NAMESPACE);
}

/**
 * A contract deadline's date (`YYYY-MM-DD`, a day in the organization's time zone as deals computed
 * it) as the task's due time: the last millisecond of that day in UTC (crm keeps no organization
 * time zone; for the Americas this is still the afternoon or evening of the same local day).
 */
export function deadlineDueAt(dueDate: string): Date {
  return new Date(`${dueDate}T23:59:59.999Z`);
}

/**
 * Contract deadlines become real crm tasks (issue 14 "Triggers and history"): consumer group
 * `crm.deadline-tasks` over `deals.events`. `deals.deadline.task_requested` (emitted when an
 * accepted offer computes the transaction's contract deadlines) creates an open task for
 * `assigneeId` (the transaction's agent): type `reminder`, priority `high`, the event's title, due
 * at the end of the deadline's day, linked to the transaction (`deal_id`), no reminders of its own
 * (deals reminds of key dates itself), created by nobody (the system). The task id is derived from
 * the event id (UUID v5) and inserted `ON CONFLICT DO NOTHING`, on top of the inbox row, so a
 * redelivered or replayed event creates one task. Emits `crm.task.created` (actor `system`), which
 * the notifications service turns into `task_assigned` for the assignee.
 */
@Injectable()
export class DeadlineTasksConsumer {
  /** `deals.deadline.task_requested` → one open task for the transaction's agent. */
  @OnEvent(DealsEvent.deadlineTaskRequested, { group: CRM_DEADLINE_TASKS_GROUP })
  async onDeadlineTaskRequested(event: CloudEvent<DealsDeadlineTaskRequestedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    const id = deadlineTaskId(event.id);
    const created = await kyselyFor<CrmDb>(unit.manager)
      .insertInto('task')
      .values({
        id,
        org_id: event.orgid,
        title: data.title.trim().slice(0, 200) || `Contract deadline: ${data.key.replace(/_/g, ' ')}`,
        type: 'reminder',
        contact_id: null,
        deal_id: data.transactionId,
        listing_id: null,
        assignee_id: data.assigneeId,
        created_by: null,
        due_at: deadlineDueAt(data.dueDate),
        priority: 'high',
        description: `Contract deadline (${data.key.replace(/_/g, ' ')}) on ${data.dueDate}, from the accepted offer ${data.offerId}.`,
        reminders: [],
        recurrence: null,
        series_id: null,
        series_start_at: null,
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!created) return;
    const payload: CrmTaskCreatedData = { ...taskSnapshot(created), previousOccurrenceId: null };
    await unit.emit(CrmTaskEvent.taskCreated, id, event.orgid, payload);
  }
}
