import type { ActorType } from '../envelope.type';

/**
 * A domain event as published to Kafka: a CloudEvents 1.0 JSON envelope
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md) with the extension
 * attributes below. Kafka key = `subject` (the aggregate id), so one aggregate's events stay in
 * order within a partition.
 *
 * - `type`: `<service>.<aggregate>.<past-tense>`, e.g. `identity.user.created`.
 * - `dataschema`: `urn:keyhouse:event:<type>:v<version>`; a breaking change is a new version
 *   published beside the old one until consumers move.
 * - `orgid`, `actortype`, `actorid`, `actorrole`: who did it, in which organization.
 * - `requestid`, `traceparent`: correlation with the request that caused it.
 * - `sequence`: per-aggregate monotonic version, so consumers can detect gaps and reordering.
 */
export interface CloudEvent<TData = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataschema: string;
  orgid: string;
  actortype: ActorType;
  actorid?: string;
  actorrole?: string;
  requestid?: string;
  traceparent?: string;
  sequence?: number;
  data: TData;
}

/** Builds the `dataschema` URN of an event type and version. */
export function eventSchemaUrn(type: string, version: number): string {
  return `urn:keyhouse:event:${type}:v${version}`;
}

/** Kafka topic of a service's domain events (one topic per bounded context). */
export function eventTopic(service: string): string {
  return `${service}.events`;
}
