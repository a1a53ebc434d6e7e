import type { DataSource, EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import type { PlatformDb } from './platform.db';

/**
 * Idempotent consumer (microservices.io "Idempotent consumer"): records each processed event id
 * per consumer in `inbox_event`, in the same transaction as the consumer's effect. A redelivered
 * event finds its row and is skipped, so its effect happens exactly once. The chassis'
 * `EventHandlerRegistry` claims through it inside each handler's unit of work.
 */
export class Inbox {
  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  /**
   * Inserts the row `(consumer, event.id)` in the caller's transaction. True when it is new (the
   * effect should run now), false when `consumer` already processed the event. The row commits or
   * rolls back with the caller's effect.
   */
  async claim(manager: EntityManager, consumer: string, event: { id: string; type: string }): Promise<boolean> {
    const inserted = await kyselyFor<PlatformDb>(manager)
      .withSchema(this.schema)
      .insertInto('inbox_event')
      .values({ consumer, event_id: event.id, event_type: event.type })
      .onConflict((conflict) => conflict.columns(['consumer', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /**
   * Runs `effect` in a transaction unless `consumer` already processed `eventId`.
   * Returns true when the effect ran, false for a duplicate. Errors from `effect` roll back the
   * inbox row too, so the event is processed again on redelivery.
   */
  async processOnce(
    consumer: string,
    event: { id: string; type: string },
    effect: (manager: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.claim(manager, consumer, event))) return false;
      await effect(manager);
      return true;
    });
  }
}
