import type { CloudEvent } from './cloud-event.type';

/**
 * One domain event type as a value: its CloudEvents `type`, its schema version and, as a phantom
 * type, its `data`. Producers emit through it (`UnitOfWorkContext.emit(Def, ...)`), consumers
 * subscribe with it (`@OnEvent(Def)`) and receive `CloudEvent<Data>`, so a payload that does not
 * match is a compile error.
 *
 * ```ts
 * export const ContactErased = defineEvent<CrmContactErasedData>('crm.contact.erased');
 * ```
 */
export interface EventDefinition<TData = unknown> {
  /** `<service>.<aggregate>.<past-tense>` (STYLE.md). */
  readonly type: string;
  /** Schema version, in `dataschema` as `urn:keyhouse:event:<type>:v<version>` (default 1). */
  readonly version: number;
  /** Kafka topic without `KAFKA_TOPIC_PREFIX`: `<first segment of type>.events` unless given. */
  readonly topic: string;
  /** Phantom: never set at run time; carries the payload type. */
  readonly data?: TData;
}

/** The payload type of an event definition. */
export type EventDataOf<E> = E extends EventDefinition<infer TData> ? TData : never;
/** The CloudEvent a consumer of `E` receives. */
export type CloudEventOf<E> = CloudEvent<EventDataOf<E>>;

const TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9_]*){2,}$/;

/**
 * Declares an event type. Throws at module load when `type` is not
 * `<service>.<aggregate>.<past-tense>` (lower case, `_` inside words) or `version` is not a
 * positive integer.
 */
export function defineEvent<TData>(type: string, options: { version?: number; topic?: string } = {}): EventDefinition<TData> {
  if (!TYPE.test(type)) throw new Error(`defineEvent: "${type}" is not <service>.<aggregate>.<past-tense>`);
  const version = options.version ?? 1;
  if (!Number.isInteger(version) || version < 1) throw new Error(`defineEvent: version of ${type} must be a positive integer`);
  return Object.freeze({ type, version, topic: options.topic ?? `${type.split('.')[0]}.events` });
}

/** True when `event` is of the type `definition` declares (narrows its `data`). */
export function isEventOf<TData>(event: CloudEvent, definition: EventDefinition<TData>): event is CloudEvent<TData> {
  return event.type === definition.type;
}
