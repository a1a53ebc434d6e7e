import { CrmTaskSubjects as T, DealsEvent, type CrmTaskCreatedData, type DealsDeadlineTaskRequestedData } from '@keyhouse/contracts';
import { startService, testEvent, waitFor } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import type { CrmTestService } from '../support/crm-contacts.util';
import { CrmEventLog } from '../support/crm-event-log.util';
import { seedUsers, userOf } from '../support/crm-users.util';

/**
 * Contract deadlines become crm tasks (issue 14 "Triggers and history"): crm alone, deals' events in
 * over Kafka (`deals.deadline.task_requested`, consumer group `crm.deadline-tasks`), the tasks read
 * back over NATS as the agent and the owner, `crm.task.created` read from Kafka.
 */
describe('crm: deals.deadline.task_requested becomes one task for the transaction’s agent', () => {
  let crm: CrmTestService;
  let events: CrmEventLog;
  const orgId = newId();
  const owner = userOf(orgId, 'owner');
  const agent = userOf(orgId, 'agent');
  const otherAgent = userOf(orgId, 'agent');
  const stranger = userOf(newId(), 'owner');

  beforeAll(async () => {
    crm = await startService(startCrm);
    events = new CrmEventLog(crm);
    await events.start();
    await seedUsers(crm, [owner, agent, otherAgent, stranger]);
  });

  afterAll(async () => {
    await events?.stop();
    await crm?.stop();
  });

  function request(transactionId: string, key: string, dueDate: string, title: string): DealsDeadlineTaskRequestedData {
    return {
      transactionId,
      key,
      dueDate,
      title,
      assigneeId: agent.userId!,
      participants: [{ role: 'inspector', side: 'buyer', contactId: null, userId: null, name: 'Ivy Inspector', email: null }],
      offerId: newId(),
    };
  }

  /** The tasks linked to the transaction that `actor` reaches (the list has no deal filter: filtered here). */
  async function tasksOfTransaction(transactionId: string, actor = owner) {
    return (await crm.rpc.call(T.list, { limit: 100 }, actor)).items.filter((task) => task.dealId === transactionId);
  }

  const announcedFor = (transactionId: string) =>
    events.of<CrmTaskCreatedData>('crm.task.created').filter((item) => item.event.data.dealId === transactionId);

  it('creates the task once for a redelivered event, assigned to the agent and linked to the transaction, announced as a system task', async () => {
    const transactionId = newId();
    const inspection = testEvent(
      DealsEvent.deadlineTaskRequested,
      orgId,
      request(transactionId, 'inspection_deadline', '2026-12-17', 'Inspection deadline'),
      {
        subject: transactionId,
      },
    );
    const appraisal = testEvent(
      DealsEvent.deadlineTaskRequested,
      orgId,
      request(transactionId, 'appraisal_deadline', '2026-12-24', 'Appraisal deadline'),
      {
        subject: transactionId,
      },
    );
    await crm.publish('deals.events', [inspection, inspection, appraisal]);
    // Redelivered again later (a consumer restart replaying the partition).
    await crm.publish('deals.events', [inspection]);
    await waitFor(async () => (await tasksOfTransaction(transactionId)).length === 2);
    const tasks = await tasksOfTransaction(transactionId);
    expect(tasks.map((task) => [task.title, task.dueAt]).sort()).toEqual([
      ['Appraisal deadline', '2026-12-24T23:59:59.999Z'],
      ['Inspection deadline', '2026-12-17T23:59:59.999Z'],
    ]);
    expect(tasks[0]).toMatchObject({
      type: 'reminder',
      assigneeId: agent.userId,
      createdBy: null,
      dealId: transactionId,
      contactId: null,
      status: 'open',
      priority: 'high',
      reminders: [],
    });
    // The agent sees them as their own tasks; another agent does not.
    const own = await tasksOfTransaction(transactionId, agent);
    expect(own.map((task) => task.id).sort()).toEqual(tasks.map((task) => task.id).sort());
    expect(await tasksOfTransaction(transactionId, otherAgent)).toEqual([]);
    expect(await tasksOfTransaction(transactionId, stranger)).toEqual([]);
    // One crm.task.created per task, by the system (the notifications service then tells the assignee: task_assigned).
    await crm.publish('deals.events', [
      testEvent(DealsEvent.deadlineTaskRequested, orgId, request(transactionId, 'closing_date', '2027-01-05', 'Closing'), {
        subject: transactionId,
      }),
    ]);
    await waitFor(async () => (await tasksOfTransaction(transactionId)).length === 3);
    await waitFor(() => announcedFor(transactionId).length >= 3);
    const announced = announcedFor(transactionId);
    expect(announced.map((item) => item.event.data.title).sort()).toEqual(['Appraisal deadline', 'Closing', 'Inspection deadline']);
    expect(announced.every((item) => item.event.actortype === 'system' && item.event.data.assigneeId === agent.userId)).toBe(true);
  });
});
