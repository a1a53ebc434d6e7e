import type { Producer } from 'kafkajs';
import type { NatsConnection } from 'nats';
import type { Actor, CloudEvent, RpcContract } from '@keyhouse/contracts';
import { loadConfig, platformEnv } from '@keyhouse/platform/config';
import { cloudEventHeaders, connectNats, createKafka, createProducer, RpcClient } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { createTestIsolation, type TestIsolation } from './test-database.util';

/** What a service's start function returns (a `NestFastifyApplication`): closed by `stop()`. */
export interface StartedApp {
  close(): Promise<void>;
}

/** Calls the service under test over NATS, as the gateway does. */
export interface TestRpcClient {
  /**
   * Sends `data` to the contract's subject (with the isolation's subject prefix) in a request
   * envelope with a new request id (also the `x-request-id` header) and `actor` (its permissions
   * as their wire code; `null` when left out, a system call); resolves with the reply's `data`.
   *
   * @throws DomainException: the service's refusal as it sent it (`code`, `kind`, `errors`);
   *   `unavailable` when nothing answers the subject, `timeout` after `NATS_REQUEST_TIMEOUT_MS`.
   */
  call<TRequest, TResponse>(contract: RpcContract<TRequest, TResponse>, data: TRequest, actor?: Actor | null): Promise<TResponse>;
}

/**
 * One back-end service running in the test process on its own isolation (database with every
 * service schema, NATS subject, Kafka topic and Redis key prefixes), without the gateway or
 * identity.
 */
export interface TestService<TApp extends StartedApp = StartedApp> {
  app: TApp;
  /** The environment the service was started with (isolation + `PORT`/`HEALTH_PORT` 0 + overrides). */
  env: NodeJS.ProcessEnv;
  isolation: TestIsolation;
  rpc: TestRpcClient;
  /**
   * Publishes `events` to `<KAFKA_TOPIC_PREFIX><topic>` (`topic` as the contracts name it,
   * `crm.events`) as the outbox relay does: key = `subject`, value = the event's JSON, CloudEvents
   * headers (`ce_id`, `ce_type`, `ce_source`, `ce_specversion`, `traceparent`), acks = all. Seeds
   * the service's read models through its own consumers; resolves once the broker has the events.
   */
  publish(topic: string, events: CloudEvent[]): Promise<void>;
  /** Closes the app, the NATS connection and the producer, and drops the isolation's database. */
  stop(): Promise<void>;
}

/**
 * Starts one service in-process, e.g. `startService(startAudit)` with `startAudit` from the app's
 * `main.ts` (the same function `node main.js` runs: migrations, then the Nest app). The service
 * gets a fresh `createTestIsolation()`, `PORT`/`HEALTH_PORT` 0 (any free port) and `overrides`;
 * the RPC client and the producer use the same NATS and Kafka settings (`platformEnv`).
 *
 * @throws whatever `start` throws (the isolation's database is dropped first).
 */
export async function startService<TApp extends StartedApp>(
  start: (env: NodeJS.ProcessEnv) => Promise<TApp>,
  overrides: Record<string, string> = {},
): Promise<TestService<TApp>> {
  const isolation = await createTestIsolation();
  const env: NodeJS.ProcessEnv = { ...isolation.env, PORT: '0', HEALTH_PORT: '0', ...overrides };
  const platform = loadConfig(platformEnv, env);
  let app: TApp;
  try {
    app = await start(env);
  } catch (error) {
    await isolation.drop();
    throw error;
  }
  const natsOptions = {
    serviceName: 'test-rpc-client',
    servers: platform.NATS_URL,
    subjectPrefix: platform.NATS_SUBJECT_PREFIX,
    requestTimeoutMs: platform.NATS_REQUEST_TIMEOUT_MS,
  };
  let connection: NatsConnection | null = null;
  let client: RpcClient | null = null;
  let producer: Producer | null = null;

  return {
    app,
    env,
    isolation,
    rpc: {
      async call(contract, data, actor = null) {
        if (!client) {
          connection = await connectNats(natsOptions);
          client = new RpcClient(connection, natsOptions);
        }
        return client.request(contract, { actor, requestId: newId(), data });
      },
    },
    async publish(topic, events) {
      if (!producer) {
        producer = createProducer(
          createKafka({ clientId: 'test-publisher', brokers: platform.KAFKA_BROKERS, topicPrefix: platform.KAFKA_TOPIC_PREFIX }),
        );
        await producer.connect();
      }
      await producer.send({
        topic: `${platform.KAFKA_TOPIC_PREFIX}${topic}`,
        acks: -1,
        messages: events.map((event) => ({
          key: event.subject,
          value: JSON.stringify(event),
          headers: cloudEventHeaders(event),
        })),
      });
    },
    async stop() {
      try {
        await app.close();
      } finally {
        await (producer as Producer | null)?.disconnect().catch(() => undefined);
        const open = connection as NatsConnection | null;
        if (open && !open.isClosed()) await open.drain().catch(() => open.close());
        await isolation.drop();
      }
    },
  };
}
