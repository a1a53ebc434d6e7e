import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { Kafka } from 'kafkajs';
import type { CloudEvent } from '@keyhouse/contracts';
import type { DataSource } from 'typeorm';
import { Inbox } from '../outbox/inbox.service';
import { OUTBOX_DATA_SOURCE } from '../outbox/outbox-relay.service';
import { eventContextOf } from '../outbox/outbox.service';
import { UnitOfWork, type UnitOfWorkContext } from '../outbox/unit-of-work.service';
import { EventConsumer } from './kafka-event.consumer';
import { EVENT_HANDLER_METADATA, type EventHandlerMetadata } from './on-event.decorator';

export const EVENT_HANDLERS_OPTIONS = Symbol('EVENT_HANDLERS_OPTIONS');
export const EVENT_HANDLERS_KAFKA = Symbol('EVENT_HANDLERS_KAFKA');

export interface EventHandlersOptions {
  /** Postgres schema of the service's `inbox_event`. */
  schema: string;
  /** `KAFKA_TOPIC_PREFIX`, prepended to group ids and topics. */
  topicPrefix: string;
  /** A consumer that has not polled (fetch or heartbeat) for this long fails `/health/live` (default 60 000 ms). */
  livenessWindowMs?: number;
  /** Deliveries of one event before it is parked on `<topic>.dlq` (default 5). */
  maxAttempts?: number;
}

interface HandlerEntry {
  name: string;
  types: Set<string> | null;
  /** `@OnEvent`'s `maxAgeMs`: older events are not given to this handler. */
  maxAgeMs?: number;
  run: (...args: unknown[]) => Promise<unknown>;
}

interface ConsumerGroup {
  group: string;
  topics: Set<string>;
  batch: boolean;
  partitionsConsumedConcurrently: number;
  /** The smallest `maxWaitTimeInMs` its handlers ask for (undefined: the consumer's default). */
  maxWaitTimeInMs?: number;
  handlers: HandlerEntry[];
  consumer?: EventConsumer;
}

/**
 * The chassis' event consumers: finds every `@OnEvent`, `@OnTopicEvent` and `@OnEventBatch` method
 * of the application's providers at bootstrap, starts one `EventConsumer` per consumer group
 * (without awaiting the group join, so the service answers RPCs meanwhile), and delivers each event
 * to its handlers inside a `UnitOfWork` with the inbox row (exactly-once effect). `liveness()` is
 * the `event-consumers` check of `/health/live`. No service writes consumer set-up of its own.
 */
@Injectable()
export class EventHandlerRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EventHandlerRegistry.name);
  private readonly groups = new Map<string, ConsumerGroup>();
  private starting: Promise<unknown> | null = null;
  private readonly inbox: Inbox;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly unitOfWork: UnitOfWork,
    @Inject(EVENT_HANDLERS_KAFKA) private readonly kafka: Kafka,
    @Inject(EVENT_HANDLERS_OPTIONS) private readonly options: EventHandlersOptions,
    @Inject(OUTBOX_DATA_SOURCE) dataSource: DataSource,
  ) {
    this.inbox = new Inbox(dataSource, options.schema);
  }

  /** Consumer groups (without the prefix) and the topics each reads. */
  get subscriptions(): Array<{ group: string; topics: string[] }> {
    return [...this.groups.values()].map((g) => ({ group: g.group, topics: [...g.topics] }));
  }

  onApplicationBootstrap(): void {
    this.discover();
    const prefix = this.options.topicPrefix;
    const starts = [...this.groups.values()].map((group) => {
      const [handler] = group.handlers;
      const consumer = new EventConsumer(this.kafka, {
        groupId: prefix + group.group,
        topics: [...group.topics].map((topic) => prefix + topic),
        partitionsConsumedConcurrently: group.partitionsConsumedConcurrently,
        maxWaitTimeInMs: group.maxWaitTimeInMs,
        maxAttempts: this.options.maxAttempts,
        ...(group.batch
          ? {
              handleBatch: async (items) =>
                void (await handler.run(
                  items.map((item) => item.event),
                  items[0]?.meta.topic.slice(prefix.length),
                )),
            }
          : { handle: (event) => this.deliver(group.group, event).then(() => undefined) }),
      });
      group.consumer = consumer;
      return consumer.start().catch((error: Error) => this.logger.error(`Consumer group ${group.group} failed to start: ${error.message}`));
    });
    this.starting = Promise.all(starts);
    if (this.groups.size > 0) this.logger.log(`Consuming ${[...this.groups.keys()].join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    // Let group joins in progress finish (at most 10 s) so stopping does not race them.
    await Promise.race([this.starting, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    await Promise.all([...this.groups.values()].map((group) => group.consumer?.stop()));
  }

  /**
   * Delivers one event to the handlers of `group` that list its type (and, with `maxAgeMs`, for
   * which it is not too old), in one unit of work with the inbox row. Returns false when no handler
   * takes it or the group already processed this event id (nothing ran). Used by the group's consumer, and by tests to deliver an event directly.
   *
   * @throws Error when `group` has no handlers or is a batch group; whatever a handler throws (rolled back).
   */
  async deliver(group: string, event: CloudEvent): Promise<boolean> {
    const entry = this.groups.get(group);
    if (!entry || entry.batch) throw new Error(`No @OnEvent handlers in consumer group ${group}`);
    const ageMs = Date.now() - Date.parse(event.time);
    const handlers = entry.handlers.filter((handler) => {
      if (handler.types && !handler.types.has(event.type)) return false;
      if (handler.maxAgeMs === undefined || !(ageMs > handler.maxAgeMs)) return true;
      this.logger.warn(
        { group, handler: handler.name, eventId: event.id, type: event.type, ageMs },
        'Event older than the handler takes: skipped',
      );
      return false;
    });
    if (handlers.length === 0) return false;
    return this.unitOfWork.run(eventContextOf(event), async (unit: UnitOfWorkContext) => {
      if (!(await this.inbox.claim(unit.manager, group, event))) return false;
      for (const handler of handlers) await handler.run(event, unit);
      return true;
    });
  }

  /** Liveness check: every consumer polled within the window. */
  liveness(): { healthy: boolean; details: Record<string, unknown> } {
    const window = this.options.livenessWindowMs ?? 60_000;
    const now = Date.now();
    const ages = Object.fromEntries([...this.groups.values()].map((g) => [g.group, now - (g.consumer?.lastPollAt ?? now)]));
    return { healthy: Object.values(ages).every((age) => age < window), details: { lastPollAgeMs: ages } };
  }

  private discover(): void {
    if (this.groups.size > 0) return;
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name] as (...args: unknown[]) => Promise<unknown>;
        const metadata = this.reflector.get<EventHandlerMetadata | undefined>(EVENT_HANDLER_METADATA, method);
        if (!metadata) continue;
        const label = `${prototype.constructor.name}.${name}`;
        let group = this.groups.get(metadata.group);
        if (!group) {
          group = { group: metadata.group, topics: new Set(), batch: metadata.batch, partitionsConsumedConcurrently: 1, handlers: [] };
          this.groups.set(metadata.group, group);
        }
        if (group.batch || metadata.batch) {
          if (group.handlers.length > 0)
            throw new Error(`Consumer group ${metadata.group}: a batch handler must be its only handler (${label})`);
        }
        for (const topic of metadata.topics) group.topics.add(topic);
        group.partitionsConsumedConcurrently = Math.max(group.partitionsConsumedConcurrently, metadata.partitionsConsumedConcurrently ?? 1);
        if (metadata.maxWaitTimeInMs !== undefined)
          group.maxWaitTimeInMs = Math.min(group.maxWaitTimeInMs ?? metadata.maxWaitTimeInMs, metadata.maxWaitTimeInMs);
        group.handlers.push({
          name: label,
          types: metadata.types ? new Set(metadata.types) : null,
          maxAgeMs: metadata.maxAgeMs,
          run: method.bind(instance),
        });
      }
    }
  }
}
