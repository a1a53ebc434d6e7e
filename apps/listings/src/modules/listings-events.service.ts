import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestEnvelope } from '@keyhouse/contracts';
import { OutboxRelay, OutboxService, type DomainEventInput, type EventContext } from '@keyhouse/platform/messaging';

/** Largest number of events written by one INSERT (6 parameters each, Postgres allows 65 535). */
const EVENTS_PER_INSERT = 1000;

/**
 * Writes listings domain events to the outbox in the caller's transaction, and nudges the relay
 * after commit so events leave within milliseconds instead of the next poll.
 */
@Injectable()
export class ListingsEvents {
  constructor(
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelay,
  ) {}

  async emit(manager: EntityManager, context: EventContext, type: string, subject: string, orgId: string, data: object): Promise<void> {
    await this.outbox.publish(manager, [{ type, subject, orgId, data }], context);
  }

  /** Many events in few INSERTs (bulk import, MLS pages). */
  async emitMany(manager: EntityManager, context: EventContext, events: Array<DomainEventInput & { type: string }>): Promise<void> {
    for (let i = 0; i < events.length; i += EVENTS_PER_INSERT) {
      await this.outbox.publish(manager, events.slice(i, i + EVENTS_PER_INSERT), context);
    }
  }

  /** Call after commit. */
  flush(): void {
    this.relay.wake();
  }
}

/** Event context of an RPC request. */
export function contextOf(envelope: RequestEnvelope): EventContext {
  return { actor: envelope.actor, requestId: envelope.requestId, traceparent: envelope.traceparent };
}
