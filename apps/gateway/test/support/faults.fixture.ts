import { Client } from 'pg';

/** Runs one statement as the superuser in `database` of the Postgres at `host:port`; the rows. */
export async function superuserQuery<T>(
  server: { host: string; port: number; database: string },
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ host: server.host, port: server.port, user: 'postgres', database: server.database });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * What the fault specs prove after the dust settles (issue 13 item 18), in `server`'s database:
 * every lead address in `emails` is on exactly one stored contact, every event crm committed for
 * `orgId` reached the audit trail (waiting up to `waitMs` for the consumers to catch up), and none
 * twice. Returns what is wrong, empty when nothing is: `{ unstored, unaudited, duplicates }`.
 */
export async function faultOutcome(
  server: { host: string; port: number; database: string },
  orgId: string,
  emails: string[],
  waitMs = 60_000,
): Promise<{ unstored: string[]; unaudited: string[]; duplicates: number }> {
  const stored = await superuserQuery<{ email: string }>(
    server,
    'SELECT e AS email FROM crm.contact, unnest(emails) AS e WHERE e = ANY($1::text[]) AND deleted_at IS NULL',
    [emails],
  );
  const found = stored.map((row) => row.email);
  const unstored = emails.filter((email) => found.filter((seen) => seen === email).length !== 1);
  const deadline = Date.now() + waitMs;
  let unaudited: string[] = [];
  do {
    const rows = await superuserQuery<{ id: string }>(
      server,
      `SELECT o.id FROM crm.outbox_event o
        WHERE o.payload->>'orgid' = $1 AND NOT EXISTS (SELECT 1 FROM audit.audit_entry e WHERE e.event_id::text = o.id::text)`,
      [orgId],
    );
    unaudited = rows.map((row) => row.id);
    if (unaudited.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  } while (unaudited.length > 0 && Date.now() < deadline);
  const [{ duplicates }] = await superuserQuery<{ duplicates: number }>(
    server,
    'SELECT count(*)::int - count(DISTINCT event_id)::int AS duplicates FROM audit.audit_entry WHERE org_id = $1',
    [orgId],
  );
  return { unstored, unaudited, duplicates };
}
