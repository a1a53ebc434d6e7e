import { Kafka, logLevel } from 'kafkajs';
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
    if (Date.now() - started > timeoutMs) throw new Error(`audit entries not found in time: ${JSON.stringify(response.body.items.map((item) => item.action))}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
