import { Client } from 'pg';
import type { CloudEvent } from '@keyhouse/contracts';
import type { TestService } from './start-service.util';

/** Which consumer of the service under test must have applied which events. */
export interface ConsumedQuery {
  /**
   * The consuming service as `deploy/services.js` names it (`crm`, `deals-commission`): its
   * `<NAME>_DATABASE_URL` / `<NAME>_DATABASE_SCHEMA` in `TestService.env` hold the inbox.
   */
  service: string;
  /** The consumer group (`crm.identity-read-model`), the inbox's `consumer` column. */
  group: string;
  /** CloudEvent ids. */
  eventIds: readonly string[];
  /** Default 30 s (a consumer group's first join takes a few seconds). */
  timeoutMs?: number;
}

/** A read model to seed: the owner's events on its topic and the group that applies them. */
export interface ReadModelSeed {
  /** See `ConsumedQuery.service`. */
  service: string;
  /** Topic as the contracts name it (`identity.events`); the isolation's prefix is added. */
  topic: string;
  /** The consumer group that applies `events` (each event must be of a type it handles). */
  group: string;
  events: CloudEvent[];
  /** Default 30 s. */
  timeoutMs?: number;
}

/**
 * Waits until consumer group `group` of the service has processed every event of `eventIds`:
 * each has its inbox row (`<schema>.inbox_event`), written in the same transaction as the
 * consumer's effect, so the effect is committed and visible. An event redelivered with the same
 * id finds the row and is skipped; an event of a type no handler of the group takes never gets a
 * row.
 *
 * @throws Error naming the ids still missing after `timeoutMs`.
 */
export async function waitForConsumed(target: TestService, query: ConsumedQuery): Promise<void> {
  const name = query.service.toUpperCase().replace(/-/g, '_');
  const url = target.env[`${name}_DATABASE_URL`];
  const schema = target.env[`${name}_DATABASE_SCHEMA`] ?? query.service;
  if (!url) throw new Error(`no ${name}_DATABASE_URL in the service's environment`);
  const wanted = [...new Set(query.eventIds)];
  const timeoutMs = query.timeoutMs ?? 30_000;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const started = Date.now();
    for (;;) {
      const { rows } = await client.query<{ event_id: string }>(
        `SELECT event_id FROM "${schema}".inbox_event WHERE consumer = $1 AND event_id = ANY($2::text[])`,
        [query.group, wanted],
      );
      if (rows.length === wanted.length) return;
      if (Date.now() - started > timeoutMs) {
        const seen = new Set(rows.map((row) => row.event_id));
        throw new Error(`${query.group} did not consume ${wanted.filter((id) => !seen.has(id)).join(', ')} in ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

/**
 * The read-model seeder: publishes the owner's `events` (e.g. identity's `identity.user.created`
 * for crm's agents) on `topic` through `target.publish`, as the owner's outbox relay would, and
 * resolves once `group` has applied all of them (`waitForConsumed`). Events that must apply in
 * order share a `subject` (the Kafka key, so one partition).
 *
 * @throws Error when the events are not consumed in time; the broker's error when publishing fails.
 */
export async function seedReadModel(target: TestService, seed: ReadModelSeed): Promise<void> {
  if (seed.events.length === 0) return;
  await target.publish(seed.topic, seed.events);
  await waitForConsumed(target, {
    service: seed.service,
    group: seed.group,
    eventIds: seed.events.map((event) => event.id),
    timeoutMs: seed.timeoutMs,
  });
}
