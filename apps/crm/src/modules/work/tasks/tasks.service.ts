import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { expressionBuilder, sql, type ExpressionBuilder } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  CRM_TASK_REMINDER_MAX_OFFSET_MINUTES,
  CRM_TASK_REMINDERS_MAX,
  CrmTaskEvent,
  CrmTaskSubjects,
  type Actor,
  type CrmAgentTaskListRequest,
  type CrmTaskCompletedData,
  type CrmTaskCreatedData,
  type CrmTaskCreateRequest,
  type CrmTaskDeletedData,
  type CrmTaskListRequest,
  type CrmTaskUpdatedData,
  type CrmTaskUpdateRequest,
  type CrmTaskView,
  type Page,
  type PermissionScope,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor, toPage, type SqlRunner } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { CrmDb } from '../../../database/crm.db';
import { AgentDirectory } from '../../agents/agent-directory.service';
import { contactVisibleTo } from '../../contacts-core/contact-access.util';
import { CrmWorkErrorCode } from '../crm-work.exception';
import { changesBetween, keysetPage, ownershipFilter, parseTime, userIdOf } from '../work-access.util';
import { TaskReminders, type ReminderPlan } from './task-reminders.service';
import { nextOccurrence, normalizeRecurrence } from './task-recurrence.util';
import { taskSnapshot, toTaskView, type TaskRow } from './task.row';

/** Users whose tasks make a task "theirs" for scope checks: the assignee and the creator. */
const TASK_USERS = [expressionBuilder<CrmDb, 'task'>().ref('task.assignee_id'), expressionBuilder<CrmDb, 'task'>().ref('task.created_by')];

/** Reminder offsets: distinct, ascending, whole minutes 0..30 days, at most 5 (400 on `reminders`). */
function normalizeReminders(reminders: number[] | undefined): number[] {
  const list = [...new Set(reminders ?? [])].sort((a, b) => a - b);
  const bad = list.some((offset) => !Number.isInteger(offset) || offset < 0 || offset > CRM_TASK_REMINDER_MAX_OFFSET_MINUTES);
  if (bad || list.length > CRM_TASK_REMINDERS_MAX) {
    throw DomainException.validation([
      {
        field: 'reminders',
        message: `must be at most ${CRM_TASK_REMINDERS_MAX} whole minutes before dueAt, 0..${CRM_TASK_REMINDER_MAX_OFFSET_MINUTES}`,
      },
    ]);
  }
  return list;
}

/** Statuses of users a task may be assigned to. */
const ASSIGNABLE_STATUSES = ['active', 'invited'];

const notFound = () => DomainException.notFound(CrmWorkErrorCode.TaskNotFound, 'Task');

/**
 * Tasks: CRUD, completion (with the next occurrence of a recurring task), lists, and the
 * reminders' bookkeeping. Scope (`tasks:read` / `tasks:write`): `own` reaches tasks assigned to or
 * created by the caller, `team` also those of members of the caller's teams, `org` the
 * organization's. A task out of reach answers 404 (as for another organization's).
 * Assignees: `own` may assign only themselves, `team` themselves or members of their teams,
 * `org` any active or invited user of the organization (users from the identity read model, or
 * from identity for one the read model does not know yet).
 */
@Injectable()
export class TasksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reminders: TaskReminders,
    private readonly unitOfWork: UnitOfWork,
    private readonly directory: AgentDirectory,
  ) {}

  /**
   * `crm.tasks.create`: creates an open task assigned to `assigneeId` (default the caller), plans
   * its reminders (delayed jobs queued after commit) and emits `crm.task.created`. Answers the
   * `CrmTaskView`. 400 on `dueAt`, `reminders`, `recurrence` (`INVALID_RECURRENCE`), `UNKNOWN_ASSIGNEE`
   * or `UNKNOWN_CONTACT`; 403 without `tasks:write`, `USER_ACTOR_REQUIRED` for a system caller,
   * `ASSIGNEE_NOT_ALLOWED` beyond the caller's scope.
   */
  @RpcHandler(CrmTaskSubjects.create)
  async create(envelope: RequestEnvelope<CrmTaskCreateRequest>): Promise<CrmTaskView> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'tasks:write');
    const userId = userIdOf(actor);
    const data = envelope.data;
    const dueAt = parseTime(data.dueAt, 'dueAt');
    const reminders = normalizeReminders(data.reminders);
    const recurrence = data.recurrence ? normalizeRecurrence(data.recurrence) : null;
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const assigneeId = data.assigneeId ?? userId;
      await this.assertAssignable(manager, envelope, scope, assigneeId);
      if (data.contactId) await this.assertContact(manager, actor, data.contactId);
      const id = newId();
      const created = await kyselyFor<CrmDb>(manager)
        .insertInto('task')
        .values({
          id,
          org_id: actor.orgId,
          title: data.title.trim(),
          type: data.type,
          contact_id: data.contactId ?? null,
          deal_id: data.dealId ?? null,
          listing_id: data.listingId ?? null,
          assignee_id: assigneeId,
          created_by: userId,
          due_at: dueAt,
          priority: data.priority ?? 'normal',
          description: data.description ?? null,
          reminders,
          recurrence,
          series_id: recurrence ? id : null,
          series_start_at: recurrence ? dueAt : null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const plan = await this.reminders.replan(manager, created);
      const payload: CrmTaskCreatedData = { ...taskSnapshot(created), previousOccurrenceId: null };
      await unit.emit(CrmTaskEvent.taskCreated, id, actor.orgId, payload);
      unit.afterCommit(() => this.reminders.apply(plan));
      return created;
    });
    return toTaskView(row);
  }

  /** `crm.tasks.get`: the `CrmTaskView` (404 `TASK_NOT_FOUND` when out of the caller's `tasks:read` reach). */
  @RpcHandler(CrmTaskSubjects.get)
  async get(envelope: RequestEnvelope<{ id: string }>): Promise<CrmTaskView> {
    const row = await this.visible(this.dataSource.manager, envelope.actor, 'tasks:read', envelope.data.id, false);
    return toTaskView(row);
  }

  /**
   * `crm.tasks.list`: a page of the tasks the caller reaches with `tasks:read`, filtered, by `dueAt`
   * (keyset cursor). 400 for a bad cursor or due bound; 403 without `tasks:read`.
   */
  @RpcHandler(CrmTaskSubjects.list)
  async list(envelope: RequestEnvelope<CrmTaskListRequest>): Promise<Page<CrmTaskView>> {
    return this.listTasks(envelope.actor, envelope.data);
  }

  /**
   * `crm.tasks.list-for-agent`: tasks assigned to one agent (`GET /v1/agents/:agentId/tasks`),
   * paged and filtered as `list`. 403 `AGENT_NOT_IN_SCOPE` when the caller's `tasks:read` scope
   * does not reach that agent (own: only themselves; team: members of their teams).
   */
  @RpcHandler(CrmTaskSubjects.listForAgent)
  async listForAgent(envelope: RequestEnvelope<CrmAgentTaskListRequest>): Promise<Page<CrmTaskView>> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'tasks:read');
    const { agentId, ...filters } = envelope.data;
    if (agentId !== actor.userId && scope !== 'org') {
      const inTeam = scope === 'team' && (await this.isTeamMember(this.dataSource.manager, actor, agentId));
      if (!inTeam) throw DomainException.forbidden(CrmWorkErrorCode.AgentNotInScope, 'This agent’s tasks are outside your scope');
    }
    return this.listTasks(actor, { ...filters, assigneeId: agentId });
  }

  /**
   * `crm.tasks.update`: changes the given fields (reopen or cancel through `status`); reminders are
   * replanned when the due time, the offsets or the status change. Emits `crm.task.updated` with
   * the changes, nothing when nothing changed. Answers the `CrmTaskView`. 404 `TASK_NOT_FOUND`
   * out of `tasks:write` reach; 400 and 403 as `create`.
   */
  @RpcHandler(CrmTaskSubjects.update)
  async update(envelope: RequestEnvelope<CrmTaskUpdateRequest>): Promise<CrmTaskView> {
    const actor = envelope.actor!;
    const scope = requireScope(actor, 'tasks:write');
    const data = envelope.data;
    const dueAt = data.dueAt !== undefined ? parseTime(data.dueAt, 'dueAt') : undefined;
    const reminders = data.reminders !== undefined ? normalizeReminders(data.reminders) : undefined;
    const recurrence = data.recurrence !== undefined ? (data.recurrence ? normalizeRecurrence(data.recurrence) : null) : undefined;
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.visible(manager, actor, 'tasks:write', data.id, true);
      const next: TaskRow = { ...before };
      if (data.title !== undefined) next.title = data.title.trim();
      if (data.type !== undefined) next.type = data.type;
      if (data.priority !== undefined) next.priority = data.priority;
      if (data.description !== undefined) next.description = data.description;
      if (data.dealId !== undefined) next.deal_id = data.dealId;
      if (data.listingId !== undefined) next.listing_id = data.listingId;
      if (data.contactId !== undefined && data.contactId !== before.contact_id) {
        if (data.contactId) await this.assertContact(manager, actor, data.contactId);
        next.contact_id = data.contactId;
      }
      if (data.assigneeId !== undefined && data.assigneeId !== before.assignee_id) {
        await this.assertAssignable(manager, envelope, scope, data.assigneeId);
        next.assignee_id = data.assigneeId;
      }
      if (dueAt) next.due_at = dueAt;
      if (reminders) next.reminders = reminders;
      if (recurrence !== undefined && recurrence !== before.recurrence) {
        next.recurrence = recurrence;
        // A new rule restarts the series at the task's due time (COUNT counts from there).
        if (recurrence) {
          next.series_id = before.series_id ?? before.id;
          next.series_start_at = next.due_at;
        }
      }
      if (data.status !== undefined && data.status !== before.status) {
        next.status = data.status;
        if (data.status === 'open') next.completed_at = null;
      }
      const changes = changesBetween(this.comparable(before), this.comparable(next));
      if (Object.keys(changes).length === 0) return before;
      const dueMoved = next.due_at.getTime() !== before.due_at.getTime();
      const saved = await kyselyFor<CrmDb>(manager)
        .updateTable('task')
        .set({
          title: next.title,
          type: next.type,
          contact_id: next.contact_id,
          deal_id: next.deal_id,
          listing_id: next.listing_id,
          assignee_id: next.assignee_id,
          due_at: next.due_at,
          status: next.status,
          priority: next.priority,
          description: next.description,
          reminders: next.reminders,
          recurrence: next.recurrence,
          series_id: next.series_id,
          series_start_at: next.series_start_at,
          completed_at: next.completed_at,
          updated_at: sql<Date>`now()`,
          // A new due time can be overdue again.
          ...(dueMoved ? { overdue_notified_at: null } : {}),
        })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const remindersChanged = dueMoved || changes.reminders !== undefined || changes.status !== undefined;
      const plan = remindersChanged ? await this.reminders.replan(manager, saved) : null;
      const payload: CrmTaskUpdatedData = { ...taskSnapshot(saved), changes };
      await unit.emit(CrmTaskEvent.taskUpdated, saved.id, actor.orgId, payload);
      if (plan) unit.afterCommit(() => this.reminders.apply(plan));
      return saved;
    });
    return toTaskView(row);
  }

  /**
   * `crm.tasks.complete`: completes an open task (409 `TASK_NOT_OPEN` otherwise, 404
   * `TASK_NOT_FOUND` out of reach) and answers its `CrmTaskView`. For a recurring task, creates the
   * next occurrence in the same transaction — the rule's first occurrence after the later of the due
   * time and now, so a late completion does not create a task already overdue — unless the series
   * has ended (COUNT/UNTIL). Emits `crm.task.completed` (with `nextOccurrenceId`) and, for the new
   * occurrence, `crm.task.created` (with `previousOccurrenceId`).
   */
  @RpcHandler(CrmTaskSubjects.complete)
  async complete(envelope: RequestEnvelope<{ id: string }>): Promise<CrmTaskView> {
    const actor = envelope.actor!;
    requireScope(actor, 'tasks:write');
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.visible(manager, actor, 'tasks:write', envelope.data.id, true);
      if (before.status !== 'open') {
        throw new DomainException('conflict', CrmWorkErrorCode.TaskNotOpen, `The task is ${before.status}`);
      }
      const plans: ReminderPlan[] = [];
      let nextId: string | null = null;
      if (before.recurrence) {
        const seriesStart = before.series_start_at ?? before.due_at;
        const from = new Date(Math.max(before.due_at.getTime(), Date.now()));
        const nextDue = nextOccurrence(before.recurrence, seriesStart, from);
        if (nextDue) {
          nextId = newId();
          const created = await kyselyFor<CrmDb>(manager)
            .insertInto('task')
            .columns([
              'id',
              'org_id',
              'title',
              'type',
              'contact_id',
              'deal_id',
              'listing_id',
              'assignee_id',
              'created_by',
              'due_at',
              'priority',
              'description',
              'reminders',
              'recurrence',
              'series_id',
              'series_start_at',
              'previous_occurrence_id',
            ])
            .expression((eb) =>
              eb
                .selectFrom('task')
                .select([
                  eb.val(nextId).as('id'),
                  'org_id',
                  'title',
                  'type',
                  'contact_id',
                  'deal_id',
                  'listing_id',
                  'assignee_id',
                  'created_by',
                  eb.val(nextDue).as('due_at'),
                  'priority',
                  'description',
                  'reminders',
                  'recurrence',
                  eb.fn.coalesce('series_id', 'id').as('series_id'),
                  eb.fn.coalesce('series_start_at', 'due_at').as('series_start_at'),
                  'id as previous_occurrence_id',
                ])
                .where('id', '=', before.id),
            )
            .returningAll()
            .executeTakeFirstOrThrow();
          plans.push(await this.reminders.replan(manager, created));
          const payload: CrmTaskCreatedData = { ...taskSnapshot(created), previousOccurrenceId: before.id };
          await unit.emit(CrmTaskEvent.taskCreated, created.id, actor.orgId, payload);
        }
      }
      const saved = await kyselyFor<CrmDb>(manager)
        .updateTable('task')
        .set({ status: 'completed', completed_at: sql<Date>`now()`, updated_at: sql<Date>`now()`, next_occurrence_id: nextId })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      plans.push(await this.reminders.replan(manager, saved));
      const payload: CrmTaskCompletedData = {
        ...taskSnapshot(saved),
        completedAt: saved.completed_at!.toISOString(),
        nextOccurrenceId: nextId,
      };
      await unit.emit(CrmTaskEvent.taskCompleted, saved.id, actor.orgId, payload);
      unit.afterCommit(() => this.reminders.apply(...plans));
      return saved;
    });
    return toTaskView(row);
  }

  /**
   * `crm.tasks.delete`: deletes a task, cancels its pending reminders (jobs removed after commit)
   * and emits `crm.task.deleted`. No content. 404 `TASK_NOT_FOUND` out of `tasks:write` reach.
   */
  @RpcHandler(CrmTaskSubjects.delete)
  async delete(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'tasks:write');
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.visible(manager, actor, 'tasks:write', envelope.data.id, true);
      const plan = await this.reminders.replan(manager, { ...before, status: 'cancelled' });
      await kyselyFor<CrmDb>(manager).deleteFrom('task').where('id', '=', before.id).execute();
      const payload: CrmTaskDeletedData = {
        taskId: before.id,
        title: before.title,
        type: before.type,
        contactId: before.contact_id,
        assigneeId: before.assignee_id,
        dueAt: before.due_at.toISOString(),
        status: before.status,
      };
      await unit.emit(CrmTaskEvent.taskDeleted, before.id, actor.orgId, payload);
      unit.afterCommit(() => this.reminders.apply(plan));
    });
  }

  /**
   * Moves every task of contact `fromContactId` to `intoContactId` (both of organization `orgId`),
   * through `manager` — the contacts module's merge calls this in its unit of work. Sets the
   * tasks' `updated_at`; returns how many moved. No event per task: `crm.contact.merged` says it.
   */
  async moveToContact(manager: EntityManager, orgId: string, fromContactId: string, intoContactId: string): Promise<number> {
    const result = await kyselyFor<CrmDb>(manager)
      .updateTable('task')
      .set({ contact_id: intoContactId, updated_at: sql<Date>`now()` })
      .where('org_id', '=', orgId)
      .where('contact_id', '=', fromContactId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** A filtered page of the tasks `actor` reaches with `tasks:read`, by `dueAt` then id (keyset). 403, 400 as `list`. */
  private async listTasks(actor: Actor | null, data: CrmTaskListRequest): Promise<Page<CrmTaskView>> {
    const visibility = ownershipFilter(actor, 'tasks:read', TASK_USERS);
    let select = kyselyFor<CrmDb>(this.dataSource)
      .selectFrom('task')
      .selectAll()
      .where('org_id', '=', actor!.orgId)
      .where(visibility.where);
    if (data.assigneeId) select = select.where('assignee_id', '=', sql<string>`${data.assigneeId}::uuid`);
    if (data.status) select = select.where('status', '=', data.status);
    if (data.type) select = select.where('type', '=', data.type);
    if (data.contactId) select = select.where('contact_id', '=', sql<string>`${data.contactId}::uuid`);
    if (data.dueFrom) select = select.where('due_at', '>=', parseTime(data.dueFrom, 'dueFrom'));
    if (data.dueTo) select = select.where('due_at', '<', parseTime(data.dueTo, 'dueTo'));
    const overdue = (eb: ExpressionBuilder<CrmDb, 'task'>) => eb.and([eb('status', '=', 'open'), eb('due_at', '<', sql<Date>`now()`)]);
    if (data.overdue === true) select = select.where(overdue);
    if (data.overdue === false) select = select.where((eb) => eb.not(overdue(eb)));
    const direction = data.sort === '-dueAt' ? 'desc' : 'asc';
    const page = keysetPage(data.cursor, data.limit);
    const after = page.after;
    if (after) {
      // The cursor holds the last due time as ISO text: Postgres reads the parameter as timestamptz.
      select = select.where((eb) =>
        eb(eb.refTuple('due_at', 'id'), direction === 'asc' ? '>' : '<', eb.tuple(sql<Date>`${after.v}`, after.id)),
      );
    }
    const rows = await select
      .orderBy('due_at', direction)
      .orderBy('id', direction)
      .limit(page.limit + 1)
      .execute();
    const now = new Date();
    return toPage(
      rows,
      page.limit,
      (row) => ({ v: row.due_at, id: row.id }),
      (row) => toTaskView(row, now),
    );
  }

  /** The task if `actor` reaches it with `permission`, else 404 (also for another organization's). */
  private async visible(
    runner: SqlRunner,
    actor: Actor | null,
    permission: 'tasks:read' | 'tasks:write',
    id: string,
    lock: boolean,
  ): Promise<TaskRow> {
    const visibility = ownershipFilter(actor, permission, TASK_USERS);
    let select = kyselyFor<CrmDb>(runner)
      .selectFrom('task')
      .selectAll()
      .where('id', '=', id)
      .where('org_id', '=', actor!.orgId)
      .where(visibility.where);
    if (lock) select = select.forUpdate();
    const row = await select.executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  private async isTeamMember(runner: SqlRunner, actor: Actor, userId: string): Promise<boolean> {
    const member = await kyselyFor<CrmDb>(runner)
      .selectFrom('org_user')
      .select('user_id')
      .where('user_id', '=', userId)
      .where('org_id', '=', actor.orgId)
      .where('team_ids', '&&', sql<string[]>`${actor.teamIds ?? []}::uuid[]`)
      .executeTakeFirst();
    return member !== undefined;
  }

  /**
   * 400 `UNKNOWN_ASSIGNEE` for a user who is not an active or invited user of the organization
   * (the read model, else identity for a user whose event is not consumed yet: `AgentDirectory`);
   * 403 `ASSIGNEE_NOT_ALLOWED` beyond the caller's scope.
   */
  private async assertAssignable(
    manager: EntityManager,
    envelope: RequestEnvelope,
    scope: PermissionScope,
    assigneeId: string,
  ): Promise<void> {
    const actor = envelope.actor!;
    if (assigneeId === actor.userId) return;
    if (scope === 'own') {
      throw DomainException.forbidden(CrmWorkErrorCode.AssigneeNotAllowed, 'You can assign tasks only to yourself');
    }
    const user = await this.directory.user(manager, envelope, assigneeId, ASSIGNABLE_STATUSES);
    if (!user) {
      throw new DomainException('validation', CrmWorkErrorCode.UnknownAssignee, 'Unknown assignee', [
        { field: 'assigneeId', message: 'is not an active user of the organization', code: CrmWorkErrorCode.UnknownAssignee },
      ]);
    }
    if (scope === 'team' && !user.teamIds.some((team) => (actor.teamIds ?? []).includes(team))) {
      throw DomainException.forbidden(CrmWorkErrorCode.AssigneeNotAllowed, 'You can assign tasks only to members of your teams');
    }
  }

  /** 400 `UNKNOWN_CONTACT` unless the contact exists and the caller may read it. */
  private async assertContact(manager: EntityManager, actor: Actor, contactId: string): Promise<void> {
    const contact = await kyselyFor<CrmDb>(manager)
      .selectFrom('contact as c')
      .select('c.id')
      .where('c.id', '=', contactId)
      .where('c.org_id', '=', actor.orgId)
      .where('c.deleted_at', 'is', null)
      .where(contactVisibleTo(actor, 'contacts:read'))
      .executeTakeFirst();
    if (!contact) {
      throw new DomainException('validation', CrmWorkErrorCode.UnknownContact, 'Unknown contact', [
        { field: 'contactId', message: 'is not a contact you can see', code: CrmWorkErrorCode.UnknownContact },
      ]);
    }
  }

  /** The fields an update reports in `changes`, in API terms. */
  private comparable(row: TaskRow): Record<string, unknown> {
    return {
      title: row.title,
      type: row.type,
      contactId: row.contact_id,
      dealId: row.deal_id,
      listingId: row.listing_id,
      assigneeId: row.assignee_id,
      dueAt: row.due_at.toISOString(),
      status: row.status,
      priority: row.priority,
      description: row.description,
      reminders: row.reminders,
      recurrence: row.recurrence,
    };
  }
}
