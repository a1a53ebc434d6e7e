import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestEnvelope } from '@keyhouse/contracts';
import { OutboxRelay, OutboxService, type EventContext } from '@keyhouse/platform/messaging';

/**
 * Writes crm domain events to the outbox in the caller's transaction (topic `crm.events`), and
 * nudges the relay after commit so events leave within milliseconds instead of the next poll.
 */
@Injectable()
export class CrmEvents {
  constructor(
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelay,
  ) {}

  async emit(manager: EntityManager, context: EventContext, type: string | string, subject: string, orgId: string, data: object): Promise<void> {
    await this.outbox.publish(manager, [{ type, subject, orgId, data }], context);
  }

  /** Many events in one transaction (bulk changes), inserted 1,000 per statement. */
  async emitMany(manager: EntityManager, context: EventContext, inputs: Array<{ type: string; subject: string; orgId: string; data: object }>): Promise<void> {
    for (let i = 0; i < inputs.length; i += 1000) await this.outbox.publish(manager, inputs.slice(i, i + 1000), context);
  }

  /** Call after commit. */
  flush(): void {
    this.relay.wake();
  }
}

/** Event context of an RPC request. */
export function contextOf(envelope: RequestEnvelope): EventContext {
  return {
    actor: envelope.actor,
    requestId: envelope.requestId,
    traceparent: envelope.traceparent,
  };
}

/**
 * A write in progress: the transaction, who acts, and work to run once it commits (delayed jobs
 * must not be queued before the rows they read are visible).
 */
export interface WriteContext {
  manager: EntityManager;
  event: EventContext;
  actorId: string | null;
  afterCommit: Array<() => Promise<void>>;
  /**
   * Reads that may be reused for the rest of this transaction (an import call routes 500 contacts:
   * the organization's rules and agents are read once). Absent: nothing is reused.
   */
  memo?: Map<string, unknown>;
}

/** `load()` once per key and write context when it has a memo, else every time. */
export async function memoized<T>(wc: Pick<WriteContext, 'memo'>, key: string, load: () => Promise<T>): Promise<T> {
  if (!wc.memo) return load();
  if (!wc.memo.has(key)) wc.memo.set(key, await load());
  return wc.memo.get(key) as T;
}
