import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { CloudEvent } from '@keyhouse/contracts';
import { waitFor, type TestService } from '@keyhouse/testing';

/** A crm event as read from Kafka, with the time this test process received it (ms since the epoch). */
export interface ReceivedEvent<T = Record<string, unknown>> {
  key: string | null;
  event: CloudEvent<T>;
  receivedAt: number;
}

/**
 * Reads the service's `crm.events` topic (its isolation's prefix) from the beginning with kafkajs
 * into `received`, as a downstream consumer (notifications, audit) would: what the outbox relay
 * actually published.
 */
export class CrmEventLog {
  readonly received: ReceivedEvent[] = [];
  private consumer: Consumer | null = null;

  constructor(private readonly crm: TestService) {}

  /** Joins a fresh consumer group and starts reading; resolves once subscribed. */
  async start(): Promise<void> {
    const kafka = new Kafka({ clientId: 'crm-event-log', brokers: this.crm.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({ groupId: `${this.crm.isolation.id}-crm-event-log`, maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: `${this.crm.env.KAFKA_TOPIC_PREFIX}crm.events`, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.received.push({
          key: message.key?.toString() ?? null,
          event: JSON.parse(message.value!.toString()) as CloudEvent<Record<string, unknown>>,
          receivedAt: Date.now(),
        });
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  /** The events received so far of `type` (and aggregate `subject`, when given), in arrival order. */
  of<T = Record<string, unknown>>(type: string, subject?: string): Array<ReceivedEvent<T>> {
    return this.received.filter((item) => item.event.type === type && (subject === undefined || item.event.subject === subject)) as Array<
      ReceivedEvent<T>
    >;
  }

  /**
   * The first event of `type` about `subject`, once received.
   *
   * @throws Error when none arrives within `timeoutMs` (default 20 s).
   */
  async waitFor<T = Record<string, unknown>>(type: string, subject: string, timeoutMs = 20_000): Promise<ReceivedEvent<T>> {
    await waitFor(() => this.of(type, subject).length > 0, timeoutMs);
    return this.of<T>(type, subject)[0];
  }
}
