import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { CrmContactSubjects, type Actor, type CrmContactCreateRequest, type CrmContactView } from '@keyhouse/contracts';
import type { TestService } from '@keyhouse/testing';

/**
 * Creates a contact as `actor` over NATS (`crm.contacts.create`) and returns it.
 *
 * @throws Error when the input was merged into an existing contact instead (a test meant a new
 *   one); the service's refusal as is.
 */
export async function createContact(crm: TestService, actor: Actor, body: CrmContactCreateRequest): Promise<CrmContactView> {
  const result = await crm.rpc.call(CrmContactSubjects.create, body, actor);
  if (result.merged) throw new Error(`create contact merged into ${result.contact.id}`);
  return result.contact;
}

let counter = 0;
/** A unique, valid US phone number (+1 206 2xx xxxx), different on each call within a test file. */
export function uniquePhone(): string {
  counter += 1;
  return `+1206${2_000_000 + counter * 37}`;
}

/** The crm service as `startService(startCrm)` runs it in the test process. */
export type CrmTestService = TestService<NestFastifyApplication>;

/** The crm service's data source (its own schema), for direct reads of rows and the outbox. */
export function crmDataSource(crm: CrmTestService): DataSource {
  return crm.app.get(DataSource);
}

/** Outbox rows of one event type for one aggregate (what the service emitted, before Kafka). */
export async function outboxCount(crm: CrmTestService, type: string, subject: string): Promise<number> {
  const [{ count }] = (await crmDataSource(crm).query(
    `SELECT count(*)::int AS count FROM outbox_event WHERE event_type = $1 AND message_key = $2`,
    [type, subject],
  )) as Array<{ count: number }>;
  return count;
}
