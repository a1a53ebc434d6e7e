import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor, RequestEnvelope } from '@keyhouse/contracts';
import { OutboxRelay, OutboxService, type EventContext } from '@keyhouse/platform/messaging';

/**
 * Writes identity domain events to the outbox in the caller's transaction, and nudges the relay
 * after commit so events leave within milliseconds instead of the next poll.
 */
@Injectable()
export class IdentityEvents {
  constructor(
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelay,
  ) {}

  async emit(
    manager: EntityManager,
    context: EventContext,
    type: string,
    subject: string,
    orgId: string,
    data: object,
  ): Promise<void> {
    await this.outbox.publish(manager, [{ type, subject, orgId, data }], context);
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

/** Event context where the acting user is known only after authentication (login, register). */
export function selfContext(
  envelope: RequestEnvelope,
  user: { id: string; orgId: string; role: string },
  client: { ip?: string; userAgent?: string } = {},
): EventContext {
  const actor: Actor = {
    type: 'user',
    userId: user.id,
    orgId: user.orgId,
    role: user.role,
    teamIds: [],
    permissions: [],
    ip: client.ip,
    userAgent: client.userAgent,
  };
  return { actor, requestId: envelope.requestId, traceparent: envelope.traceparent };
}
