import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestEnvelope } from '@keyhouse/contracts';
import { OutboxRelay, OutboxService, type EventContext } from '@keyhouse/platform/messaging';

/**
 * Writes deals domain events to the outbox in the caller's database transaction (topic
 * `deals.events`, key = aggregate id), and nudges the relay after commit.
 */
@Injectable()
export class DealsEvents {
  constructor(
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelay,
  ) {}

  async emit(manager: EntityManager, envelope: RequestEnvelope, type: string, subject: string, orgId: string, data: object): Promise<void> {
    await this.outbox.publish(manager, [{ type, subject, orgId, data }], contextOf(envelope));
  }

  /** As `emit`, with an event context of its own (consumers: the actor and request of the event they apply). */
  async emitInContext(manager: EntityManager, context: EventContext, type: string, subject: string, orgId: string, data: object): Promise<void> {
    await this.outbox.publish(manager, [{ type, subject, orgId, data }], context);
  }

  /** Call after commit. */
  flush(): void {
    this.relay.wake();
  }
}

export function contextOf(envelope: RequestEnvelope): EventContext {
  return { actor: envelope.actor, requestId: envelope.requestId, traceparent: envelope.traceparent };
}
