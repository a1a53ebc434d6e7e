import { Client } from 'pg';
import type { CloudEvent } from '@keyhouse/contracts';
import type { TestStack } from './stack';

/** A contact timeline entry as `GET /v1/contacts/:id/timeline` answers it. */
export interface TimelineEntryJson {
  id: string;
  kind: string;
  occurredAt: string;
  actorId: string | null;
  data: Record<string, unknown>;
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

/** The first page (100 entries, newest first) of a contact's timeline as `token`'s user; the status too. */
export async function timelineOf(
  stack: TestStack,
  contactId: string,
  token: string,
): Promise<{ status: number; items: TimelineEntryJson[] }> {
  const response = await stack.http.get<{ items: TimelineEntryJson[] }>(`/v1/contacts/${contactId}/timeline?limit=100`, { token });
  return { status: response.status, items: response.status === 200 ? response.body.items : [] };
}

/** Events of `type` in the identity outbox (what the relay publishes on `identity.events`), oldest first. */
export async function identityOutboxEvents<T>(stack: TestStack, type: string): Promise<Array<CloudEvent<T>>> {
  const client = new Client({ connectionString: stack.env.IDENTITY_DATABASE_URL });
  await client.connect();
  try {
    const schema = stack.env.IDENTITY_DATABASE_SCHEMA ?? 'identity';
    const { rows } = await client.query<{ payload: CloudEvent<T> }>(
      `SELECT payload FROM "${schema}".outbox_event WHERE event_type = $1 ORDER BY seq`,
      [type],
    );
    return rows.map((row) => row.payload);
  } finally {
    await client.end();
  }
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
