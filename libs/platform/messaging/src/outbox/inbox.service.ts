import type { DataSource, EntityManager } from 'typeorm';

/**
 * Idempotent consumer (microservices.io "Idempotent consumer"): records each processed event id
 * per consumer in `inbox_event`, in the same transaction as the consumer's effect. A redelivered
 * event finds its row and is skipped, so its effect happens exactly once.
 */
export class Inbox {
  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

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
      const inserted = (await manager.query(
        `INSERT INTO "${this.schema}".inbox_event (consumer, event_id, event_type) VALUES ($1, $2, $3)
         ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id`,
        [consumer, event.id, event.type],
      )) as unknown[];
      if (inserted.length === 0) return false;
      await effect(manager);
      return true;
    });
  }
}
