import {
  CrmTaskSubjects as T,
  type Actor,
  type CrmTaskCreateRequest,
  type CrmTaskListRequest,
  type CrmTaskView,
} from '@keyhouse/contracts';
import { startService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { TaskReminderJob } from '../../src/modules/work/tasks/task-reminder.job';
import { createContact, crmDataSource, outboxCount, type CrmTestService } from '../support/crm-contacts.util';
import { CrmEventLog } from '../support/crm-event-log.util';
import { seedUsers, userOf } from '../support/crm-users.util';

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

/**
 * Tasks on the crm service alone, over NATS: the rules (assignees by scope, recurrence,
 * completion), reach by owner / team / organization, lists, the events on `crm.events` and the
 * reminder and overdue jobs. The HTTP side (DTO validation, query parsing, route permissions) is
 * apps/gateway/test/integration/crm/crm-http.integration-spec.ts.
 */
describe('crm tasks (crm service over NATS)', () => {
  let crm: CrmTestService;
  let events: CrmEventLog;
  const orgId = newId();
  const teamId = newId();
  const owner = userOf(orgId, 'owner');
  const stranger = userOf(newId(), 'owner');
  const manager = userOf(orgId, 'manager', { teamIds: [teamId] });
  const agent = userOf(orgId, 'agent', { teamIds: [teamId] });
  const otherAgent = userOf(orgId, 'agent');
  const lister = userOf(orgId, 'agent');

  async function createTask(actor: Actor, body: Partial<CrmTaskCreateRequest>): Promise<CrmTaskView> {
    return crm.rpc.call(T.create, { title: 'Call back', type: 'call', dueAt: inMinutes(120), ...body }, actor);
  }

  beforeAll(async () => {
    crm = await startService(startCrm);
    events = new CrmEventLog(crm);
    await events.start();
    await seedUsers(crm, [owner, stranger, manager, agent, otherAgent, lister]);
  });

  afterAll(async () => {
    await events?.stop();
    await crm?.stop();
  });

  describe('crm.tasks.create', () => {
    it('creates a task for the caller with the contract fields and emits crm.task.created with the contactId', async () => {
      const contact = await createContact(crm, agent, { firstName: 'Ann', lastName: 'Buyer', email: 'ann.task@example.test' });
      const created = await crm.rpc.call(
        T.create,
        {
          title: '  Call Ann about financing ',
          type: 'call',
          contactId: contact.id,
          dueAt: '2030-01-07T17:00:00+02:00',
          priority: 'high',
          reminders: [15, 60, 15],
        },
        agent,
      );
      expect(created).toMatchObject({
        title: 'Call Ann about financing',
        type: 'call',
        contactId: contact.id,
        assigneeId: agent.userId,
        createdBy: agent.userId,
        dueAt: '2030-01-07T15:00:00.000Z',
        status: 'open',
        priority: 'high',
        reminders: [15, 60],
        recurrence: null,
        completedAt: null,
        overdue: false,
      });
      expect(await crm.rpc.call(T.get, { id: created.id }, agent)).toEqual(created);
      const { key, event } = await events.waitFor('crm.task.created', created.id);
      expect(key).toBe(created.id);
      expect(event).toMatchObject({
        orgid: orgId,
        actorid: agent.userId,
        data: { taskId: created.id, contactId: contact.id, assigneeId: agent.userId },
      });
    });

    it.each(['FREQ=BOGUS', 'FREQ=DAILY;INTERVAL=-1', 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'not an rrule'])(
      'refuses RRULE %s with INVALID_RECURRENCE naming the field',
      async (rule) => {
        const refused = await refusalOf(
          crm.rpc.call(T.create, { title: 'x', type: 'call', dueAt: inMinutes(60), recurrence: rule }, agent),
        );
        expect(refused.kind).toBe('validation');
        expect(refused.code).toBe('INVALID_RECURRENCE');
        expect(refused.errors?.[0]?.field).toBe('recurrence');
      },
    );

    it('lets an agent assign only themselves, a manager their team members, an admin anyone of the organization', async () => {
      const body = { title: 'x', type: 'email' as const, dueAt: inMinutes(60), assigneeId: otherAgent.userId };
      await expect(crm.rpc.call(T.create, body, agent)).rejects.toMatchObject({ kind: 'forbidden', code: 'ASSIGNEE_NOT_ALLOWED' });
      await expect(crm.rpc.call(T.create, body, manager)).rejects.toMatchObject({ kind: 'forbidden' });
      expect((await createTask(manager, { assigneeId: agent.userId })).assigneeId).toBe(agent.userId);
      expect((await createTask(owner, { assigneeId: otherAgent.userId })).assigneeId).toBe(otherAgent.userId);
      await expect(crm.rpc.call(T.create, { ...body, assigneeId: stranger.userId }, owner)).rejects.toMatchObject({
        kind: 'validation',
        code: 'UNKNOWN_ASSIGNEE',
      });
    });

    it('refuses a contact the caller cannot see with UNKNOWN_CONTACT', async () => {
      const contact = await createContact(crm, agent, { firstName: 'Hidden', lastName: 'Lead', email: 'hidden.task@example.test' });
      await expect(
        crm.rpc.call(T.create, { title: 'x', type: 'call', dueAt: inMinutes(60), contactId: contact.id }, otherAgent),
      ).rejects.toMatchObject({ kind: 'validation', code: 'UNKNOWN_CONTACT' });
    });
  });

  describe('scope and refusals', () => {
    let task: CrmTaskView;
    beforeAll(async () => {
      task = await createTask(agent, { title: 'Agent own task' });
    });

    it('answers not found to an agent who neither holds nor created the task, on every operation', async () => {
      await expect(crm.rpc.call(T.get, { id: task.id }, otherAgent)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(T.update, { id: task.id, title: 'mine now' }, otherAgent)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(T.complete, { id: task.id }, otherAgent)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(T.delete, { id: task.id }, otherAgent)).rejects.toMatchObject({ kind: 'not_found' });
      const list = await crm.rpc.call(T.list, { limit: 100 }, otherAgent);
      expect(list.items.map((t) => t.id)).not.toContain(task.id);
    });

    it('answers not found to a user of another organization on every operation', async () => {
      await expect(crm.rpc.call(T.get, { id: task.id }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(T.update, { id: task.id, title: 'x' }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(T.complete, { id: task.id }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(T.delete, { id: task.id }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await crm.rpc.call(T.list, {}, stranger)).items).toEqual([]);
      expect((await crm.rpc.call(T.listForAgent, { agentId: agent.userId! }, stranger)).items).toEqual([]);
    });

    it('lets the manager of the agent’s team see and change it, but not a task of someone outside the team', async () => {
      await crm.rpc.call(T.get, { id: task.id }, manager);
      await crm.rpc.call(T.update, { id: task.id, priority: 'urgent' }, manager);
      const outside = await createTask(otherAgent, { title: 'Outside the team' });
      await expect(crm.rpc.call(T.get, { id: outside.id }, manager)).rejects.toMatchObject({ kind: 'not_found' });
      await crm.rpc.call(T.get, { id: outside.id }, owner);
    });

    it('lists an agent’s tasks for oneself and one’s team, AGENT_NOT_IN_SCOPE beyond', async () => {
      const own = await crm.rpc.call(T.listForAgent, { agentId: agent.userId!, limit: 100 }, agent);
      expect(own.items.map((t) => t.id)).toContain(task.id);
      expect(own.items.every((t) => t.assigneeId === agent.userId)).toBe(true);
      const byManager = await crm.rpc.call(T.listForAgent, { agentId: agent.userId!, limit: 100 }, manager);
      expect(byManager.items.map((t) => t.id)).toContain(task.id);
      await expect(crm.rpc.call(T.listForAgent, { agentId: agent.userId! }, otherAgent)).rejects.toMatchObject({
        kind: 'forbidden',
        code: 'AGENT_NOT_IN_SCOPE',
      });
      await expect(crm.rpc.call(T.listForAgent, { agentId: otherAgent.userId! }, manager)).rejects.toMatchObject({ kind: 'forbidden' });
    });

    it('refuses a client, who holds no task permission', async () => {
      const client = userOf(orgId, 'client');
      await expect(crm.rpc.call(T.list, {}, client)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(T.create, { title: 'x', type: 'call', dueAt: inMinutes(5) }, client)).rejects.toMatchObject({
        kind: 'forbidden',
      });
    });
  });

  describe('crm.tasks.list', () => {
    it('filters by type, status, due range and overdue, sorts by due time and pages with a cursor', async () => {
      const past = await createTask(lister, { title: 'Past', type: 'email', dueAt: '2020-03-01T10:00:00.000Z' });
      const soon = await createTask(lister, { title: 'Soon', type: 'showing', dueAt: '2031-01-01T10:00:00.000Z' });
      const later = await createTask(lister, { title: 'Later', type: 'showing', dueAt: '2031-06-01T10:00:00.000Z' });
      const done = await createTask(lister, { title: 'Done', type: 'meeting', dueAt: '2031-03-01T10:00:00.000Z' });
      await crm.rpc.call(T.complete, { id: done.id }, lister);
      const ids = async (query: CrmTaskListRequest) => (await crm.rpc.call(T.list, query, lister)).items.map((t) => t.id);

      expect(await ids({})).toEqual([past.id, soon.id, done.id, later.id]);
      expect(await ids({ sort: '-dueAt' })).toEqual([later.id, done.id, soon.id, past.id]);
      expect(await ids({ type: 'showing' })).toEqual([soon.id, later.id]);
      expect(await ids({ status: 'completed' })).toEqual([done.id]);
      expect(await ids({ overdue: true })).toEqual([past.id]);
      expect(await ids({ overdue: false })).toEqual([soon.id, done.id, later.id]);
      expect(await ids({ dueFrom: '2031-01-01T10:00:00.000Z', dueTo: '2031-06-01T10:00:00.000Z' })).toEqual([soon.id, done.id]);
      expect((await crm.rpc.call(T.get, { id: past.id }, lister)).overdue).toBe(true);

      const first = await crm.rpc.call(T.list, { limit: 3 }, lister);
      expect(first.items.map((t) => t.id)).toEqual([past.id, soon.id, done.id]);
      const second = await crm.rpc.call(T.list, { limit: 3, cursor: first.nextCursor! }, lister);
      expect(second.items.map((t) => t.id)).toEqual([later.id]);
      expect(second.nextCursor).toBeNull();
    });
  });

  describe('changes, completion and recurrence', () => {
    it('patches fields and reports the changes in crm.task.updated', async () => {
      const task = await createTask(agent, { title: 'Before' });
      const updated = await crm.rpc.call(T.update, { id: task.id, title: 'After', type: 'follow-up', status: 'cancelled' }, agent);
      expect(updated).toMatchObject({ title: 'After', type: 'follow-up', status: 'cancelled' });
      const { event } = await events.waitFor<{ changes: Record<string, unknown> }>('crm.task.updated', task.id);
      expect(event.data.changes).toEqual({
        title: { from: 'Before', to: 'After' },
        type: { from: 'call', to: 'follow-up' },
        status: { from: 'open', to: 'cancelled' },
      });
    });

    it('completes an open task once: a second completion is a conflict TASK_NOT_OPEN', async () => {
      const task = await createTask(agent, {});
      const done = await crm.rpc.call(T.complete, { id: task.id }, agent);
      expect(done.status).toBe('completed');
      expect(done.completedAt).not.toBeNull();
      expect(done.nextOccurrenceId).toBeNull();
      await expect(crm.rpc.call(T.complete, { id: task.id }, agent)).rejects.toMatchObject({ kind: 'conflict', code: 'TASK_NOT_OPEN' });
      const { event } = await events.waitFor('crm.task.completed', task.id);
      expect(event.data).toMatchObject({ taskId: task.id, status: 'completed', nextOccurrenceId: null });
    });

    it('creates the next occurrence of a weekly task on completion, until COUNT is reached', async () => {
      // 2030-01-07 is a Monday.
      const first = await createTask(agent, {
        title: 'Weekly pipeline review',
        type: 'meeting',
        dueAt: '2030-01-07T15:00:00.000Z',
        recurrence: 'RRULE:FREQ=WEEKLY;COUNT=2',
        reminders: [30],
      });
      expect(first.recurrence).toBe('FREQ=WEEKLY;COUNT=2');
      expect(first.seriesId).toBe(first.id);
      const completed = await crm.rpc.call(T.complete, { id: first.id }, agent);
      expect(completed.nextOccurrenceId).toEqual(expect.any(String));
      const second = await crm.rpc.call(T.get, { id: completed.nextOccurrenceId! }, agent);
      expect(second).toMatchObject({
        title: 'Weekly pipeline review',
        type: 'meeting',
        dueAt: '2030-01-14T15:00:00.000Z',
        status: 'open',
        assigneeId: agent.userId,
        recurrence: 'FREQ=WEEKLY;COUNT=2',
        seriesId: first.id,
        reminders: [30],
      });
      const created = await events.waitFor('crm.task.created', second.id);
      expect(created.event.data).toMatchObject({ previousOccurrenceId: first.id });
      const last = await crm.rpc.call(T.complete, { id: second.id }, agent);
      expect(last.status).toBe('completed');
      expect(last.nextOccurrenceId).toBeNull();
    });

    it('deletes a task: then not found, and crm.task.deleted carries the contact', async () => {
      const task = await createTask(agent, {});
      await crm.rpc.call(T.delete, { id: task.id }, agent);
      await expect(crm.rpc.call(T.get, { id: task.id }, agent)).rejects.toMatchObject({ kind: 'not_found' });
      const { event } = await events.waitFor('crm.task.deleted', task.id);
      expect(event.data).toMatchObject({ taskId: task.id, contactId: null, assigneeId: agent.userId });
    });
  });

  describe('reminders and overdue detection', () => {
    it('publishes crm.task.reminder_due on Kafka when the offset is reached, and not for a rescheduled or completed task', async () => {
      const moved = await createTask(agent, { title: 'Moved', dueAt: new Date(Date.now() + 65_000).toISOString(), reminders: [1] });
      const completed = await createTask(agent, {
        title: 'Completed early',
        dueAt: new Date(Date.now() + 65_000).toISOString(),
        reminders: [1],
      });
      await crm.rpc.call(T.update, { id: moved.id, dueAt: inMinutes(180) }, agent);
      await crm.rpc.call(T.complete, { id: completed.id }, agent);
      const dueAt = new Date(Date.now() + 67_000);
      const remindAt = dueAt.getTime() - 60_000;
      const task = await createTask(agent, { title: 'Showing at Elm St', type: 'showing', dueAt: dueAt.toISOString(), reminders: [1, 30] });

      const received = await events.waitFor<{ offsetMinutes: number; remindAt: string }>('crm.task.reminder_due', task.id, 20_000);
      expect(received.receivedAt).toBeGreaterThanOrEqual(remindAt);
      expect(received.event.data).toMatchObject({
        taskId: task.id,
        assigneeId: agent.userId,
        offsetMinutes: 1,
        remindAt: new Date(remindAt).toISOString(),
        dueAt: task.dueAt,
      });
      expect(received.event.actortype).toBe('system');
      // The other two were due a few seconds earlier.
      expect(events.of('crm.task.reminder_due', moved.id)).toEqual([]);
      expect(events.of('crm.task.reminder_due', completed.id)).toEqual([]);
      expect(await outboxCount(crm, 'crm.task.reminder_due', moved.id)).toBe(0);
      expect(await outboxCount(crm, 'crm.task.reminder_due', completed.id)).toBe(0);
    });

    it('emits a reminder once when its job runs twice', async () => {
      const task = await createTask(agent, { dueAt: inMinutes(600), reminders: [120] });
      const job = crm.app.get(TaskReminderJob);
      const data = {
        orgId,
        taskId: task.id,
        offsetMinutes: 120,
        remindAt: new Date(new Date(task.dueAt).getTime() - 120 * 60_000).toISOString(),
      };
      const runs = await Promise.all([job.remind({ data }), job.remind({ data })]);
      expect(runs.filter(Boolean)).toHaveLength(1);
      expect(await job.remind({ data })).toBe(false);
      expect(await outboxCount(crm, 'crm.task.reminder_due', task.id)).toBe(1);
    });

    it('emits crm.task.overdue once per due time, again after the due time moves and passes', async () => {
      const task = await createTask(agent, { title: 'Already late', dueAt: new Date(Date.now() - 60_000).toISOString() });
      const job = crm.app.get(TaskReminderJob);
      await job.sweep();
      await job.sweep();
      const { event } = await events.waitFor('crm.task.overdue', task.id);
      expect(event.data).toMatchObject({ taskId: task.id, assigneeId: agent.userId, status: 'open' });
      expect(await outboxCount(crm, 'crm.task.overdue', task.id)).toBe(1);
      await crm.rpc.call(T.update, { id: task.id, dueAt: new Date(Date.now() - 1_000).toISOString() }, agent);
      await job.sweep();
      expect(await outboxCount(crm, 'crm.task.overdue', task.id)).toBe(2);
      const done = await createTask(agent, { dueAt: new Date(Date.now() - 60_000).toISOString() });
      await crm.rpc.call(T.complete, { id: done.id }, agent);
      await job.sweep();
      expect(await outboxCount(crm, 'crm.task.overdue', done.id)).toBe(0);
    });

    it('sends a reminder whose delayed job was lost from the sweep', async () => {
      const task = await createTask(agent, { dueAt: inMinutes(600), reminders: [5] });
      // As if the enqueue after commit had failed: the row is due, no job will run it.
      await crmDataSource(crm).query(`UPDATE task_reminder SET remind_at = now() - interval '1 second' WHERE task_id = $1`, [task.id]);
      await crm.app.get(TaskReminderJob).sweep();
      expect(await outboxCount(crm, 'crm.task.reminder_due', task.id)).toBe(1);
    });
  });
});
