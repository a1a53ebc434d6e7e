import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '@keyhouse/contracts';
import { OutboxRelay, OutboxService, type EventContext } from '@keyhouse/platform/messaging';

type WorkEventType = string;

/**
 * Writes the working tools' domain events to the crm outbox (topic `crm.events`) inside the
 * caller's transaction, and nudges the relay after commit so they leave within milliseconds.
 */
@Injectable()
export class WorkEvents {
  constructor(
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelay,
  ) {}

  async emit(manager: EntityManager, context: EventContext, type: WorkEventType, subject: string, orgId: string, data: object): Promise<void> {
    await this.outbox.publish(manager, [{ type, subject, orgId, data }], context);
  }

  /** Call after commit. */
  flush(): void {
    this.relay.wake();
  }
}

/** The actor of events emitted by the service's own jobs (reminders, overdue detection). */
export function systemActor(orgId: string): Actor {
  return { type: 'system', orgId, role: 'system', teamIds: [], permissions: [] };
}
