import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { DataSource, QueryRunner } from 'typeorm';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.constant';

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
const batchSeconds = new Histogram({
  name: 'outbox_publish_batch_seconds',
  help: 'Time to publish one outbox batch to Kafka and mark it',
  labelNames: ['service'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

interface OutboxRow {
  seq: string;
  id: string;
  topic: string;
  message_key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * Polling publisher of the transactional outbox (microservices.io "Transactional outbox",
 * polling-publisher variant). One relay per service is leader at a time, through a Postgres
 * session advisory lock, so events of one aggregate keep their order. It reads unpublished rows
 * in `seq` order, sends them in one batch with acks = all, then marks them published. A crash
 * between send and mark re-publishes the batch (at-least-once); consumers dedupe by event id.
 * Broker errors are retried forever with exponential backoff (capped at 30 s); nothing is dropped.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop: Promise<void> | null = null;
  private lockRunner: QueryRunner | null = null;
  private producerConnected = false;
  private wakeUp: (() => void) | null = null;
  private lastPrune = 0;
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
    this.wakeUp?.();
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
        if (count < (this.options.batchSize ?? 200)) await this.sleep(this.options.pollIntervalMs ?? 200);
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

  /** Publishes one batch; returns how many rows it published. */
  async publishBatch(): Promise<number> {
    const table = `"${this.options.schema}".outbox_event`;
    const rows = (await this.dataSource.query(
      `SELECT seq, id, topic, message_key, payload, headers FROM ${table}
        WHERE published_at IS NULL ORDER BY seq LIMIT $1`,
      [this.options.batchSize ?? 200],
    )) as OutboxRow[];
    if (rows.length === 0) {
      pending.set({ service: this.options.serviceName }, 0);
      return 0;
    }
    const timer = batchSeconds.startTimer({ service: this.options.serviceName });
    const byTopic = new Map<string, OutboxRow[]>();
    for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
    try {
      await this.producer.sendBatch({
        acks: -1,
        timeout: 30_000,
        topicMessages: [...byTopic].map(([topic, topicRows]) => ({
          topic,
          messages: topicRows.map((row) => ({
            key: row.message_key,
            value: JSON.stringify(row.payload),
            headers: row.headers,
          })),
        })),
      });
    } catch (error) {
      await this.dataSource
        .query(`UPDATE ${table} SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])`, [
          rows.map((row) => row.seq),
          String((error as Error).message).slice(0, 500),
        ])
        .catch(() => undefined);
      throw error;
    }
    await this.dataSource.query(`UPDATE ${table} SET published_at = now() WHERE seq = ANY($1::bigint[])`, [
      rows.map((row) => row.seq),
    ]);
    timer();
    published.inc({ service: this.options.serviceName }, rows.length);
    const [{ count }] = (await this.dataSource.query(
      `SELECT count(*)::int AS count FROM ${table} WHERE published_at IS NULL`,
    )) as Array<{ count: number }>;
    pending.set({ service: this.options.serviceName }, count);
    return rows.length;
  }

  private async ensureLeader(): Promise<boolean> {
    if (this.lockRunner && !this.lockRunner.isReleased) return true;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [
      `${this.options.schema}.outbox_relay`,
    ])) as Array<{ locked: boolean }>;
    if (!locked) {
      await runner.release();
      return false;
    }
    this.lockRunner = runner;
    return true;
  }

  private async releaseLock(): Promise<void> {
    const runner = this.lockRunner;
    this.lockRunner = null;
    if (!runner || runner.isReleased) return;
    await runner
      .query(`SELECT pg_advisory_unlock(hashtext($1))`, [`${this.options.schema}.outbox_relay`])
      .catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  private async pruneIfDue(): Promise<void> {
    if (Date.now() - this.lastPrune < 10 * 60_000) return;
    this.lastPrune = Date.now();
    await this.dataSource.query(
      `DELETE FROM "${this.options.schema}".outbox_event
        WHERE seq IN (SELECT seq FROM "${this.options.schema}".outbox_event
                       WHERE published_at < now() - make_interval(hours => $1) LIMIT 10000)`,
      [this.options.retentionHours ?? 168],
    );
  }

  private sleep(ms: number): Promise<void> {
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

function isConnectionError(error: unknown): boolean {
  const message = String((error as Error)?.message ?? '');
  return /connect|terminat|ECONNREFUSED|Connection/i.test(message);
}
