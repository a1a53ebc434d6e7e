import { SetMetadata } from '@nestjs/common';
import type { CloudEvent, EventDefinition } from '@keyhouse/contracts';
import type { UnitOfWorkContext } from '../outbox/unit-of-work.service';

export const EVENT_HANDLER_METADATA = 'keyhouse:event-handler';

/** What `@OnEvent` / `@OnEventBatch` record on a method; read by `EventHandlerRegistry`. */
export interface EventHandlerMetadata {
  /**
   * Consumer group without `KAFKA_TOPIC_PREFIX`, `<service>.<purpose>` (e.g. `crm.task-activity`);
   * also the inbox's consumer name, so it must never change once events were recorded under it.
   */
  group: string;
  /** Topics read (without the prefix). */
  topics: string[];
  /** Event types handled; `null`: every event of `topics`. */
  types: string[] | null;
  /** A batch handler: gets each fetched batch of one partition, and its own inbox (`OnEventBatch`). */
  batch: boolean;
  /** kafkajs `partitionsConsumedConcurrently` for the group (default 1). */
  partitionsConsumedConcurrently?: number;
  /**
   * Events older than this (ms between the event's `time` and its delivery) are not given to the
   * method: for effects that make no sense late, such as telling a person about it (a first
   * deployment's group reads the topic's whole retained history). Default: no limit.
   */
  maxAgeMs?: number;
  /**
   * kafkajs `maxWaitTimeInMs` for the group (default the consumer's 500 ms): how long the broker may
   * hold an empty fetch. Lower it for a group whose events reach a person waiting on a screen (the
   * realtime channel); every group of the service pays one fetch per interval while idle.
   */
  maxWaitTimeInMs?: number;
}

/** A method of `@OnEvent`: the event, and the unit of work (transaction, emit, after-commit) its effect runs in. */
export type EventHandlerMethod<TData> = (event: CloudEvent<TData>, unit: UnitOfWorkContext) => Promise<void> | void;

/**
 * Subscribes a provider method to domain events (the chassis' event handlers, STYLE.md). The
 * `EventHandlerRegistry` joins consumer group `options.group` on the definitions' topics and, for
 * each event of a listed type, runs the method inside a `UnitOfWork` whose transaction also writes
 * the inbox row `(group, event id)`: a redelivered event is skipped, so the effect happens exactly
 * once; events the method emits are in the same transaction. A throw rolls back and the event is
 * redelivered, and after `maxAttempts` parked on `<topic>.dlq` (`EventConsumer`). Events of types
 * no handler of the group lists are skipped without an inbox row. Several methods may share a
 * group (one consumer; the ones listing the event's type run in one transaction, in discovery
 * order). With `maxAgeMs`, an event older than that is not given to the method (logged; the
 * others of the group still get it).
 *
 * ```ts
 * @OnEvent(CrmContactEvents.contactErased, { group: 'identity.contact-erasure' })
 * async onContactErased(event: CloudEvent<CrmContactErasedData>, unit: UnitOfWorkContext) { ... }
 * ```
 */
export function OnEvent<TData>(
  events: EventDefinition<TData> | ReadonlyArray<EventDefinition<TData>>,
  options: { group: string; partitionsConsumedConcurrently?: number; maxAgeMs?: number; maxWaitTimeInMs?: number },
) {
  const list = (Array.isArray(events) ? events : [events]) as ReadonlyArray<EventDefinition<TData>>;
  const metadata: EventHandlerMetadata = {
    group: options.group,
    topics: [...new Set(list.map((definition) => definition.topic))],
    types: list.map((definition) => definition.type),
    batch: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    maxAgeMs: options.maxAgeMs,
    maxWaitTimeInMs: options.maxWaitTimeInMs,
  };
  return <M extends EventHandlerMethod<TData>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    SetMetadata(EVENT_HANDLER_METADATA, metadata)(target, key, descriptor);
  };
}

/**
 * Like `@OnEvent`, for every event of whole topics (`topics` without the prefix), e.g. a feed that
 * maps many producers' types itself. The method gets `CloudEvent<unknown>` and must check `data`.
 */
export function OnTopicEvent(options: { group: string; topics: readonly string[]; partitionsConsumedConcurrently?: number }) {
  const metadata: EventHandlerMetadata = {
    group: options.group,
    topics: [...options.topics],
    types: null,
    batch: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
  };
  return <M extends EventHandlerMethod<unknown>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    SetMetadata(EVENT_HANDLER_METADATA, metadata)(target, key, descriptor);
  };
}

/** A method of `@OnEventBatch`: one fetched batch of one partition, in offset order. */
export type EventBatchHandlerMethod = (events: CloudEvent[], topic: string) => Promise<unknown>;

/**
 * For consumers whose effect is cheaper per batch than per event (the audit trail's hash chain):
 * the method gets each fetched batch of one partition of `topics` and keeps its own inbox
 * (exactly-once is its job); when it returns the batch's offsets are committed, when it throws the
 * batch is handed over again one event at a time (`EventConsumer.handleBatch`). It must be the only
 * handler of its group.
 */
export function OnEventBatch(options: { group: string; topics: readonly string[]; partitionsConsumedConcurrently?: number }) {
  const metadata: EventHandlerMetadata = {
    group: options.group,
    topics: [...options.topics],
    types: null,
    batch: true,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
  };
  return <M extends EventBatchHandlerMethod>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    SetMetadata(EVENT_HANDLER_METADATA, metadata)(target, key, descriptor);
  };
}
