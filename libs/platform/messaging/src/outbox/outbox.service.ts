import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { eventSchemaUrn, eventTopic, type Actor, type CloudEvent } from '@keyhouse/contracts';
import { newId } from '@keyhouse/util';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.constant';
import type { PlatformDb } from './platform.db';

/** What a service says happened; the outbox fills in the CloudEvents envelope. */
export interface DomainEventInput<TData = unknown> {
  type: string;
  version?: number;
  /** Aggregate id: the CloudEvents `subject` and the Kafka message key. */
  subject: string;
  orgId: string;
  data: TData;
}

/** Request context that every event of a request carries (who, and correlation ids). */
export interface EventContext {
  actor: Actor | null;
  requestId?: string;
  traceparent?: string;
}

/**
 * The context of events a consumer emits in reaction to `event`: the same actor (as far as the
 * CloudEvent names it, without teams or permissions), its request id (or `event:<id>` when it
 * had none) and trace context, so that the reaction is attributed to whoever caused the cause.
 */
export function eventContextOf(event: CloudEvent): EventContext {
  return {
    actor: {
      type: event.actortype ?? 'system',
      userId: event.actorid,
      orgId: event.orgid,
      role: event.actorrole ?? 'system',
      teamIds: [],
      permissions: [],
    },
    requestId: event.requestid ?? `event:${event.id}`,
    traceparent: event.traceparent,
  };
}

/** The `LISTEN`/`NOTIFY` channel on which a commit with outbox rows wakes the schema's relay. */
export function outboxChannel(schema: string): string {
  return `${schema}.outbox`;
}

/**
 * Writes domain events to the service's `outbox_event` table inside the caller's transaction
 * (pass the transaction's `EntityManager`), so the event exists if and only if the change commits.
 * The relay publishes it later; nothing here talks to Kafka.
 */
@Injectable()
export class OutboxService {
  constructor(@Inject(OUTBOX_OPTIONS) private readonly options: OutboxOptions) {}

  buildEvent<TData>(input: DomainEventInput<TData>, context: EventContext): CloudEvent<TData> {
    const actor = context.actor;
    return {
      specversion: '1.0',
      id: newId(),
      source: `keyhouse/${this.options.serviceName}`,
      type: input.type,
      subject: input.subject,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      dataschema: eventSchemaUrn(input.type, input.version ?? 1),
      orgid: input.orgId,
      actortype: actor?.type ?? 'system',
      ...(actor?.type === 'api_key' ? { actorid: actor.apiKeyId } : actor?.userId ? { actorid: actor.userId } : {}),
      ...(actor?.role ? { actorrole: actor.role } : {}),
      ...(context.requestId ? { requestid: context.requestId } : {}),
      ...(context.traceparent ? { traceparent: context.traceparent } : {}),
      data: input.data,
    };
  }

  async publish(manager: EntityManager, inputs: DomainEventInput[], context: EventContext): Promise<CloudEvent[]> {
    if (inputs.length === 0) return [];
    const events = inputs.map((input) => this.buildEvent(input, context));
    const topic = this.options.topicPrefix + (this.options.topic ?? eventTopic(this.options.serviceName));
    const rows = events.map((event) => ({
      id: event.id,
      topic,
      message_key: event.subject,
      event_type: event.type,
      payload: JSON.stringify(event),
      headers: JSON.stringify(cloudEventHeaders(event)),
    }));
    // pg_notify inside the transaction is delivered only when it commits (and once per transaction
    // and channel): the relay, in this process or another replica, LISTENs and publishes at once.
    await kyselyFor<PlatformDb>(manager)
      .withSchema(this.options.schema)
      .with('inserted', (db) => db.insertInto('outbox_event').values(rows).returning('seq'))
      .selectFrom((db) => db.selectFrom('inserted').select('seq').limit(1).as('any_row'))
      .select(sql<string>`pg_notify(${outboxChannel(this.options.schema)}, '')`.as('notified'))
      .execute();
    return events;
  }
}

/** Kafka headers of an event (CloudEvents Kafka binding, binary-mode attribute names). */
export function cloudEventHeaders(event: CloudEvent): Record<string, string> {
  return {
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_specversion: event.specversion,
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
  };
}
