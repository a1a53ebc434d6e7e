import { Client } from 'pg';
import {
  DEALS_EVENTS_TOPIC,
  DealsCommissionSubjects,
  DealsTransactionSubjects,
  type Actor,
  type CommissionPlanBody,
  type TransactionCreateRequest,
  type TransactionView,
} from '@keyhouse/contracts';
import type { TestService } from '@keyhouse/testing';

/** Creates a commission plan as `admin` (`deals.commission-plans.create`) and returns its id. */
export async function createPlan(deals: TestService, admin: Actor, body: CommissionPlanBody): Promise<string> {
  return (await deals.rpc.call(DealsCommissionSubjects.planCreate, body, admin)).id;
}

/** Assigns plan `planId` to `agentId` as `admin` (`deals.agent-commission-plans.set`). */
export async function assignPlan(deals: TestService, admin: Actor, agentId: string, planId: string): Promise<void> {
  await deals.rpc.call(DealsCommissionSubjects.agentPlanSet, { agentId, planId }, admin);
}

/** Creates a transaction as `actor` (`deals.transactions.create`, side `buy` and price 50,000,000 unless given). */
export function createTransaction(
  deals: TestService,
  actor: Actor,
  body: Partial<TransactionCreateRequest> = {},
): Promise<TransactionView> {
  return deals.rpc.call(DealsTransactionSubjects.create, { side: 'buy', price: 50_000_000, ...body }, actor);
}

/**
 * Rows of the deals schema straight from Postgres, as the service's own role sees them (what the
 * API may not show: the outbox, the inbox, `updated_at`).
 */
export async function dealsQuery<T>(deals: TestService, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: deals.env.DEALS_COMMISSION_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${deals.env.DEALS_COMMISSION_DATABASE_SCHEMA ?? 'deals'}"`);
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Event types the deals service wrote to its outbox for an aggregate (message key), oldest first. */
export async function dealsOutboxTypes(deals: TestService, key: string): Promise<string[]> {
  const rows = await dealsQuery<{ event_type: string }>(
    deals,
    `SELECT event_type FROM outbox_event WHERE message_key = $1 ORDER BY created_at, id`,
    [key],
  );
  return rows.map((row) => row.event_type);
}

/** One event read from `deals.events`: the Kafka key (the aggregate id), the CloudEvent's type and data. */
export interface DealsLoggedEvent {
  key: string | null;
  type: string;
  data: Record<string, unknown>;
}

/** CloudEvents the deals service published on `deals.events`, collected by a Kafka consumer from the start of the topic. */
export interface DealsEventLog {
  events: DealsLoggedEvent[];
  /** The events of `type` keyed by `key` (the aggregate id), oldest first. */
  of(type: string, key: string): DealsLoggedEvent[];
  stop(): Promise<void>;
}

/** Starts collecting `<KAFKA_TOPIC_PREFIX>deals.events` of the service's isolation (the topic is created when missing). */
export async function consumeDealsEvents(deals: TestService): Promise<DealsEventLog> {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'deals-test', brokers: deals.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
  const topic = `${deals.env.KAFKA_TOPIC_PREFIX}${DEALS_EVENTS_TOPIC}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch(() => undefined);
  await admin.disconnect();
  // A short fetch wait: `disconnect` waits for the fetch in flight.
  const consumer = kafka.consumer({ groupId: `${deals.isolation.id}-deals-test`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const log: DealsEventLog = {
    events: [],
    of: (type, key) => log.events.filter((event) => event.type === type && event.key === key),
    stop: () => consumer.disconnect(),
  };
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString()) as { type: string; data: Record<string, unknown> };
      log.events.push({ key: message.key?.toString() ?? null, type: event.type, data: event.data });
    },
  });
  return log;
}
