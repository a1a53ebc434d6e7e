import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { Counter, Gauge, Histogram } from 'prom-client';
import { sql, type Selectable } from 'kysely';
import type { DataSource, QueryRunner } from 'typeorm';
import { kyselyFor, type SqlRunner } from '@keyhouse/platform/database';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.constant';
import { outboxChannel } from './outbox.service';
import type { PlatformDb } from './platform.db';

export const OUTBOX_DATA_SOURCE = Symbol('OUTBOX_DATA_SOURCE');
export const OUTBOX_PRODUCER = Symbol('OUTBOX_PRODUCER');

const published = new Counter({
  name: 'outbox_events_published_total',
  help: 'Domain events published to Kafka by the outbox relay',
  labelNames: ['service'],
});
const failures = new Counter({
  name: 'outbox_publish_failures_total',
  help: 'Failed attempts to publish an outbox batch',
  labelNames: ['service'],
});
const pending = new Gauge({
  name: 'outbox_events_pending',
  help: 'Outbox rows not yet published, as of the last poll',
  labelNames: ['service'],
});
const parked = new Counter({
  name: 'outbox_events_parked_total',
  help: 'Outbox rows parked after Kafka refused them maxAttempts times',
  labelNames: ['service'],
});
const parkedNow = new Gauge({
  name: 'outbox_events_parked',
  help: 'Outbox rows parked and not re-queued, as of the last poll',
  labelNames: ['service'],
});
const batchSeconds = new Histogram({
  name: 'outbox_publish_batch_seconds',
  help: 'Time to publish one outbox batch to Kafka and mark it',
  labelNames: ['service'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

type OutboxRow = Pick<Selectable<PlatformDb['outbox_event']>, 'seq' | 'id' | 'topic' | 'message_key' | 'payload' | 'headers' | 'attempts'>;

/** The pg client under a TypeORM query runner, for `LISTEN` (PostgresQueryRunner.databaseConnection). */
interface NotifyingClient {
  on(event: 'notification', listener: (message: { channel: string }) => void): unknown;
  removeListener(event: 'notification', listener: (message: { channel: string }) => void): unknown;
}

/**
 * Publisher of the transactional outbox (microservices.io "Transactional outbox"). One relay per
 * service is leader at a time, through a Postgres session advisory lock, so events of one aggregate
 * keep their order. The leader `LISTEN`s on the schema's outbox channel on the lock's connection:
 * every commit that wrote outbox rows notifies it (`OutboxService.publish`), in this process or
 * any replica, and it publishes at once; a slow poll (`pollIntervalMs`, default 5 s) remains as a
 * safety net for a lost notification. It reads unpublished rows in `seq` order, sends them in one
 * batch with acks = all, then marks them published. A crash between send and mark re-publishes the
 * batch (at-least-once); consumers dedupe by event id.
 *
 * Broker outages are retried forever with exponential backoff (capped at 30 s); nothing is dropped.
 * When a batch fails, its first row is sent alone: if Kafka refuses that row for a reason of its
 * own (a non-retriable error such as MESSAGE_TOO_LARGE), the row's `attempts` grows, and after
 * `maxAttempts` (default 5) it is parked (`parked_at`, metric `outbox_events_parked_total`,
 * `/internal/outbox/parked`) so the rows behind it flow again.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop: Promise<void> | null = null;
  private lockRunner: QueryRunner | null = null;
  private producerConnected = false;
  private wakeUp: (() => void) | null = null;
  private wokenWhileBusy = false;
  private lastPrune = 0;
  private listening: { client: NotifyingClient; listener: (message: { channel: string }) => void } | null = null;
  /** Time of the last completed poll (ms since epoch), for the liveness check. */
  lastPollAt = Date.now();

  constructor(
    @Inject(OUTBOX_OPTIONS) private readonly options: OutboxOptions,
    @Inject(OUTBOX_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(OUTBOX_PRODUCER) private readonly producer: Producer,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    this.loop = null;
    await this.releaseLock();
    if (this.producerConnected) {
      await this.producer.disconnect().catch(() => undefined);
      this.producerConnected = false;
    }
  }

  /** Asks the relay to poll now instead of waiting for the next interval (call after a commit). */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wokenWhileBusy = true; // a commit landed mid-batch: poll again straight after it
  }

  private async run(): Promise<void> {
    let backoffMs = 0;
    while (this.running) {
      try {
        if (!(await this.ensureLeader())) {
          await this.sleep(2000);
          continue;
        }
        if (!this.producerConnected) {
          await this.producer.connect();
          this.producerConnected = true;
        }
        const count = await this.publishBatch();
        this.lastPollAt = Date.now();
        backoffMs = 0;
        await this.pruneIfDue();
        if (count < (this.options.batchSize ?? 200)) await this.sleep(this.options.pollIntervalMs ?? 5000);
      } catch (error) {
        failures.inc({ service: this.options.serviceName });
        backoffMs = Math.min(30_000, backoffMs ? backoffMs * 2 : 250);
        this.logger.warn(`Outbox relay error (retrying in ${backoffMs} ms): ${(error as Error).message}`);
        if (isConnectionError(error)) await this.releaseLock();
        this.lastPollAt = Date.now();
        await this.sleep(backoffMs);
      }
    }
  }

  /** Publishes one batch; returns how many rows it published or parked. */
  async publishBatch(): Promise<number> {
    const outbox = this.outbox();
    const rows: OutboxRow[] = await outbox
      .selectFrom('outbox_event')
      .select(['seq', 'id', 'topic', 'message_key', 'payload', 'headers', 'attempts'])
      .where('published_at', 'is', null)
      .where('parked_at', 'is', null)
      .orderBy('seq')
      .limit(this.options.batchSize ?? 200)
      .execute();
    if (rows.length === 0) {
      pending.set({ service: this.options.serviceName }, 0);
      return 0;
    }
    const timer = batchSeconds.startTimer({ service: this.options.serviceName });
    try {
      await this.send(rows);
    } catch (error) {
      const handled = await this.isolateFirstRow(rows, error);
      if (handled) return 1;
      throw error;
    }
    await this.markPublished(rows);
    timer();
    const { count, parked_count } = await outbox
      .selectFrom('outbox_event')
      .select([
        sql<number>`count(*) FILTER (WHERE parked_at IS NULL)::int`.as('count'),
        sql<number>`count(*) FILTER (WHERE parked_at IS NOT NULL)::int`.as('parked_count'),
      ])
      .where('published_at', 'is', null)
      .executeTakeFirstOrThrow();
    pending.set({ service: this.options.serviceName }, count);
    parkedNow.set({ service: this.options.serviceName }, parked_count);
    return rows.length;
  }

  private async send(rows: OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, OutboxRow[]>();
    for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
    await this.producer.sendBatch({
      acks: -1,
      timeout: 30_000,
      topicMessages: [...byTopic].map(([topic, topicRows]) => ({
        topic,
        messages: topicRows.map((row) => ({ key: row.message_key, value: JSON.stringify(row.payload), headers: row.headers })),
      })),
    });
  }

  private async markPublished(rows: OutboxRow[]): Promise<void> {
    await this.outbox()
      .updateTable('outbox_event')
      .set({ published_at: sql`now()` })
      .where('seq', '=', sql<string>`any(${rows.map((row) => row.seq)}::bigint[])`)
      .execute();
    published.inc({ service: this.options.serviceName }, rows.length);
  }

  /**
   * After a failed batch: sends its first row alone. Published: true (the rest follow on the next
   * round). Refused for a reason of its own (non-retriable): one more attempt on the row, parked at
   * `maxAttempts`; true. A broker-wide failure: counts the attempt on the batch's rows and returns
   * false (the caller backs off and retries).
   */
  private async isolateFirstRow(rows: OutboxRow[], batchError: unknown): Promise<boolean> {
    const [first] = rows;
    let error = batchError;
    if (rows.length > 1) {
      try {
        await this.send([first]);
        await this.markPublished([first]);
        return true;
      } catch (single) {
        error = single;
      }
    }
    const message = String((error as Error)?.message ?? error).slice(0, 500);
    if (isRetriable(error)) {
      await this.outbox()
        .updateTable('outbox_event')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: message }))
        .where('seq', '=', sql<string>`any(${rows.map((row) => row.seq)}::bigint[])`)
        .execute()
        .catch(() => undefined);
      return false;
    }
    const maxAttempts = this.options.maxAttempts ?? 5;
    const updated = await this.outbox()
      .updateTable('outbox_event')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: message,
        parked_at: sql<Date | null>`CASE WHEN attempts + 1 >= ${maxAttempts} THEN now() END`,
      }))
      .where('seq', '=', first.seq)
      .returning('parked_at')
      .executeTakeFirst();
    if (updated?.parked_at) {
      parked.inc({ service: this.options.serviceName });
      this.logger.error(`Parked outbox event ${first.id} after ${maxAttempts} refusals by Kafka: ${message}`);
    } else {
      failures.inc({ service: this.options.serviceName });
      this.logger.warn(`Kafka refused outbox event ${first.id} (attempt ${first.attempts + 1} of ${maxAttempts}): ${message}`);
    }
    return true;
  }

  /** Parked rows, oldest first, for operators (`/internal/outbox/parked`). */
  async parkedRows(
    limit: number,
    afterSeq?: string,
  ): Promise<
    Array<{ seq: string; id: string; topic: string; eventType: string; attempts: number; lastError: string | null; parkedAt: string }>
  > {
    let query = this.outbox()
      .selectFrom('outbox_event')
      .select(['seq', 'id', 'topic', 'event_type', 'attempts', 'last_error', 'parked_at'])
      .where('parked_at', 'is not', null)
      .where('published_at', 'is', null)
      .orderBy('seq')
      .limit(limit)
      .$narrowType<{ parked_at: Date }>();
    if (afterSeq !== undefined) query = query.where('seq', '>', afterSeq);
    const rows = await query.execute();
    return rows.map((row) => ({
      seq: row.seq,
      id: row.id,
      topic: row.topic,
      eventType: row.event_type,
      attempts: row.attempts,
      lastError: row.last_error,
      parkedAt: row.parked_at.toISOString(),
    }));
  }

  /** Puts a parked row back in the queue with its attempts reset; false when no parked row has that id. */
  async requeue(id: string): Promise<boolean> {
    const requeued = await this.outbox()
      .updateTable('outbox_event')
      .set({ parked_at: null, attempts: 0 })
      .where('id', '=', id)
      .where('parked_at', 'is not', null)
      .where('published_at', 'is', null)
      .returning('seq')
      .executeTakeFirst();
    if (!requeued) return false;
    this.wake();
    return true;
  }

  /** The outbox table of this relay's schema, queried through `runner` (default: the data source's pool). */
  private outbox(runner: SqlRunner = this.dataSource) {
    return kyselyFor<PlatformDb>(runner).withSchema(this.options.schema);
  }

  /** The advisory lock key of this schema's relay leader. */
  private lockKey(): string {
    return `${this.options.schema}.outbox_relay`;
  }

  private async ensureLeader(): Promise<boolean> {
    if (this.lockRunner && !this.lockRunner.isReleased) return true;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const {
      rows: [{ locked }],
    } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtext(${this.lockKey()})) AS locked`.execute(
      kyselyFor(runner.manager),
    );
    if (!locked) {
      await runner.release();
      return false;
    }
    this.lockRunner = runner;
    await this.listen(runner);
    return true;
  }

  /** LISTEN on the outbox channel on the leader's own connection; a notification wakes the loop. */
  private async listen(runner: QueryRunner): Promise<void> {
    const client = (runner as unknown as { databaseConnection?: NotifyingClient }).databaseConnection;
    if (!client || this.options.listen === false) return;
    const channel = outboxChannel(this.options.schema);
    const listener = (message: { channel: string }) => {
      if (message.channel === channel) this.wake();
    };
    client.on('notification', listener);
    this.listening = { client, listener };
    await sql`LISTEN ${sql.id(channel)}`.execute(kyselyFor(runner.manager));
  }

  private async releaseLock(): Promise<void> {
    const runner = this.lockRunner;
    this.lockRunner = null;
    if (this.listening) {
      this.listening.client.removeListener('notification', this.listening.listener);
      this.listening = null;
    }
    if (!runner || runner.isReleased) return;
    const db = kyselyFor(runner.manager);
    await sql`UNLISTEN *`.execute(db).catch(() => undefined);
    await sql`SELECT pg_advisory_unlock(hashtext(${this.lockKey()}))`.execute(db).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  private async pruneIfDue(): Promise<void> {
    if (Date.now() - this.lastPrune < 10 * 60_000) return;
    this.lastPrune = Date.now();
    const hours = this.options.retentionHours ?? 168;
    await this.outbox()
      .deleteFrom('outbox_event')
      .where('seq', 'in', (eb) =>
        eb
          .selectFrom('outbox_event')
          .select('seq')
          .where('published_at', '<', sql<Date>`now() - make_interval(hours => ${hours})`)
          .limit(10_000),
      )
      .execute();
  }

  /**
   * Waits `ms`, or until `wake()`; returns at once when a wake came while the relay was busy (so no
   * notification is lost between a poll and the sleep) or once `stop()` was called.
   */
  private sleep(ms: number): Promise<void> {
    if (!this.running || this.wokenWhileBusy) {
      this.wokenWhileBusy = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }
}

/**
 * True unless the root cause (kafkajs wraps it in `cause`, e.g. KafkaJSNumberOfRetriesExceeded
 * around a connection error) is the broker refusing the message itself: a non-retriable
 * `KafkaJSProtocolError` (MESSAGE_TOO_LARGE, INVALID_RECORD, ...). Anything else, an outage
 * included, may pass on a later try.
 */
export function isRetriable(error: unknown): boolean {
  let root = error as { cause?: unknown; name?: string; retriable?: boolean } | null;
  for (let depth = 0; root?.cause && root.cause !== root && depth < 10; depth += 1) root = root.cause as typeof root;
  return !(root?.name === 'KafkaJSProtocolError' && root.retriable === false);
}

function isConnectionError(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '');
  return /connect|terminat|ECONNREFUSED|Connection/i.test(message);
}
