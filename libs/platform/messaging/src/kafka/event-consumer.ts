import { Logger } from '@nestjs/common';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { CloudEvent } from '@keyhouse/contracts';

export interface EventConsumerOptions {
  groupId: string;
  topics: string[];
  /** Handles one event; throw to have it redelivered. */
  handle: (event: CloudEvent, meta: { topic: string; partition: number; offset: string }) => Promise<void>;
  /** Deliveries of one message before it is parked on `<topic>.dlq` (default 5). */
  maxAttempts?: number;
  fromBeginning?: boolean;
  /**
   * Longest time the broker holds a fetch when no message is waiting (kafkajs `maxWaitTimeInMs`,
   * default here 500 ms rather than kafkajs' 5 s): the worst-case delivery delay of an idle
   * consumer, bought with one fetch per consumer per interval.
   */
  maxWaitTimeInMs?: number;
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
  ) {}

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
    await consumer.run({
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
          await this.options.handle(event, { topic, partition, offset: message.offset });
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

  private async deadLetter(topic: string, key: Buffer | null, value: Buffer | null, reason: string): Promise<void> {
    this.logger.error(`Parking a message of ${topic} on ${topic}.dlq: ${reason}`);
    await this.dlqProducer!.send({
      topic: `${topic}.dlq`,
      acks: -1,
      messages: [{ key, value, headers: { 'x-dlq-reason': reason.slice(0, 500) } }],
    });
  }
}
