import { Client } from 'pg';
import type { CloudEvent } from '@keyhouse/contracts';
import { waitFor, type TestHttpClient } from '@keyhouse/testing';
import type { TestStack } from './stack.fixture';

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

/** Polls `read` every 150 ms until `done(value)` holds, and returns that value; throws after `timeoutMs` with the last value. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * Waits until the crm read model of identity's users (`org_user`) knows these users with these
 * teams (identity's events consumed), reading the crm schema of the stack's database.
 *
 * @throws Error after 60 s (30 s was once exceeded in a full `npm test` on the 2-core machine, with
 *   every suite's consumers on the one local Kafka broker; alone the same spec takes under 1 s).
 */
export async function waitForUsersInCrm(stack: TestStack, users: Array<{ userId: string; teamIds?: string[] }>): Promise<void> {
  const client = new Client({ connectionString: stack.env.CRM_DATABASE_URL });
  await client.connect();
  try {
    const schema = stack.env.CRM_DATABASE_SCHEMA ?? 'crm';
    await waitFor(async () => {
      const { rows } = await client.query<{ user_id: string; team_ids: string[] }>(
        `SELECT user_id, team_ids FROM "${schema}".org_user WHERE user_id = ANY($1::uuid[])`,
        [users.map((user) => user.userId)],
      );
      return users.every((user) => {
        const row = rows.find((r) => r.user_id === user.userId);
        return row !== undefined && (user.teamIds ?? []).every((team) => row.team_ids.includes(team));
      });
    }, 60_000);
  } finally {
    await client.end();
  }
}

/** Events of `type` in a service's outbox (what its relay publishes on `<service>.events`), oldest first. */
async function outboxEvents<T>(
  stack: TestStack,
  service: 'IDENTITY' | 'CRM',
  defaultSchema: string,
  type: string,
): Promise<Array<CloudEvent<T>>> {
  const client = new Client({ connectionString: stack.env[`${service}_DATABASE_URL`] });
  await client.connect();
  try {
    const schema = stack.env[`${service}_DATABASE_SCHEMA`] ?? defaultSchema;
    const { rows } = await client.query<{ payload: CloudEvent<T> }>(
      `SELECT payload FROM "${schema}".outbox_event WHERE event_type = $1 ORDER BY seq`,
      [type],
    );
    return rows.map((row) => row.payload);
  } finally {
    await client.end();
  }
}

/** Events of `type` in the identity outbox (what the relay publishes on `identity.events`), oldest first. */
export function identityOutboxEvents<T>(stack: TestStack, type: string): Promise<Array<CloudEvent<T>>> {
  return outboxEvents<T>(stack, 'IDENTITY', 'identity', type);
}

/** Events of `type` in the crm outbox (what the relay publishes on `crm.events`, the audit trail's input), oldest first. */
export function crmOutboxEvents<T>(stack: TestStack, type: string): Promise<Array<CloudEvent<T>>> {
  return outboxEvents<T>(stack, 'CRM', 'crm', type);
}

/** The identity row of a user, straight from the identity schema (what the API no longer shows of an erased user). */
export async function identityUserRow(stack: TestStack, userId: string): Promise<Record<string, unknown> | undefined> {
  const client = new Client({ connectionString: stack.env.IDENTITY_DATABASE_URL });
  await client.connect();
  try {
    const schema = stack.env.IDENTITY_DATABASE_SCHEMA ?? 'identity';
    const { rows } = await client.query(
      `SELECT name, email::text AS email, phone, password_hash, status, erased_at, contact_id FROM "${schema}".app_user WHERE id = $1`,
      [userId],
    );
    return rows[0] as Record<string, unknown> | undefined;
  } finally {
    await client.end();
  }
}
