import { TaskReminderJob } from '../../../../crm/src/modules/work/tasks/task-reminder.job';
import { createContact } from '../../support/crm-fixtures';
import { CrmEventLog, crmDataSource, outboxCount, waitForUsersInCrm, type ProblemBody } from '../../support/crm-work-fixtures';
import { createUser, registerOrganization, type Session } from '../../support/fixtures';
import { startStack, type TestStack } from '../../support/stack';

interface TaskJson {
  id: string;
  title: string;
  type: string;
  contactId: string | null;
  assigneeId: string;
  createdBy: string | null;
  dueAt: string;
  status: string;
  priority: string;
  reminders: number[];
  recurrence: string | null;
  seriesId: string | null;
  nextOccurrenceId: string | null;
  completedAt: string | null;
  overdue: boolean;
}

interface TaskPage {
  items: TaskJson[];
  nextCursor: string | null;
}

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe('Tasks through the gateway', () => {
  let stack: TestStack;
  let events: CrmEventLog;
  let owner: Session;
  let manager: Session;
  let agent: Session;
  let otherAgent: Session;
  let lister: Session;
  let stranger: Session;
  let teamId: string;

  async function createTask(session: Session, body: Record<string, unknown>): Promise<TaskJson> {
    const response = await stack.http.post<TaskJson>(
      '/v1/tasks',
      { title: 'Call back', type: 'call', dueAt: inMinutes(120), ...body },
      { token: session.accessToken },
    );
    if (response.status !== 201) throw new Error(`create task failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm'] });
    events = new CrmEventLog(stack);
    await events.start();
    owner = await registerOrganization(stack.http);
    stranger = await registerOrganization(stack.http, 'Other Brokerage');
    const team = await stack.http.post<{ id: string }>('/v1/teams', { name: 'North' }, { token: owner.accessToken });
    teamId = team.body.id;
    manager = await createUser(stack.http, owner, 'manager', { teamIds: [teamId] });
    agent = await createUser(stack.http, owner, 'agent', { teamIds: [teamId] });
    otherAgent = await createUser(stack.http, owner, 'agent');
    lister = await createUser(stack.http, owner, 'agent');
    await waitForUsersInCrm(stack, [
      { userId: lister.userId },
      { userId: manager.userId, teamIds: [teamId] },
      { userId: agent.userId, teamIds: [teamId] },
      { userId: otherAgent.userId },
    ]);
  });

  afterAll(async () => {
    await events?.stop();
    await stack?.stop();
  });

  describe('POST /v1/tasks', () => {
    it('creates a task for the caller with the contract fields and emits crm.task.created with the contactId', async () => {
      const contact = await createContact(stack.http, agent.accessToken, {
        firstName: 'Ann',
        lastName: 'Buyer',
        email: 'ann.task@example.test',
      });
      const response = await stack.http.post<TaskJson>(
        '/v1/tasks',
        {
          title: '  Call Ann about financing ',
          type: 'call',
          contactId: contact.id,
          dueAt: '2030-01-07T17:00:00+02:00',
          priority: 'high',
          reminders: [15, 60, 15],
        },
        { token: agent.accessToken },
      );
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
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
      const fetched = await stack.http.get<TaskJson>(`/v1/tasks/${response.body.id}`, { token: agent.accessToken });
      expect(fetched.body).toEqual(response.body);
      const { key, event } = await events.waitFor('crm.task.created', response.body.id);
      expect(key).toBe(response.body.id);
      expect(event).toMatchObject({
        orgid: owner.orgId,
        actorid: agent.userId,
        data: { taskId: response.body.id, contactId: contact.id, assigneeId: agent.userId },
      });
    });

    it.each([
      ['a type outside the list', { type: 'visit' }, 'type'],
      ['an unknown field', { colour: 'red' }, 'colour'],
      ['a due time without a zone', { dueAt: '2030-01-07T17:00:00' }, 'dueAt'],
      ['a negative reminder', { reminders: [-5] }, 'reminders'],
      ['an empty title', { title: '   ' }, 'title'],
    ])('answers 400 naming the field for %s', async (_label, change, field) => {
      const response = await stack.http.post<ProblemBody>(
        '/v1/tasks',
        { title: 'x', type: 'call', dueAt: inMinutes(60), ...change },
        { token: agent.accessToken },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors?.map((error) => error.field)).toContain(field);
    });

    it.each(['FREQ=BOGUS', 'FREQ=DAILY;INTERVAL=-1', 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'not an rrule'])(
      'answers 400 INVALID_RECURRENCE for RRULE %s',
      async (rule) => {
        const response = await stack.http.post<ProblemBody>(
          '/v1/tasks',
          { title: 'x', type: 'call', dueAt: inMinutes(60), recurrence: rule },
          { token: agent.accessToken },
        );
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('INVALID_RECURRENCE');
        expect(response.body.errors?.[0]?.field).toBe('recurrence');
      },
    );

    it('lets an agent assign only themselves, a manager their team members, an admin anyone of the organization', async () => {
      const agentToOther = await stack.http.post<ProblemBody>(
        '/v1/tasks',
        { title: 'x', type: 'email', dueAt: inMinutes(60), assigneeId: otherAgent.userId },
        { token: agent.accessToken },
      );
      expect(agentToOther.status).toBe(403);
      expect(agentToOther.body.code).toBe('ASSIGNEE_NOT_ALLOWED');
      const managerOutsideTeam = await stack.http.post<ProblemBody>(
        '/v1/tasks',
        { title: 'x', type: 'email', dueAt: inMinutes(60), assigneeId: otherAgent.userId },
        { token: manager.accessToken },
      );
      expect(managerOutsideTeam.status).toBe(403);
      expect((await createTask(manager, { assigneeId: agent.userId })).assigneeId).toBe(agent.userId);
      expect((await createTask(owner, { assigneeId: otherAgent.userId })).assigneeId).toBe(otherAgent.userId);
      const unknown = await stack.http.post<ProblemBody>(
        '/v1/tasks',
        { title: 'x', type: 'email', dueAt: inMinutes(60), assigneeId: stranger.userId },
        { token: owner.accessToken },
      );
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('UNKNOWN_ASSIGNEE');
    });

    it('refuses a contact the caller cannot see with 400 UNKNOWN_CONTACT', async () => {
      const contact = await createContact(stack.http, agent.accessToken, {
        firstName: 'Hidden',
        lastName: 'Lead',
        email: 'hidden.task@example.test',
      });
      const response = await stack.http.post<ProblemBody>(
        '/v1/tasks',
        { title: 'x', type: 'call', dueAt: inMinutes(60), contactId: contact.id },
        { token: otherAgent.accessToken },
      );
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('UNKNOWN_CONTACT');
    });
  });

  describe('scope and refusals', () => {
    let task: TaskJson;
    beforeAll(async () => {
      task = await createTask(agent, { title: 'Agent own task' });
    });

    it('answers 404 to an agent who neither holds nor created the task, on every route', async () => {
      const token = otherAgent.accessToken;
      expect((await stack.http.get(`/v1/tasks/${task.id}`, { token })).status).toBe(404);
      expect((await stack.http.patch(`/v1/tasks/${task.id}`, { title: 'mine now' }, { token })).status).toBe(404);
      expect((await stack.http.post(`/v1/tasks/${task.id}/complete`, undefined, { token })).status).toBe(404);
      expect((await stack.http.delete(`/v1/tasks/${task.id}`, { token })).status).toBe(404);
      const list = await stack.http.get<TaskPage>('/v1/tasks?limit=100', { token });
      expect(list.body.items.map((t) => t.id)).not.toContain(task.id);
    });

    it('answers 404 to a user of another organization on every route', async () => {
      const token = stranger.accessToken;
      expect((await stack.http.get(`/v1/tasks/${task.id}`, { token })).status).toBe(404);
      expect((await stack.http.patch(`/v1/tasks/${task.id}`, { title: 'x' }, { token })).status).toBe(404);
      expect((await stack.http.post(`/v1/tasks/${task.id}/complete`, undefined, { token })).status).toBe(404);
      expect((await stack.http.delete(`/v1/tasks/${task.id}`, { token })).status).toBe(404);
      expect((await stack.http.get<TaskPage>('/v1/tasks', { token })).body.items).toEqual([]);
      expect((await stack.http.get<TaskPage>(`/v1/agents/${agent.userId}/tasks`, { token })).body.items).toEqual([]);
    });

    it('lets the manager of the agent’s team see and change it, but not a task of someone outside the team', async () => {
      expect((await stack.http.get(`/v1/tasks/${task.id}`, { token: manager.accessToken })).status).toBe(200);
      expect((await stack.http.patch(`/v1/tasks/${task.id}`, { priority: 'urgent' }, { token: manager.accessToken })).status).toBe(200);
      const outside = await createTask(otherAgent, { title: 'Outside the team' });
      expect((await stack.http.get(`/v1/tasks/${outside.id}`, { token: manager.accessToken })).status).toBe(404);
      expect((await stack.http.get(`/v1/tasks/${outside.id}`, { token: owner.accessToken })).status).toBe(200);
    });

    it('answers /v1/agents/:agentId/tasks for oneself and one’s team, 403 AGENT_NOT_IN_SCOPE beyond', async () => {
      const own = await stack.http.get<TaskPage>(`/v1/agents/${agent.userId}/tasks?limit=100`, { token: agent.accessToken });
      expect(own.status).toBe(200);
      expect(own.body.items.map((t) => t.id)).toContain(task.id);
      expect(own.body.items.every((t) => t.assigneeId === agent.userId)).toBe(true);
      const byManager = await stack.http.get<TaskPage>(`/v1/agents/${agent.userId}/tasks?limit=100`, { token: manager.accessToken });
      expect(byManager.body.items.map((t) => t.id)).toContain(task.id);
      const byPeer = await stack.http.get<ProblemBody>(`/v1/agents/${agent.userId}/tasks`, { token: otherAgent.accessToken });
      expect(byPeer.status).toBe(403);
      expect(byPeer.body.code).toBe('AGENT_NOT_IN_SCOPE');
      expect((await stack.http.get(`/v1/agents/${otherAgent.userId}/tasks`, { token: manager.accessToken })).status).toBe(403);
    });

    it('answers 403 to a client, who holds no task permission', async () => {
      const client = await createUser(stack.http, owner, 'client');
      expect((await stack.http.get('/v1/tasks', { token: client.accessToken })).status).toBe(403);
      expect(
        (await stack.http.post('/v1/tasks', { title: 'x', type: 'call', dueAt: inMinutes(5) }, { token: client.accessToken })).status,
      ).toBe(403);
    });
  });

  describe('lists', () => {
    it('filters by type, status, due range and overdue, sorts by due time and pages with a cursor', async () => {
      const past = await createTask(lister, { title: 'Past', type: 'email', dueAt: '2020-03-01T10:00:00.000Z' });
      const soon = await createTask(lister, { title: 'Soon', type: 'showing', dueAt: '2031-01-01T10:00:00.000Z' });
      const later = await createTask(lister, { title: 'Later', type: 'showing', dueAt: '2031-06-01T10:00:00.000Z' });
      const done = await createTask(lister, { title: 'Done', type: 'meeting', dueAt: '2031-03-01T10:00:00.000Z' });
      await stack.http.post(`/v1/tasks/${done.id}/complete`, undefined, { token: lister.accessToken });
      const get = async (query: string) =>
        (await stack.http.get<TaskPage>(`/v1/tasks?${query}`, { token: lister.accessToken })).body.items.map((t) => t.id);

      expect(await get('')).toEqual([past.id, soon.id, done.id, later.id]);
      expect(await get('sort=-dueAt')).toEqual([later.id, done.id, soon.id, past.id]);
      expect(await get('type=showing')).toEqual([soon.id, later.id]);
      expect(await get('status=completed')).toEqual([done.id]);
      expect(await get('overdue=true')).toEqual([past.id]);
      expect(await get('overdue=false')).toEqual([soon.id, done.id, later.id]);
      expect(await get('dueFrom=2031-01-01T10:00:00.000Z&dueTo=2031-06-01T10:00:00.000Z')).toEqual([soon.id, done.id]);
      const pastView = await stack.http.get<TaskJson>(`/v1/tasks/${past.id}`, { token: lister.accessToken });
      expect(pastView.body.overdue).toBe(true);

      const first = await stack.http.get<TaskPage>('/v1/tasks?limit=3', { token: lister.accessToken });
      expect(first.body.items.map((t) => t.id)).toEqual([past.id, soon.id, done.id]);
      const second = await stack.http.get<TaskPage>(`/v1/tasks?limit=3&cursor=${first.body.nextCursor}`, { token: lister.accessToken });
      expect(second.body.items.map((t) => t.id)).toEqual([later.id]);
      expect(second.body.nextCursor).toBeNull();
      expect((await stack.http.get<ProblemBody>('/v1/tasks?overdue=maybe', { token: lister.accessToken })).status).toBe(400);
    });
  });

  describe('changes, completion and recurrence', () => {
    it('patches fields and reports the changes in crm.task.updated', async () => {
      const task = await createTask(agent, { title: 'Before' });
      const response = await stack.http.patch<TaskJson>(
        `/v1/tasks/${task.id}`,
        { title: 'After', type: 'follow-up', status: 'cancelled' },
        { token: agent.accessToken },
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ title: 'After', type: 'follow-up', status: 'cancelled' });
      const { event } = await events.waitFor<{ changes: Record<string, unknown> }>('crm.task.updated', task.id);
      expect(event.data.changes).toEqual({
        title: { from: 'Before', to: 'After' },
        type: { from: 'call', to: 'follow-up' },
        status: { from: 'open', to: 'cancelled' },
      });
    });

    it('completes an open task once: a second completion is 409 TASK_NOT_OPEN', async () => {
      const task = await createTask(agent, {});
      const done = await stack.http.post<TaskJson>(`/v1/tasks/${task.id}/complete`, undefined, { token: agent.accessToken });
      expect(done.status).toBe(200);
      expect(done.body.status).toBe('completed');
      expect(done.body.completedAt).not.toBeNull();
      expect(done.body.nextOccurrenceId).toBeNull();
      const again = await stack.http.post<ProblemBody>(`/v1/tasks/${task.id}/complete`, undefined, { token: agent.accessToken });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('TASK_NOT_OPEN');
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
      const completed = await stack.http.post<TaskJson>(`/v1/tasks/${first.id}/complete`, undefined, { token: agent.accessToken });
      expect(completed.body.nextOccurrenceId).toEqual(expect.any(String));
      const second = await stack.http.get<TaskJson>(`/v1/tasks/${completed.body.nextOccurrenceId}`, { token: agent.accessToken });
      expect(second.body).toMatchObject({
        title: 'Weekly pipeline review',
        type: 'meeting',
        dueAt: '2030-01-14T15:00:00.000Z',
        status: 'open',
        assigneeId: agent.userId,
        recurrence: 'FREQ=WEEKLY;COUNT=2',
        seriesId: first.id,
        reminders: [30],
      });
      const created = await events.waitFor('crm.task.created', second.body.id);
      expect(created.event.data).toMatchObject({ previousOccurrenceId: first.id });
      const last = await stack.http.post<TaskJson>(`/v1/tasks/${second.body.id}/complete`, undefined, { token: agent.accessToken });
      expect(last.body.status).toBe('completed');
      expect(last.body.nextOccurrenceId).toBeNull();
    });

    it('deletes a task: 204, then 404, and crm.task.deleted carries the contact', async () => {
      const task = await createTask(agent, {});
      expect((await stack.http.delete(`/v1/tasks/${task.id}`, { token: agent.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/tasks/${task.id}`, { token: agent.accessToken })).status).toBe(404);
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
      expect((await stack.http.patch(`/v1/tasks/${moved.id}`, { dueAt: inMinutes(180) }, { token: agent.accessToken })).status).toBe(200);
      expect((await stack.http.post(`/v1/tasks/${completed.id}/complete`, undefined, { token: agent.accessToken })).status).toBe(200);
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
      expect(await outboxCount(stack, 'crm.task.reminder_due', moved.id)).toBe(0);
      expect(await outboxCount(stack, 'crm.task.reminder_due', completed.id)).toBe(0);
    });

    it('emits a reminder once when its job runs twice', async () => {
      const task = await createTask(agent, { dueAt: inMinutes(600), reminders: [120] });
      const job = stack.services.crm!.get(TaskReminderJob);
      const data = {
        orgId: owner.orgId,
        taskId: task.id,
        offsetMinutes: 120,
        remindAt: new Date(new Date(task.dueAt).getTime() - 120 * 60_000).toISOString(),
      };
      const runs = await Promise.all([job.remind({ data }), job.remind({ data })]);
      expect(runs.filter(Boolean)).toHaveLength(1);
      expect(await job.remind({ data })).toBe(false);
      expect(await outboxCount(stack, 'crm.task.reminder_due', task.id)).toBe(1);
    });

    it('emits crm.task.overdue once per due time, again after the due time moves and passes', async () => {
      const task = await createTask(agent, { title: 'Already late', dueAt: new Date(Date.now() - 60_000).toISOString() });
      const job = stack.services.crm!.get(TaskReminderJob);
      await job.sweep();
      await job.sweep();
      const { event } = await events.waitFor('crm.task.overdue', task.id);
      expect(event.data).toMatchObject({ taskId: task.id, assigneeId: agent.userId, status: 'open' });
      expect(await outboxCount(stack, 'crm.task.overdue', task.id)).toBe(1);
      await stack.http.patch(`/v1/tasks/${task.id}`, { dueAt: new Date(Date.now() - 1_000).toISOString() }, { token: agent.accessToken });
      await job.sweep();
      expect(await outboxCount(stack, 'crm.task.overdue', task.id)).toBe(2);
      const done = await createTask(agent, { dueAt: new Date(Date.now() - 60_000).toISOString() });
      await stack.http.post(`/v1/tasks/${done.id}/complete`, undefined, { token: agent.accessToken });
      await job.sweep();
      expect(await outboxCount(stack, 'crm.task.overdue', done.id)).toBe(0);
    });

    it('sends a reminder whose delayed job was lost from the sweep', async () => {
      const task = await createTask(agent, { dueAt: inMinutes(600), reminders: [5] });
      // As if the enqueue after commit had failed: the row is due, no job will run it.
      await crmDataSource(stack).query(`UPDATE task_reminder SET remind_at = now() - interval '1 second' WHERE task_id = $1`, [task.id]);
      await stack.services.crm!.get(TaskReminderJob).sweep();
      expect(await outboxCount(stack, 'crm.task.reminder_due', task.id)).toBe(1);
    });
  });
});
