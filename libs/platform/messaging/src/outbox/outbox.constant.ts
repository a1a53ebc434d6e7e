export const OUTBOX_OPTIONS = Symbol('OUTBOX_OPTIONS');

export interface OutboxOptions {
  serviceName: string;
  /** Postgres schema holding `outbox_event` and `inbox_event`. */
  schema: string;
  topicPrefix: string;
  /** Topic of the service's domain events before the prefix (default `eventTopic(serviceName)`, `<service>.events`). */
  topic?: string;
  /** Rows per Kafka batch (default 200). */
  batchSize?: number;
  /**
   * Safety-net poll interval in milliseconds (default 5 000): the relay normally wakes on the
   * outbox channel's NOTIFY at each commit, and polls this often in case one was lost.
   */
  pollIntervalMs?: number;
  /**
   * LISTEN on the outbox channel (default true). Off for a connection pooler in transaction mode
   * (PgBouncer), which cannot hold a LISTEN: set `pollIntervalMs` low (e.g. 200) then.
   */
  listen?: boolean;
  /** Refusals of one row by Kafka (non-retriable errors) before it is parked (default 5). */
  maxAttempts?: number;
  /** Published rows older than this many hours are pruned (default 168 = 7 days). */
  retentionHours?: number;
}
