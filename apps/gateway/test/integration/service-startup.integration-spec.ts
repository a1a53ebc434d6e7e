import type { AddressInfo } from 'node:net';
import { EventTopicCatalogue } from '@keyhouse/contracts';
import { EventHandlerRegistry } from '@keyhouse/platform/messaging';
import { startStack, type TestStack } from '../support/stack.fixture';

/** Every back-end service starts on its own schema, migrates, and reports ready with its dependencies. */
describe('back-end services start beside the gateway', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'listings', 'deals-commission', 'audit', 'notifications'] });
  });

  afterAll(() => stack?.stop());

  it.each(['crm', 'listings', 'deals-commission', 'audit', 'notifications'] as const)(
    '%s answers /health/ready with postgres, nats, redis and the outbox up',
    async (name) => {
      const app = stack.services[name];
      const { port } = app!.getHttpServer().address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      const body = (await response.json()) as { status: string; info: Record<string, { status: string }> };
      expect(response.status).toBe(200);
      expect(Object.keys(body.info).sort()).toEqual(expect.arrayContaining(['nats', 'outbox', 'postgres', 'redis']));
      expect(Object.values(body.info).every((check) => check.status === 'up')).toBe(true);
    },
  );

  it.each(['identity', 'crm', 'listings', 'deals-commission', 'audit', 'notifications'] as const)(
    '%s binds its health/metrics/ops HTTP server to loopback when HTTP_HOST is not set (issue 13, item 11)',
    (name) => {
      const app = name === 'identity' ? stack.identity : stack.services[name];
      const { address } = app!.getHttpServer().address() as AddressInfo;
      expect(address).toBe('127.0.0.1');
    },
  );

  it('each service created its outbox in its own schema only', async () => {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: stack.env.CRM_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_schema: string }>(
        `SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox_event' ORDER BY 1`,
      );
      // The crm role sees only its own schema's tables (information_schema lists what it may access).
      expect(rows.map((row) => row.table_schema)).toEqual(['crm']);
    } finally {
      await client.end();
    }
  });

  it("consumes exactly the topics and groups the event catalogue lists for each service (the @OnEvent handlers' registry)", () => {
    const running = { identity: stack.identity, ...stack.services };
    const actual = Object.entries(running).flatMap(([service, app]) =>
      app!
        .get(EventHandlerRegistry)
        .subscriptions.flatMap(({ group, topics }) => topics.map((topic) => `${service}: ${group} <- ${topic}`)),
    );
    const catalogued = Object.entries(EventTopicCatalogue).flatMap(([topic, entry]) =>
      entry.consumers.map((consumer) => `${consumer.service}: ${consumer.groupId} <- ${topic}`),
    );
    expect(actual).toContain('crm: crm.identity-read-model <- identity.events');
    expect(actual.sort()).toEqual(catalogued.sort());
  });
});
