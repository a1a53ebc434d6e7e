import type { TestHttpClient } from '@keyhouse/testing';
import { login, PASSWORD, uniqueEmail, type Session } from './fixtures';

export interface AgentSession extends Session {
  name: string;
}

/**
 * Adds an agent through `POST /v1/agents` (profile: regions, capacity, working hours, teams) and
 * logs them in. Working hours default to every day, all day, so routing tests do not depend on
 * the clock unless they say so.
 */
export async function createAgent(http: TestHttpClient, owner: Session, profile: Record<string, unknown> = {}): Promise<AgentSession> {
  const email = uniqueEmail('agent');
  const name = `Agent ${email.slice(6, 14)}`;
  const allDay = Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((day) => [day, [{ start: '00:00', end: '23:59' }]]));
  const created = await http.post(
    '/v1/agents',
    { name, email, password: PASSWORD, capacity: 25, workingHours: { timezone: 'America/Los_Angeles', days: allDay }, ...profile },
    { token: owner.accessToken },
  );
  if (created.status !== 201) throw new Error(`create agent failed: ${created.status} ${JSON.stringify(created.body)}`);
  return { ...(await login(http, email)), name };
}

/**
 * Waits until the crm read model knows the given agents (identity's events consumed): creating a
 * throw-away pond naming them succeeds only then.
 */
export async function waitForAgentsInCrm(http: TestHttpClient, owner: Session, agentIds: string[], timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const response = await http.post('/v1/ponds', { name: `probe ${Date.now()}`, agentIds }, { token: owner.accessToken });
    if (response.status === 201) return;
    if (Date.now() - started > timeoutMs) throw new Error(`crm did not learn the agents in time: ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Creates a contact (expecting 201) and returns its JSON. */
export async function createContact(http: TestHttpClient, token: string, body: Record<string, unknown>): Promise<ContactJson> {
  const response = await http.post<ContactJson>('/v1/contacts', body, { token });
  if (response.status !== 201) throw new Error(`create contact failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export interface ContactJson {
  id: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  emails: string[];
  phones: string[];
  type: string | null;
  status: string;
  score: string;
  scoreReasons: Array<{ signal: string; points: number }>;
  ownerId: string | null;
  pondId: string | null;
  source: string | null;
  tags: string[];
  createdAt: string;
  mergedIntoId: string | null;
  assignment: { ruleId: string | null; reason: string | null };
  [key: string]: unknown;
}

export interface ProblemJson {
  status: number;
  code: string;
  errors?: Array<{ field: string; message: string; code?: string }>;
  duplicates?: Array<{ id: string; reason: string }>;
  [key: string]: unknown;
}

let counter = 0;
/** A unique, valid US phone number (+1 206 2xx xxxx), different on each call within a test file. */
export function uniquePhone(): string {
  counter += 1;
  return `+1206${2_000_000 + counter * 37}`;
}
