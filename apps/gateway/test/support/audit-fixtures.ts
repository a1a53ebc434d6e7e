import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { AuditEntryView, CloudEvent, Page } from '@keyhouse/contracts';
import { newId } from '@keyhouse/util';
import type { TestHttpClient } from '@keyhouse/testing';
import type { TestStack } from './stack';

/**
 * A direct connection to the stack's database, as the audit service's own role
 * (`keyhouse_audit`) or as the `postgres` superuser, for the append-only and tamper tests.
 */
export async function auditDatabase(stack: TestStack, as: 'audit' | 'superuser'): Promise<DataSource> {
  const host = process.env.PGHOST ?? '127.0.0.1';
  const port = Number(process.env.PGPORT ?? 5432);
  const dataSource = new DataSource({
    type: 'postgres',
    host,
    port,
    database: stack.isolation.database,
    username: as === 'audit' ? 'keyhouse_audit' : (process.env.PGUSER ?? 'postgres'),
    password: as === 'audit' ? process.env.AUDIT_DB_PASSWORD : process.env.PGPASSWORD,
    schema: 'audit',
    extra: { max: 2, options: '-c search_path=audit' },
  });
  return dataSource.initialize();
}

/** A CloudEvent shaped like the outbox builds them (`OutboxService.buildEvent`). */
export function testEvent<T>(type: string, orgId: string, data: T, extra: Partial<CloudEvent<T>> = {}): CloudEvent<T> {
  const service = type.split('.')[0];
  return {
    specversion: '1.0',
    id: newId(),
    source: `keyhouse/${service}`,
    type,
    subject: newId(),
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataschema: `urn:keyhouse:event:${type}:v1`,
    orgid: orgId,
    actortype: 'system',
    data,
    ...extra,
  };
}

/** Publishes events to `<prefix><topic>` as the outbox relay does: key = subject, CloudEvents headers, JSON value, acks = all. */
export async function publishEvents(stack: TestStack, topic: string, events: CloudEvent[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'audit-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    await producer.send({
      topic: `${stack.env.KAFKA_TOPIC_PREFIX}${topic}`,
      acks: -1,
      messages: events.map((event) => ({
        key: event.subject,
        value: JSON.stringify(event),
        headers: { ce_id: event.id, ce_type: event.type, ce_source: event.source, ce_specversion: event.specversion },
      })),
    });
  } finally {
    await producer.disconnect();
  }
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

/**
 * The CloudEvent a service wrote to its outbox with id `eventId`, exactly as its relay put it on
 * Kafka (to deliver a real event a second time).
 */
export async function outboxEventById(stack: TestStack, service: OutboxService, eventId: string): Promise<CloudEvent> {
  const [row] = await queryOutbox<{ payload: CloudEvent }>(stack, service, 'SELECT payload FROM {outbox} WHERE id = $1', [eventId]);
  if (!row) throw new Error(`no event ${eventId} in the ${service} outbox`);
  return row.payload;
}

/** Ids of every event a service wrote to its outbox with Kafka key `key` (the record id), oldest first. */
export async function outboxEventIds(stack: TestStack, service: OutboxService, key: string): Promise<string[]> {
  const rows = await queryOutbox<{ id: string }>(stack, service, 'SELECT id FROM {outbox} WHERE message_key = $1 ORDER BY seq', [key]);
  return rows.map((row) => row.id);
}
