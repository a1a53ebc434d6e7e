/**
 * DDL of the transactional outbox and the consumer inbox, created in a service's own schema by
 * that service's first migration (`createOutboxAndInboxTables`).
 *
 * outbox_event: one row per domain event, inserted in the same transaction as the state change;
 *   `seq` gives the publication order; `published_at` is set by the relay once Kafka acknowledged.
 * inbox_event: one row per (consumer, event id) processed, inserted in the same transaction as the
 *   consumer's effect, so a redelivered event is a no-op.
 */
export function outboxAndInboxDdl(schema: string): string[] {
  const s = `"${schema}"`;
  return [
    `CREATE TABLE IF NOT EXISTS ${s}.outbox_event (
      seq bigserial PRIMARY KEY,
      id uuid NOT NULL UNIQUE,
      topic text NOT NULL,
      message_key text NOT NULL,
      event_type text NOT NULL,
      payload jsonb NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      published_at timestamptz(3),
      attempts integer NOT NULL DEFAULT 0,
      last_error text
    )`,
    `CREATE INDEX IF NOT EXISTS idx_outbox_event_unpublished ON ${s}.outbox_event (seq) WHERE published_at IS NULL`,
    `CREATE INDEX IF NOT EXISTS idx_outbox_event_published_at ON ${s}.outbox_event (published_at) WHERE published_at IS NOT NULL`,
    `CREATE TABLE IF NOT EXISTS ${s}.inbox_event (
      consumer text NOT NULL,
      event_id text NOT NULL,
      event_type text NOT NULL,
      received_at timestamptz(3) NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id)
    )`,
    `CREATE INDEX IF NOT EXISTS idx_inbox_event_received_at ON ${s}.inbox_event (received_at)`,
  ];
}

/**
 * DDL of outbox parking (a later migration of each service, `parkOutboxRows`): a row that Kafka
 * refused `OutboxOptions.maxAttempts` times for a reason of its own (not a broker outage) gets
 * `parked_at` and leaves the relay's queue, so one poison row cannot stall the service's events.
 * Operators list and re-queue parked rows at `/internal/outbox/parked` on the service's port.
 */
export function outboxParkingDdl(schema: string): string[] {
  const s = `"${schema}"`;
  return [
    `ALTER TABLE ${s}.outbox_event ADD COLUMN IF NOT EXISTS parked_at timestamptz(3)`,
    `DROP INDEX IF EXISTS ${s}.idx_outbox_event_unpublished`,
    `CREATE INDEX IF NOT EXISTS idx_outbox_event_unpublished ON ${s}.outbox_event (seq) WHERE published_at IS NULL AND parked_at IS NULL`,
    `CREATE INDEX IF NOT EXISTS idx_outbox_event_parked ON ${s}.outbox_event (seq) WHERE parked_at IS NOT NULL AND published_at IS NULL`,
  ];
}
