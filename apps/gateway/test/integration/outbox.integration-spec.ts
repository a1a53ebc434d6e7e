import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { CloudEvent } from '@keyhouse/contracts';
import { Inbox, OutboxRelay } from '@keyhouse/platform/messaging';
import { registerOrganization, type Session } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';
import { waitFor } from '@keyhouse/testing';

interface Received {
  key: string | null;
  event: CloudEvent<{ userId?: string; changes?: Record<string, { from: unknown; to: unknown }> }>;
}

describe('Domain events through the outbox', () => {
  let stack: TestStack;
  let owner: Session;
  let consumer: Consumer;
  const received: Received[] = [];
  let onEvent: ((item: Received) => Promise<void>) | null = null;

  beforeAll(async () => {
    stack = await startStack();
    owner = await registerOrganization(stack.http);
    const kafka = new Kafka({ clientId: 'outbox-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    consumer = kafka.consumer({ groupId: `${stack.isolation.id}-test-consumer` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${stack.env.KAFKA_TOPIC_PREFIX}identity.events`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const item = { key: message.key?.toString() ?? null, event: JSON.parse(message.value!.toString()) as Received['event'] };
        received.push(item);
        await onEvent?.(item);
      },
    });
  });

  afterAll(async () => {
    await consumer.disconnect();
    await stack.stop();
  });

  it('publishes the event of a user change to Kafka as a CloudEvent keyed by the user, with actor and organization', async () => {
    const response = await stack.http.patch('/v1/users/me', { name: 'Dana Renamed' }, { token: owner.accessToken });
    expect(response.status).toBe(200);
    const requestId = response.headers.get('x-request-id');
    await waitFor(() => received.some((r) => r.event.type === 'identity.user.updated' && r.event.requestid === requestId));
    const { key, event } = received.find((r) => r.event.type === 'identity.user.updated' && r.event.requestid === requestId)!;
    expect(key).toBe(owner.userId);
    expect(event).toMatchObject({
      specversion: '1.0',
      source: 'keyhouse/identity',
      subject: owner.userId,
      orgid: owner.orgId,
      actortype: 'user',
      actorid: owner.userId,
      actorrole: 'owner',
      dataschema: 'urn:keyhouse:event:identity.user.updated:v1',
      data: { userId: owner.userId, changes: { name: { from: 'Dana Owner', to: 'Dana Renamed' } } },
    });
    expect(received.filter((r) => r.event.type === 'identity.organization.created' && r.event.orgid === owner.orgId)).toHaveLength(1);
  });

  it('loses no event when the relay crashes between sending and marking, and the inbox drops the duplicates', async () => {
    const relay = stack.identity!.get(OutboxRelay);
    const dataSource = stack.identity!.get(DataSource);
    const inbox = new Inbox(dataSource, 'identity');
    const applied: string[] = [];
    onEvent = async ({ event }) => {
      if (event.subject !== owner.userId || event.type !== 'identity.user.updated') return;
      await inbox.processOnce('outbox-test-projection', event, async () => {
        applied.push(event.id);
      });
    };

    await relay.stop();
    const names = Array.from({ length: 20 }, (_, i) => `Name ${i}`);
    for (const name of names) {
      expect((await stack.http.patch('/v1/users/me', { name }, { token: owner.accessToken })).status).toBe(200);
    }
    const [{ pending }] = (await dataSource.query(
      `SELECT count(*)::int AS pending FROM identity.outbox_event WHERE published_at IS NULL`,
    )) as Array<{ pending: number }>;
    expect(pending).toBe(20);

    // Crash once after Kafka acknowledged the batch and before the rows are marked published.
    // The relay's statements run on pooled query runners of the data source (kyselyFor).
    const createQueryRunner = dataSource.createQueryRunner.bind(dataSource);
    let crashed = false;
    jest.spyOn(dataSource, 'createQueryRunner').mockImplementation((...args) => {
      const runner = createQueryRunner(...args);
      const query = runner.query.bind(runner);
      runner.query = (async (sql: string, parameters?: unknown[], structured?: boolean) => {
        if (!crashed && /set "published_at" = now\(\)/i.test(sql)) {
          crashed = true;
          throw new Error('simulated crash after send');
        }
        return query(sql, parameters, structured as true);
      }) as typeof runner.query;
      return runner;
    });
    try {
      relay.start();
      const isRenamed = (r: Received) => r.event.type === 'identity.user.updated' && r.event.subject === owner.userId;
      await waitFor(() => names.every((name) => received.some((r) => isRenamed(r) && r.event.data.changes?.name?.to === name)));
      await waitFor(() => {
        const deliveries = received.filter(isRenamed);
        return deliveries.length > new Set(deliveries.map((r) => r.event.id)).size;
      });
    } finally {
      jest.restoreAllMocks();
    }
    expect(crashed).toBe(true);

    const renames = received.filter(
      (r) =>
        r.event.type === 'identity.user.updated' &&
        r.event.subject === owner.userId &&
        names.includes(String(r.event.data.changes?.name?.to)),
    );
    const distinctIds = new Set(renames.map((r) => r.event.id));
    expect(new Set(renames.map((r) => r.event.data.changes?.name?.to))).toEqual(new Set(names));
    expect(distinctIds.size).toBe(names.length);
    expect(renames.length).toBeGreaterThan(names.length);
    await waitFor(() => applied.length >= names.length);
    expect([...applied].sort()).toEqual([...distinctIds].sort());
    const [{ left }] = (await dataSource.query(
      `SELECT count(*)::int AS left FROM identity.outbox_event WHERE published_at IS NULL`,
    )) as Array<{ left: number }>;
    expect(left).toBe(0);
  });
});
