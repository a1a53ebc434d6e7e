import { Client } from 'pg';
import type { TestHttpClient } from '@keyhouse/testing';
import { createUser, login, registerOrganization, type Session } from './identity.fixture';
import type { TestStack } from './stack.fixture';

/** A brokerage for deals tests: owner (admin rights), a manager with agent1 in their team, agent2 outside it. */
export interface DealsOrg {
  owner: Session;
  manager: Session;
  agent1: Session;
  agent2: Session;
  teamId: string;
}

export async function dealsOrg(http: TestHttpClient, name = 'Evergreen Realty'): Promise<DealsOrg> {
  const owner = await registerOrganization(http, name);
  const manager = await createUser(http, owner, 'manager');
  const agent1 = await createUser(http, owner, 'agent');
  const agent2 = await createUser(http, owner, 'agent');
  const team = await http.post<{ id: string }>(
    '/v1/teams',
    { name: 'North', managerId: manager.userId, memberIds: [agent1.userId] },
    { token: owner.accessToken },
  );
  if (team.status !== 201) throw new Error(`team: ${team.status} ${JSON.stringify(team.body)}`);
  // Team changes revoke the members' tokens (team ids are in them): log in again.
  return { owner, manager: await login(http, manager.email), agent1: await login(http, agent1.email), agent2, teamId: team.body.id };
}

/** Creates a commission plan as `admin` and returns its id. */
export async function createPlan(http: TestHttpClient, admin: Session, body: Record<string, unknown>): Promise<string> {
  const response = await http.post<{ id: string }>('/v1/commission-plans', body, { token: admin.accessToken });
  if (response.status !== 201) throw new Error(`plan: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id;
}

/** Creates a transaction and returns its JSON. */
export async function createTransaction(
  http: TestHttpClient,
  session: Session,
  body: Record<string, unknown>,
): Promise<Record<string, unknown> & { id: string }> {
  const response = await http.post<Record<string, unknown> & { id: string }>(
    '/v1/transactions',
    { side: 'buy', price: 50_000_000, ...body },
    { token: session.accessToken },
  );
  if (response.status !== 201) throw new Error(`transaction: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** GET as raw bytes (PDF downloads), with the response headers. */
export async function download(
  http: TestHttpClient,
  path: string,
  token: string,
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(`${http.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** POSTs one file as `multipart/form-data` (field `file`). */
export async function uploadFile(
  http: TestHttpClient,
  path: string,
  token: string,
  file: { name: string; type: string; bytes: Buffer },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  const response = await fetch(`${http.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Data of the events of `type` the deals service wrote to its outbox for `key` (the message key), oldest first. */
export async function dealsOutboxData(stack: TestStack, type: string, key: string): Promise<Array<Record<string, unknown>>> {
  const client = new Client({ connectionString: stack.env.DEALS_COMMISSION_DATABASE_URL });
  await client.connect();
  try {
    const schema = stack.env.DEALS_COMMISSION_DATABASE_SCHEMA ?? 'deals';
    const { rows } = await client.query<{ payload: { data: Record<string, unknown> } }>(
      `SELECT payload FROM "${schema}".outbox_event WHERE event_type = $1 AND message_key = $2 ORDER BY created_at, id`,
      [type, key],
    );
    return rows.map((row) => row.payload.data);
  } finally {
    await client.end();
  }
}

/** `YYYY-MM-DD` of today (UTC) plus `days`. */
export function utcDate(days: number): string {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The CloudEvent the crm service wrote to its outbox for `key` with type `type` (the latest one), as it was put on `crm.events`. */
export async function crmOutboxEvent(stack: TestStack, type: string, key: string): Promise<Record<string, unknown> & { id: string }> {
  const client = new Client({ connectionString: stack.env.CRM_DATABASE_URL });
  await client.connect();
  try {
    const schema = stack.env.CRM_DATABASE_SCHEMA ?? 'crm';
    const { rows } = await client.query<{ payload: Record<string, unknown> & { id: string } }>(
      `SELECT payload FROM "${schema}".outbox_event WHERE event_type = $1 AND message_key = $2 ORDER BY seq DESC LIMIT 1`,
      [type, key],
    );
    if (!rows[0]) throw new Error(`no ${type} for ${key} in the crm outbox`);
    return rows[0].payload;
  } finally {
    await client.end();
  }
}
