import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { EventTopicCatalogue } from '@keyhouse/contracts';
import { EventHandlerRegistry } from '@keyhouse/platform/messaging';
import { startNotifications } from '../../../../notifications/src/main';
import { startStack, type TestStack } from '../../support/stack.fixture';

/**
 * The notifications service starts beside the others on its own schema, reports ready, binds to
 * loopback, and the running consumers of the whole platform are exactly the event catalogue's
 * (what `service-startup.integration-spec.ts` checks for the services of the stack fixture, here
 * with notifications among them).
 */
describe('notifications starts beside the gateway and the other services', () => {
  let stack: TestStack;
  let notifications: NestFastifyApplication;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'listings', 'deals-commission', 'audit'] });
    notifications = await startNotifications(stack.env);
  });

  afterAll(async () => {
    await notifications?.close();
    await stack?.stop();
  });

  it('answers /health/ready with postgres, nats, redis and the outbox up, on loopback', async () => {
    const { port, address } = notifications.getHttpServer().address() as AddressInfo;
    expect(address).toBe('127.0.0.1');
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
    const body = (await response.json()) as { info: Record<string, { status: string }> };
    expect(response.status).toBe(200);
    expect(Object.keys(body.info)).toEqual(expect.arrayContaining(['nats', 'outbox', 'postgres', 'redis']));
    expect(Object.values(body.info).every((check) => check.status === 'up')).toBe(true);
  });

  it('consumes exactly the topics and groups the event catalogue lists for each service', () => {
    const running = { identity: stack.identity, ...stack.services, notifications };
    const actual = Object.entries(running).flatMap(([service, app]) =>
      app!
        .get(EventHandlerRegistry)
        .subscriptions.flatMap(({ group, topics }) => topics.map((topic) => `${service}: ${group} <- ${topic}`)),
    );
    const catalogued = Object.entries(EventTopicCatalogue).flatMap(([topic, entry]) =>
      entry.consumers.map((consumer) => `${consumer.service}: ${consumer.groupId} <- ${topic}`),
    );
    expect(actual).toEqual(
      expect.arrayContaining([
        'notifications: notifications.recipients <- identity.events',
        'notifications: notifications.triggers <- crm.events',
      ]),
    );
    expect(actual.sort()).toEqual(catalogued.sort());
  });
});
