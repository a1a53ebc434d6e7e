/**
 * Row shapes of the platform's tables (outbox_event, inbox_event) that every service's schema carries, generated from the migrations of identity
 * by `node deploy/db-types.js` (kysely-codegen; docs/adr/0027). Do not edit: change a migration (or
 * platform.db-overrides.json) and run the command again; `npm test` fails when this file is stale.
 */
import type { CloudEvent } from '@keyhouse/contracts';
import type { Generated, Int8, JsonColumn, Timestamp } from '@keyhouse/platform/database';

export interface InboxEvent {
  consumer: string;
  event_id: string;
  event_type: string;
  received_at: Generated<Timestamp>;
}

export interface OutboxEvent {
  attempts: Generated<number>;
  created_at: Generated<Timestamp>;
  event_type: string;
  headers: Generated<JsonColumn<Record<string, string>>>;
  id: string;
  last_error: string | null;
  message_key: string;
  parked_at: Timestamp | null;
  payload: JsonColumn<CloudEvent>;
  published_at: Timestamp | null;
  seq: Generated<Int8>;
  topic: string;
}

export interface PlatformDb {
  inbox_event: InboxEvent;
  outbox_event: OutboxEvent;
}
