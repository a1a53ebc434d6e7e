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
  /** Idle poll interval in milliseconds (default 200). */
  pollIntervalMs?: number;
  /** Published rows older than this many hours are pruned (default 168 = 7 days). */
  retentionHours?: number;
}
