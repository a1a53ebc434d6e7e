import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { waitForUsersInCrm, type ProblemJson } from '../support/crm.fixture';
import { createUser, registerOrganization, uniqueEmail, type Session } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

interface OrgUserRow {
  org_id: string;
  name: string;
  email: string;
  status: string;
  is_agent: boolean;
  regions: string[];
  capacity: number;
}

/**
 * Read-your-writes for agents across services (issue 13 item 14): the crm learns a new agent from
 * `identity.events` a fraction of a second after identity created them; in that window a rule,
 * pond or task naming the agent is accepted because the crm asks identity before refusing. A user
 * identity does not know as an agent of the organization is still refused.
 */
describe('agents in the crm right after identity created them', () => {
  let stack: TestStack;
  let owner: Session;
  let otherOwner: Session;
  let crmDb: Client;

  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
  const ruleFor = (agentId: string) => ({ name: 'New agent', priority: 5, conditions: {}, strategy: 'agent', agentIds: [agentId] });
  const taskFor = (assigneeId: string) => ({ title: 'Welcome call', type: 'call', dueAt: inAnHour(), assigneeId });

  async function addAgent(session: Session, profile: Record<string, unknown> = {}): Promise<string> {
    const agent = await stack.http.post<{ userId: string }>(
      '/v1/agents',
      { email: uniqueEmail('agent'), name: 'Riley Newhire', regions: ['98103'], capacity: 7, ...profile },
      { token: session.accessToken },
    );
    expect(agent.status).toBe(201);
    return agent.body.userId;
  }

  async function orgUser(userId: string): Promise<OrgUserRow | undefined> {
    const schema = stack.env.CRM_DATABASE_SCHEMA ?? 'crm';
    const { rows } = await crmDb.query<OrgUserRow>(
      `SELECT org_id, name, email::text AS email, status, is_agent, regions, capacity FROM "${schema}".org_user WHERE user_id = $1`,
      [userId],
    );
    return rows[0];
  }

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm'] });
    owner = await registerOrganization(stack.http, 'Newhire Realty');
    otherOwner = await registerOrganization(stack.http, 'Elsewhere Realty');
    crmDb = new Client({ connectionString: stack.env.CRM_DATABASE_URL });
    await crmDb.connect();
  });

  afterAll(async () => {
    await crmDb?.end();
    await stack?.stop();
  });

  it('accepts an assignment rule and a task naming an agent created the moment before', async () => {
    const agentId = await addAgent(owner);
    // At once: no wait for identity's events to reach the crm's read model.
    const rule = await stack.http.post<{ agentIds: string[] }>('/v1/assignment-rules', ruleFor(agentId), { token: owner.accessToken });
    expect([rule.status, rule.body.agentIds]).toEqual([201, [agentId]]);
    const task = await stack.http.post<{ assigneeId: string }>('/v1/tasks', taskFor(agentId), { token: owner.accessToken });
    expect([task.status, task.body.assigneeId]).toEqual([201, agentId]);
    // The read model holds the agent as identity describes them (and the events, consumed later, agree).
    await waitForUsersInCrm(stack, [{ userId: agentId }]);
    expect(await orgUser(agentId)).toMatchObject({ org_id: owner.orgId, is_agent: true, regions: ['98103'], capacity: 7 });
  });

  it('asks identity for an agent the read model lacks and stores the answer', async () => {
    const agentId = await addAgent(owner, { regions: ['98115'], capacity: 4 });
    await waitForUsersInCrm(stack, [{ userId: agentId }]);
    // The read model loses the row (its events already consumed): only identity can tell.
    await crmDb.query(`DELETE FROM "${stack.env.CRM_DATABASE_SCHEMA ?? 'crm'}".org_user WHERE user_id = $1`, [agentId]);
    const pond = await stack.http.post<{ agentIds: string[] }>(
      '/v1/ponds',
      { name: 'Newhire pond', agentIds: [agentId] },
      { token: owner.accessToken },
    );
    expect([pond.status, pond.body.agentIds]).toEqual([201, [agentId]]);
    expect(await orgUser(agentId)).toMatchObject({ org_id: owner.orgId, is_agent: true, regions: ['98115'], capacity: 4 });
    const rule = await stack.http.post('/v1/assignment-rules', ruleFor(agentId), { token: owner.accessToken });
    expect(rule.status).toBe(201);

    await crmDb.query(`DELETE FROM "${stack.env.CRM_DATABASE_SCHEMA ?? 'crm'}".org_user WHERE user_id = $1`, [agentId]);
    const task = await stack.http.post<{ assigneeId: string }>('/v1/tasks', taskFor(agentId), { token: owner.accessToken });
    expect([task.status, task.body.assigneeId]).toEqual([201, agentId]);
    expect(await orgUser(agentId)).toMatchObject({ org_id: owner.orgId, status: 'invited', is_agent: true });
  });

  it('refuses a random id, another organization’s agent and a user who is no agent with 400 UNKNOWN_AGENT', async () => {
    const foreignAgentId = await addAgent(otherOwner);
    const manager = await createUser(stack.http, owner, 'manager');
    // The crm knows the foreign agent (in their own organization) and the manager (no agent).
    await waitForUsersInCrm(stack, [{ userId: foreignAgentId }, { userId: manager.userId }]);
    for (const agentId of [randomUUID(), foreignAgentId, manager.userId]) {
      const rule = await stack.http.post<ProblemJson>('/v1/assignment-rules', ruleFor(agentId), { token: owner.accessToken });
      expect([rule.status, rule.body.code, rule.body.errors?.[0]?.field]).toEqual([400, 'UNKNOWN_AGENT', 'agentIds']);
      const pond = await stack.http.post<ProblemJson>('/v1/ponds', { name: 'Nope', agentIds: [agentId] }, { token: owner.accessToken });
      expect([pond.status, pond.body.code]).toEqual([400, 'UNKNOWN_AGENT']);
    }
    expect(await orgUser(foreignAgentId)).toMatchObject({ org_id: otherOwner.orgId });
  });

  it('refuses a task for a random id or another organization’s agent with 400 UNKNOWN_ASSIGNEE', async () => {
    const foreignAgentId = await addAgent(otherOwner);
    for (const assigneeId of [randomUUID(), foreignAgentId]) {
      const task = await stack.http.post<ProblemJson>('/v1/tasks', taskFor(assigneeId), { token: owner.accessToken });
      expect([task.status, task.body.code]).toEqual([400, 'UNKNOWN_ASSIGNEE']);
    }
  });
});
