import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { AuditEntryView, Page } from '@keyhouse/contracts';
import type { TestHttpClient } from '@keyhouse/testing';
import type { TestStack } from './stack.fixture';

/**
 * A direct connection to the audit schema of the stack's database as the `postgres` superuser, for
 * what no organization can list (the gateway's refusals recorded under the nil organization).
 */
export async function auditSuperuser(stack: TestStack): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'postgres',
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    database: stack.isolation.database,
    username: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    schema: 'audit',
    extra: { max: 1, options: '-c search_path=audit' },
  });
  return dataSource.initialize();
}

/** `GET /v1/audit-logs?<query>` as `token`. */
export async function auditLogs(http: TestHttpClient, token: string, query: Record<string, string> = {}) {
  return http.get<Page<AuditEntryView>>(`/v1/audit-logs?${new URLSearchParams(query).toString()}`, { token });
}

/** Polls the audit list until `done(items)` holds (default 20 s); returns the last items. */
export async function waitForAudit(
  http: TestHttpClient,
  token: string,
  query: Record<string, string>,
  done: (items: AuditEntryView[]) => boolean,
  timeoutMs = 20_000,
): Promise<AuditEntryView[]> {
  const started = Date.now();
  for (;;) {
    const response = await auditLogs(http, token, { limit: '100', ...query });
    if (response.status !== 200) throw new Error(`audit list failed: ${response.status} ${JSON.stringify(response.body)}`);
    if (done(response.body.items)) return response.body.items;
    if (Date.now() - started > timeoutMs)
      throw new Error(`audit entries not found in time: ${JSON.stringify(response.body.items.map((item) => item.action))}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** How many entries of each action (`{ 'crm.contact.updated': 2 }`). */
export function countByAction(items: AuditEntryView[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item.action] = (counts[item.action] ?? 0) + 1;
  return counts;
}

/**
 * Polls the entries of one record (`GET /v1/audit-logs?recordId=`) until each action in `expected`
 * has at least its count (default 30 s); returns them, newest first. The caller then asserts the
 * exact counts: events of one record share a Kafka key, hence a partition, and are consumed in
 * order, so once the last one is recorded any redelivery of an earlier one has been processed.
 */
export async function waitForRecordActions(
  http: TestHttpClient,
  token: string,
  recordId: string,
  expected: Record<string, number>,
  timeoutMs = 30_000,
): Promise<AuditEntryView[]> {
  return waitForAudit(
    http,
    token,
    { recordId },
    (items) => {
      const counts = countByAction(items);
      return Object.entries(expected).every(([action, n]) => (counts[action] ?? 0) >= n);
    },
    timeoutMs,
  );
}

/** Services whose outbox a test can read, and the schema each uses when the env does not name it. */
const OUTBOX_SERVICES = { crm: 'crm', listings: 'listings', 'deals-commission': 'deals' } as const;
type OutboxService = keyof typeof OUTBOX_SERVICES;

/** Runs `query` on a service's `outbox_event` table (`{outbox}` in the SQL is the qualified table name). */
async function queryOutbox<T extends object>(stack: TestStack, service: OutboxService, sql: string, params: unknown[]): Promise<T[]> {
  const name = service.toUpperCase().replace('-', '_');
  const schema = stack.env[`${name}_DATABASE_SCHEMA`] ?? OUTBOX_SERVICES[service];
  const client = new Client({ connectionString: stack.env[`${name}_DATABASE_URL`] });
  await client.connect();
  try {
    return (await client.query<T>(sql.replace('{outbox}', `"${schema}".outbox_event`), params)).rows;
  } finally {
    await client.end();
  }
}

/** Ids of every event a service wrote to its outbox with Kafka key `key` (the record id), oldest first. */
export async function outboxEventIds(stack: TestStack, service: OutboxService, key: string): Promise<string[]> {
  const rows = await queryOutbox<{ id: string }>(stack, service, 'SELECT id FROM {outbox} WHERE message_key = $1 ORDER BY seq', [key]);
  return rows.map((row) => row.id);
}
