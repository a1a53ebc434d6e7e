import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { DEALS_EVENTS_TOPIC, IDENTITY_EVENTS_TOPIC, LISTINGS_EVENTS_TOPIC } from '@keyhouse/contracts';
import { propertyBody } from '@keyhouse/testing';
import { EventCatalogue } from '../../../../libs/contracts/src/events/event-catalogue.type';
import { createTransaction, dealsOrg, uploadFile, utcDate, type DealsOrg } from '../support/deals.fixture';
import { login, PASSWORD } from '../support/identity.fixture';
import { until } from '../support/listings.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

/**
 * The published event contract against real events: every CloudEvent identity, deals-commission
 * and listings put on Kafka while the API is driven through many state changes is validated
 * (envelope and `data`) against its message schema in the committed `docs/events/asyncapi.yaml`,
 * whose payload schemas are generated from the interfaces the event catalogue names (with
 * `additionalProperties: false`, so a field the interface does not declare fails too).
 */
interface Received {
  topic: string;
  type: string;
  event: Record<string, unknown>;
}

const ASYNCAPI = parse(readFileSync(resolve(__dirname, '../../../../docs/events/asyncapi.yaml'), 'utf8')) as {
  components: {
    schemas: Record<string, unknown>;
    messages: Record<string, { payload?: { allOf?: Array<{ properties?: { type?: { const?: string } } }> } }>;
  };
};

/** Message payload schema (envelope + data) of each event type, by type. */
function messageSchemas(): Map<string, unknown> {
  const byType = new Map<string, unknown>();
  for (const message of Object.values(ASYNCAPI.components.messages)) {
    const type = message.payload?.allOf?.[1]?.properties?.type?.const;
    if (type) byType.set(type, message.payload);
  }
  return byType;
}

/** Types the scenario below must produce (each with a payload interface in the catalogue). */
const EXPECTED = [
  'identity.organization.created',
  'identity.organization.updated',
  'identity.user.created',
  'identity.user.role_changed',
  'identity.team.created',
  'identity.team.updated',
  'identity.team.deleted',
  'identity.role.created',
  'identity.role.updated',
  'identity.role.deleted',
  'identity.login.succeeded',
  'identity.login.failed',
  'identity.session.revoked',
  'identity.password.reset_requested',
  'identity.password.changed',
  'identity.api_key.created',
  'identity.api_key.used',
  'identity.api_key.revoked',
  'identity.agent.profile_updated',
  'identity.agent.removed',
  'identity.user.deactivated',
  'deals.pipeline.created',
  'deals.commission_plan.created',
  'deals.commission_plan.updated',
  'deals.agent.commission_plan_assigned',
  'deals.settings.updated',
  'deals.transaction.created',
  'deals.transaction.updated',
  'deals.transaction.stage_changed',
  'deals.transaction.closed',
  'deals.transaction.deleted',
  'deals.commission.statement_created',
  'deals.offer.submitted',
  'deals.offer.countered',
  'deals.offer.withdrawn',
  'deals.offer.accepted',
  'deals.offer.rejected',
  'deals.deadline.task_requested',
  'deals.key_date.completed',
  'deals.invoice.created',
  'deals.invoice.updated',
  'deals.invoice.sent',
  'deals.invoice.voided',
  'deals.payment.recorded',
  'deals.invoice.paid',
  'deals.file.uploaded',
  'deals.file.deleted',
  'listings.property.created',
  'listings.property.updated',
  'listings.property.status_changed',
  'listings.property.deleted',
];

describe('event payloads on Kafka match the published AsyncAPI schemas', () => {
  let stack: TestStack;
  let org: DealsOrg;
  const received: Received[] = [];
  let stopConsumer: () => Promise<void>;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['deals-commission', 'listings'] });
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ clientId: 'event-payloads-test', brokers: stack.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
    const topics = [IDENTITY_EVENTS_TOPIC, DEALS_EVENTS_TOPIC, LISTINGS_EVENTS_TOPIC].map(
      (topic) => `${stack.env.KAFKA_TOPIC_PREFIX}${topic}`,
    );
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 1 })), waitForLeaders: true }).catch(() => undefined);
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: `${stack.isolation.id}-event-payloads` });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const event = JSON.parse(message.value!.toString()) as Record<string, unknown>;
        received.push({ topic, type: String(event.type), event });
      },
    });
    stopConsumer = () => consumer.disconnect();
  });

  afterAll(async () => {
    await stopConsumer?.();
    await stack?.stop();
  });

  it('drives identity through organizations, users, teams, roles, sessions, passwords and API keys', async () => {
    const http = stack.http;
    org = await dealsOrg(http, 'Payload Realty'); // organization.created, user.created ×4, team.created, login.succeeded
    const token = org.owner.accessToken;
    expect(
      (
        await http.patch(
          '/v1/organizations/current',
          { name: 'Payload Realty NW', branding: { displayName: 'Payload', primaryColor: '#0a5c36' } },
          { token },
        )
      ).status,
    ).toBe(200);
    expect(
      (await http.patch(`/v1/teams/${org.teamId}`, { name: 'North-East', memberIds: [org.agent1.userId, org.agent2.userId] }, { token }))
        .status,
    ).toBe(200);
    const spare = await http.post<{ id: string }>('/v1/teams', { name: 'Spare' }, { token });
    expect((await http.delete(`/v1/teams/${spare.body.id}`, { token })).status).toBe(204);
    expect(
      (await http.post('/v1/roles', { key: 'coordinator', name: 'Coordinator', permissions: ['transactions:read:org'] }, { token })).status,
    ).toBe(201);
    expect(
      (await http.patch('/v1/roles/coordinator', { permissions: ['transactions:read:org', 'transactions:write:org'] }, { token })).status,
    ).toBe(200);
    expect((await http.delete('/v1/roles/coordinator', { token })).status).toBe(204);
    expect((await http.patch(`/v1/users/${org.agent2.userId}`, { role: 'manager' }, { token })).status).toBe(200);
    expect((await http.post('/v1/auth/login', { email: org.owner.email, password: 'not the password at all' })).status).toBe(401);
    expect((await http.post('/v1/auth/password-reset/request', { email: org.manager.email })).status).toBe(202);
    const manager = await login(http, org.manager.email);
    expect(
      (
        await http.post(
          '/v1/auth/password/change',
          { currentPassword: PASSWORD, newPassword: `${PASSWORD} again` },
          { token: manager.accessToken },
        )
      ).status,
    ).toBe(204);
    const again = await login(http, org.manager.email, `${PASSWORD} again`);
    expect((await http.post('/v1/auth/logout', { refreshToken: again.refreshToken }, { token: again.accessToken })).status).toBe(204);
    const key = await http.post<{ id: string; key: string }>('/v1/api-keys', { name: 'Website', scopes: ['users:read:org'] }, { token });
    expect(key.status).toBe(201);
    expect((await http.get('/v1/users', { apiKey: key.body.key })).status).toBe(200);
    expect((await http.delete(`/v1/api-keys/${key.body.id}`, { token })).status).toBe(200);
    const agent = await http.post<{ userId: string }>(
      '/v1/agents',
      { email: `payload-agent-${randomUUID().slice(0, 8)}@example.test`, name: 'Removed Agent', regions: ['98103'] },
      { token },
    );
    expect(agent.status).toBe(201);
    expect((await http.delete(`/v1/agents/${agent.body.userId}`, { token })).status).toBe(204);
  });

  it('drives deals through pipelines, plans, settings, transactions, offers, key dates, invoices and files', async () => {
    const http = stack.http;
    const token = org.owner.accessToken;
    const pipeline = await http.post(
      '/v1/pipelines',
      {
        name: 'Referrals',
        stages: [
          { key: 'new', name: 'New', probability: 10, outcome: 'open' },
          { key: 'closed', name: 'Closed', probability: 100, outcome: 'won' },
        ],
      },
      { token },
    );
    expect(pipeline.status).toBe(201);
    const plan = await http.post<{ id: string }>(
      '/v1/commission-plans',
      { name: 'Standard', grossRateBps: 300, agentSplitBps: 7000, transactionFeeCents: 39_500 },
      { token },
    );
    expect((await http.patch(`/v1/commission-plans/${plan.body.id}`, { agentSplitBps: 7500 }, { token })).status).toBe(200);
    expect((await http.patch(`/v1/agents/${org.agent1.userId}/commission-plan`, { planId: plan.body.id }, { token })).status).toBe(200);
    expect((await http.patch('/v1/deal-settings', { holidays: ['2026-12-25'] }, { token })).status).toBe(200);

    const agent = org.agent1.accessToken;
    // a property the agent can read: deals checks it with listings (issue 13 item 13)
    const property = await http.post<{ id: string }>('/v1/properties', propertyBody(), { token: agent });
    expect(property.status).toBe(201);
    const listing = await createTransaction(http, org.agent1, {
      side: 'list',
      propertyId: property.body.id,
      price: 60_000_000,
      stage: 'meeting',
    });
    const offer = async (amount: number, buyerName: string) =>
      (
        await http.post<{ id: string }>(
          '/v1/offers',
          {
            transactionId: listing.id,
            amount,
            buyerName,
            earnestMoney: 1_000_000,
            financingType: 'conventional',
            contingencies: ['inspection', 'financing'],
          },
          { token: agent },
        )
      ).body;
    const low = await offer(58_000_000, 'Low Buyer');
    const withdrawn = await offer(57_000_000, 'Withdrawn Buyer');
    const high = await offer(61_000_000, 'High Buyer');
    await offer(56_000_000, 'Declined Buyer');
    expect((await http.patch(`/v1/offers/${low.id}`, { amount: 59_500_000 }, { token: agent })).status).toBe(200);
    expect((await http.patch(`/v1/offers/${withdrawn.id}`, { status: 'withdrawn' }, { token: agent })).status).toBe(200);
    expect((await http.post(`/v1/offers/${high.id}/accept`, {}, { token: agent })).status).toBe(200);
    expect((await http.patch(`/v1/transactions/${listing.id}/key-dates/inspection`, { done: true }, { token: agent })).status).toBe(200);
    expect(
      (
        await http.patch(
          `/v1/transactions/${listing.id}`,
          { stage: 'closed', closePrice: 61_000_000, closeDate: utcDate(0) },
          { token: agent },
        )
      ).status,
    ).toBe(200);
    const dropped = await createTransaction(http, org.agent1, {});
    expect((await http.delete(`/v1/transactions/${dropped.id}`, { token: agent })).status).toBe(204);

    const invoice = await http.post<{ id: string }>(
      '/v1/invoices',
      {
        transactionId: listing.id,
        billTo: { name: 'Escrow Co' },
        dueDate: utcDate(10),
        lineItems: [{ description: 'Commission', quantity: 1, unitAmount: 100_000 }],
      },
      { token },
    );
    expect(invoice.status).toBe(201);
    expect((await http.patch(`/v1/invoices/${invoice.body.id}`, { notes: 'Net 10' }, { token })).status).toBe(200);
    expect((await http.post(`/v1/invoices/${invoice.body.id}/send`, {}, { token })).status).toBe(200);
    expect(
      (
        await http.post(
          `/v1/invoices/${invoice.body.id}/payments`,
          { amount: 100_000, paidOn: utcDate(0), method: 'ach', reference: 'ACH-1' },
          { token },
        )
      ).status,
    ).toBe(201);
    const draft = await http.post<{ id: string }>(
      '/v1/invoices',
      {
        transactionId: listing.id,
        billTo: { name: 'X' },
        dueDate: utcDate(5),
        lineItems: [{ description: 'Fee', quantity: 1, unitAmount: 100 }],
      },
      { token },
    );
    expect((await http.post(`/v1/invoices/${draft.body.id}/void`, {}, { token })).status).toBe(200);

    const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2048, 7)]);
    const uploaded = await uploadFile(http, `/v1/transactions/${listing.id}/files`, agent, {
      name: 'Agreement.pdf',
      type: 'application/pdf',
      bytes,
    });
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect((await http.delete(`/v1/transactions/${listing.id}/files/${String(uploaded.body.id)}`, { token: agent })).status).toBe(204);
  });

  it('drives listings through a manual property’s life', async () => {
    const http = stack.http;
    const token = org.agent1.accessToken;
    const created = await http.post<{ id: string }>('/v1/properties', propertyBody(), { token });
    expect(created.status).toBe(201);
    expect((await http.patch(`/v1/properties/${created.body.id}`, { listPrice: 74_000_000 }, { token })).status).toBe(200);
    expect((await http.patch(`/v1/properties/${created.body.id}`, { standardStatus: 'Pending' }, { token })).status).toBe(200);
    expect((await http.delete(`/v1/properties/${created.body.id}`, { token: org.owner.accessToken })).status).toBe(204);
  });

  it('every event received validates against its AsyncAPI message schema, and every expected type arrived', async () => {
    await until(() => EXPECTED.every((type) => received.some((event) => event.type === type)), 30_000).catch(() => undefined);
    expect(EXPECTED.filter((type) => !received.some((event) => event.type === type))).toEqual([]);

    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema({ components: ASYNCAPI.components }, 'asyncapi');
    const schemas = messageSchemas();
    const failures: string[] = [];
    const checked = new Set<string>();
    for (const { topic, type, event } of received) {
      const entry = EventCatalogue[type];
      expect(entry?.payload).toBeTruthy(); // every type these services emit has a payload interface
      expect(topic).toBe(`${stack.env.KAFKA_TOPIC_PREFIX}${entry.topic}`);
      const schema = schemas.get(type);
      expect(schema).toBeDefined();
      const validate = ajv.compile({ $ref: `asyncapi#/components/messages/${messageKey(type)}/payload` });
      if (!validate(event as unknown)) failures.push(`${type}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(event.data)}`);
      checked.add(type);
    }
    expect(failures).toEqual([]);
    expect(checked.size).toBeGreaterThanOrEqual(EXPECTED.length);
  });

  it('a payload that breaks its interface fails the same validation (the check can fail)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema({ components: ASYNCAPI.components }, 'asyncapi');
    const closed = received.find((event) => event.type === 'deals.transaction.closed')!;
    const validate = ajv.compile({ $ref: `asyncapi#/components/messages/${messageKey('deals.transaction.closed')}/payload` });
    expect(validate(closed.event)).toBe(true);
    expect(validate({ ...closed.event, data: { ...(closed.event.data as object), closePrice: '610000.00' } })).toBe(false);
    expect(validate({ ...closed.event, data: { ...(closed.event.data as object), extra: 1 } })).toBe(false);
  });
});

/** Key of an event type's message in `components.messages`. */
function messageKey(type: string): string {
  const found = Object.entries(ASYNCAPI.components.messages).find(
    ([, message]) => message.payload?.allOf?.[1]?.properties?.type?.const === type,
  );
  if (!found) throw new Error(`no AsyncAPI message for ${type}`);
  return found[0].replace(/~/g, '~0').replace(/\//g, '~1');
}
