import { Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { CloudEvent } from '@keyhouse/contracts';

/** Where a consumed event came from. */
export interface EventMeta {
  topic: string;
  partition: number;
  offset: string;
}

export interface EventConsumerOptions {
  groupId: string;
  topics: string[];
  /** Handles one event; throw to have it redelivered. Give exactly one of `handle` and `handleBatch`. */
  handle?: (event: CloudEvent, meta: EventMeta) => Promise<void>;
  /**
   * Handles the events of one fetched batch of one partition, in offset order (malformed messages
   * already removed and parked). When it returns, the whole batch's offset is committed. When it
   * throws, the batch is handed over again one event at a time (`handleBatch([one])`), with the
   * per-message retries and dead-lettering of `handle`: one poison event cannot hold its batch.
   * So the handler must be idempotent per event (an inbox), since a failed batch may have half
   * happened only if it did not run in one transaction.
   */
  handleBatch?: (events: Array<{ event: CloudEvent; meta: EventMeta }>) => Promise<void>;
  /** Partitions whose batches are handled at the same time (kafkajs `partitionsConsumedConcurrently`, default 1). */
  partitionsConsumedConcurrently?: number;
  /** Deliveries of one message before it is parked on `<topic>.dlq` (default 5). */
  maxAttempts?: number;
  fromBeginning?: boolean;
  /**
   * Longest time the broker holds a fetch when no message is waiting (kafkajs `maxWaitTimeInMs`,
   * default here 500 ms rather than kafkajs' 5 s): the worst-case delivery delay of an idle
   * consumer, bought with one fetch per consumer per interval.
   */
  maxWaitTimeInMs?: number;
  /**
   * Group session timeout (kafkajs `sessionTimeout`, default here 10 s rather than 30 s): how long
   * the group waits for a vanished member before handing its partitions to another. A restarted
   * service rejoins after at most this long when its leave-group was lost (the local mock broker
   * loses it, so a restart used to wait 30 s). Heartbeats go every 1 s between handler calls; a
   * single handler call longer than this loses the partitions to a rebalance and is redelivered.
   */
  sessionTimeoutMs?: number;
}

/**
 * Kafka consumer of CloudEvents with at-least-once delivery: offsets are committed only after the
 * handler returns, so a crash redelivers (pair it with `Inbox` for exactly-once effects). A message
 * that is not a CloudEvent, or that fails `maxAttempts` times, goes to the dead-letter topic
 * `<topic>.dlq` so the partition is not blocked (RELIABILITY.md REL-07). kafkajs stops for good on
 * a non-retriable crash; this runner restarts it, and `lastPollAt` feeds the liveness check.
 */
export class EventConsumer {
  private readonly logger = new Logger(EventConsumer.name);
  private consumer: Consumer | null = null;
  private dlqProducer: Producer | null = null;
  private readonly attempts = new Map<string, number>();
  private stopped = false;
  lastPollAt = Date.now();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventConsumerOptions,
  ) {
    if (!options.handle === !options.handleBatch) throw new Error('EventConsumer: give exactly one of handle and handleBatch');
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.dlqProducer ??= this.kafka.producer({ allowAutoTopicCreation: true });
    await this.dlqProducer.connect();
    await this.startConsumer();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.dlqProducer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: true,
      maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? 500,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.HEARTBEAT, () => (this.lastPollAt = Date.now()));
    consumer.on(consumer.events.FETCH, () => (this.lastPollAt = Date.now()));
    consumer.on(consumer.events.CRASH, (event) => {
      if (this.stopped || event.payload.restart) return;
      this.logger.error(`Consumer ${this.options.groupId} crashed: ${event.payload.error.message}; restarting`);
      setTimeout(() => {
        if (!this.stopped) void consumer.disconnect().finally(() => this.startConsumer());
      }, 1000);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    if (this.options.handleBatch) {
      await consumer.run({
        // commit after every handled batch (kafkajs commits when at least this many offsets are resolved)
        autoCommitThreshold: 1,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.runBatch(payload, this.options.handleBatch!),
      });
      return;
    }
    const handle = this.options.handle!;
    await consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachMessage: async ({ topic, partition, message }) => {
        this.lastPollAt = Date.now();
        const position = `${topic}/${partition}/${message.offset}`;
        let event: CloudEvent;
        try {
          event = JSON.parse(message.value?.toString('utf8') ?? '') as CloudEvent;
          if (!event || typeof event.id !== 'string' || typeof event.type !== 'string') throw new Error('not a CloudEvent');
        } catch (error) {
          await this.deadLetter(topic, message.key, message.value, `malformed: ${(error as Error).message}`);
          return;
        }
        try {
          await handle(event, { topic, partition, offset: message.offset });
          this.attempts.delete(position);
        } catch (error) {
          const attempts = (this.attempts.get(position) ?? 0) + 1;
          this.attempts.set(position, attempts);
          if (attempts >= (this.options.maxAttempts ?? 5)) {
            this.attempts.delete(position);
            await this.deadLetter(topic, message.key, message.value, (error as Error).message);
            return;
          }
          throw error;
        }
      },
    });
  }

  /**
   * One fetched batch: parse, hand the valid events over at once, park the malformed ones, commit.
   * On a failure (or when the batch starts at a message that already failed), one event at a time:
   * a failing event is retried by redelivery (offsets before it are committed) and parked on
   * `<topic>.dlq` after `maxAttempts`.
   */
  private async runBatch(
    { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload,
    handleBatch: NonNullable<EventConsumerOptions['handleBatch']>,
  ): Promise<void> {
    this.lastPollAt = Date.now();
    const { topic, partition } = batch;
    const items = batch.messages.map((message) => ({ message, ...parseEvent(message) }));
    if (items.length === 0) return;
    const position = (message: KafkaMessage) => `${topic}/${partition}/${message.offset}`;
    if (!this.attempts.has(position(items[0].message))) {
      const valid = items.filter((item) => item.event !== null);
      try {
        if (valid.length > 0) {
          await handleBatch(valid.map((item) => ({ event: item.event!, meta: { topic, partition, offset: item.message.offset } })));
        }
        for (const item of items) {
          if (item.event === null) await this.deadLetter(topic, item.message.key, item.message.value, `malformed: ${item.error}`);
        }
        resolveOffset(items[items.length - 1].message.offset);
        await commitOffsetsIfNecessary();
        return;
      } catch (error) {
        this.logger.warn(`Batch of ${items.length} from ${topic}/${partition} failed (${(error as Error).message}); handling one by one`);
      }
    }
    for (const item of items) {
      if (!isRunning() || isStale()) return;
      const at = position(item.message);
      if (item.event === null) {
        await this.deadLetter(topic, item.message.key, item.message.value, `malformed: ${item.error}`);
      } else {
        try {
          await handleBatch([{ event: item.event, meta: { topic, partition, offset: item.message.offset } }]);
          this.attempts.delete(at);
        } catch (error) {
          const attempts = (this.attempts.get(at) ?? 0) + 1;
          this.attempts.set(at, attempts);
          if (attempts < (this.options.maxAttempts ?? 5)) throw error; // kafkajs commits what was resolved and fetches again from here
          this.attempts.delete(at);
          await this.deadLetter(topic, item.message.key, item.message.value, (error as Error).message);
        }
      }
      resolveOffset(item.message.offset);
      await heartbeat();
    }
    await commitOffsetsIfNecessary();
  }

  private async deadLetter(topic: string, key: Buffer | null, value: Buffer | null, reason: string): Promise<void> {
    this.logger.error(`Parking a message of ${topic} on ${topic}.dlq: ${reason}`);
    await this.dlqProducer!.send({
      topic: `${topic}.dlq`,
      acks: -1,
      messages: [{ key, value, headers: { 'x-dlq-reason': reason.slice(0, 500) } }],
    });
  }
}

function parseEvent(message: KafkaMessage): { event: CloudEvent | null; error?: string } {
  try {
    const event = JSON.parse(message.value?.toString('utf8') ?? '') as CloudEvent;
    if (!event || typeof event.id !== 'string' || typeof event.type !== 'string') throw new Error('not a CloudEvent');
    return { event };
  } catch (error) {
    return { event: null, error: (error as Error).message };
  }
}
