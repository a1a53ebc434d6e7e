'use strict';

// The published API documents (deploy/api-docs.js): `node --test deploy/api-docs.test.js`.
// Needs no running service and no gateway build: the AsyncAPI part reads the contracts, the Postman
// part converts small OpenAPI documents and the committed docs/api/openapi.json.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const docs = require('./api-docs');
const { SERVICES } = require('./services');

const ROOT = path.resolve(__dirname, '..');
const catalogue = docs.loadCatalogue();
let generated = null;
/** The AsyncAPI document of the current contracts (generated once for the file: ~3 s). */
function asyncapi() {
  generated ??= docs.generateAsyncApiDocument();
  return generated;
}

/** Follows a local `$ref` (`#/components/schemas/X`) in a document. */
function deref(document, schema) {
  let current = schema;
  while (current && current.$ref) {
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce((node, key) => node?.[key], document);
  }
  return current;
}

function dataSchema(document, type) {
  const message = document.components.messages[type];
  return deref(document, message.payload.allOf[1].properties.data);
}

test('the catalogue names the topics of the design and the gateway refusals', () => {
  const topics = new Set(Object.values(catalogue.events).map((entry) => entry.topic));
  for (const topic of ['identity.events', 'crm.events', 'listings.events', 'deals.events', 'gateway.events']) {
    assert.ok(topics.has(topic), `no event type on ${topic}`);
  }
});

test('AsyncAPI: one channel per topic, addressed by the topic name, with every type of that topic', () => {
  const document = asyncapi();
  assert.equal(document.asyncapi, '3.0.0');
  const byAddress = Object.fromEntries(Object.values(document.channels).map((channel) => [channel.address, channel]));
  const topics = [
    ...new Set(
      Object.values(catalogue.events)
        .map((e) => e.topic)
        .filter(Boolean),
    ),
  ].sort();
  assert.deepEqual(Object.keys(byAddress).sort(), topics);
  for (const [type, entry] of Object.entries(catalogue.events)) {
    assert.ok(document.components.messages[type], `no message for ${type}`);
    if (entry.topic === null) {
      for (const channel of Object.values(document.channels)) assert.equal(channel.messages[type], undefined, `${type} is not on Kafka`);
      continue;
    }
    assert.deepEqual(byAddress[entry.topic].messages[type], { $ref: `#/components/messages/${type}` });
  }
  assert.equal(byAddress['identity.events'].messages['identity.user.created'].$ref, '#/components/messages/identity.user.created');
  assert.equal(byAddress['deals.events'].messages['deals.invoice.paid'].$ref, '#/components/messages/deals.invoice.paid');
});

test('AsyncAPI: a send operation per topic from its producer, and receive operations of the known consumer groups', () => {
  const document = asyncapi();
  const operations = Object.values(document.operations);
  const send = operations.find((op) => op.action === 'send' && op.title === 'identity publishes identity.events');
  assert.ok(send);
  assert.ok(send.messages.some((m) => m.$ref.endsWith('/messages/identity.agent.profile_updated')));
  // one receive operation per consumer group: crm reads identity.events for its read model and for client links
  const crmGroups = operations
    .filter((op) => op.action === 'receive' && op.title === 'crm consumes identity.events')
    .flatMap((op) => op.bindings.kafka.groupId.enum)
    .sort();
  assert.deepEqual(crmGroups, ['crm.client-link', 'crm.identity-read-model']);
  const gatewaySend = operations.find((op) => op.action === 'send' && op.title === 'gateway publishes gateway.events');
  assert.ok(gatewaySend.messages.some((m) => m.$ref.endsWith('/messages/gateway.access.denied')));
  for (const topic of ['identity.events', 'crm.events', 'listings.events', 'deals.events', 'gateway.events']) {
    assert.ok(
      operations.some((op) => op.action === 'receive' && op.title === `audit consumes ${topic}`),
      `audit reads ${topic}`,
    );
  }
});

test('AsyncAPI: every message is the CloudEvents envelope with its own type, source and dataschema', () => {
  const document = asyncapi();
  const message = document.components.messages['deals.transaction.stage_changed'];
  const envelope = deref(document, message.payload.allOf[0]);
  assert.equal(envelope.properties.specversion.const, '1.0');
  assert.deepEqual(
    [...envelope.required].sort(),
    ['actortype', 'data', 'datacontenttype', 'dataschema', 'id', 'orgid', 'source', 'specversion', 'subject', 'time', 'type'].sort(),
  );
  assert.deepEqual(deref(document, envelope.properties.actortype).enum, ['user', 'api_key', 'system']);
  const own = message.payload.allOf[1].properties;
  assert.equal(own.type.const, 'deals.transaction.stage_changed');
  assert.equal(own.source.const, 'keyhouse/deals-commission');
  assert.equal(own.dataschema.const, 'urn:keyhouse:event:deals.transaction.stage_changed:v1');
  assert.equal(message.bindings.kafka.key.description, 'transaction id');
  const headers = deref(document, message.headers);
  assert.deepEqual(headers.required, ['ce_id', 'ce_type', 'ce_source', 'ce_specversion']);
  assert.equal(document.components.messages['gateway.access.denied'].payload.allOf[1].properties.source.const, 'keyhouse/gateway');
});

test('AsyncAPI: payload schemas come from the TypeScript types the catalogue names', () => {
  const document = asyncapi();
  const user = dataSchema(document, 'identity.user.created');
  assert.deepEqual(Object.keys(user.properties).sort(), ['contactId', 'email', 'name', 'phone', 'role', 'status', 'teamIds', 'userId']);
  assert.deepEqual([...user.required].sort(), ['email', 'name', 'role', 'status', 'teamIds', 'userId']);
  assert.equal(user.additionalProperties, false);

  // A Pick<> of an intersection, with enums from the rpc contracts.
  const deleted = dataSchema(document, 'crm.task.deleted');
  assert.deepEqual(Object.keys(deleted.properties).sort(), ['assigneeId', 'contactId', 'dueAt', 'status', 'taskId', 'title', 'type']);
  assert.deepEqual(deref(document, deleted.properties.status).enum, ['open', 'completed', 'cancelled']);

  const statement = dataSchema(document, 'deals.commission.statement_created');
  for (const field of ['gross', 'referralFee', 'brokerage', 'agent', 'fees'])
    assert.equal(statement.properties[field].type, 'number', field);

  const refused = dataSchema(document, 'gateway.authentication.failed');
  assert.deepEqual(refused.properties.status.enum, [401, 403]);
});

test('AsyncAPI: a payload type name that the contracts do not export is reported by name', () => {
  assert.throws(
    () => docs.generateSchemas(['UserCreatedData', 'NoSuchPayloadData']),
    /Payload type NoSuchPayloadData \(named in libs\/contracts\/src\/events\/event-catalogue\.type\.ts\) is not exported/,
  );
});

test('AsyncAPI: a type without a payload interface is described from its docs/events page', () => {
  // The catalogue as it is, but with one type's payload interface removed (every real type may
  // have one by now): its data is then described from its row on the docs/events page.
  const withoutPayload = {
    ...catalogue,
    events: { ...catalogue.events, 'identity.mfa.enabled': { ...catalogue.events['identity.mfa.enabled'], payload: null } },
  };
  const { schemas, envelope } = docs.generateSchemas(['UserCreatedData']);
  const built = docs.buildAsyncApi({ ...withoutPayload, schemas, envelope, notes: docs.eventDocNotes() });
  const data = built.components.messages['identity.mfa.enabled'].payload.allOf[1].properties.data;
  assert.equal(data.type, 'object');
  assert.match(data.description, /docs\/events\/identity-events\.md: `\{ userId \}`/);
  const document = asyncapi();
  // Audit's own entries are not Kafka messages.
  const exported = document.components.messages['audit.log.exported'];
  assert.equal(exported.bindings, undefined);
  assert.match(exported.payload.description, /not a Kafka message/);
});

test('AsyncAPI: the generated document validates with @asyncapi/parser, and the validator reports a broken one', async () => {
  const text = docs.asyncApiYaml(asyncapi());
  assert.deepEqual(await docs.asyncApiErrors(text), []);
  const broken = structuredClone(asyncapi());
  broken.channels.identityEvents.messages['identity.user.created'] = { $ref: '#/components/messages/no.such.message' };
  const errors = await docs.asyncApiErrors(docs.asyncApiYaml(broken));
  assert.ok(errors.length > 0);
});

test('AsyncAPI: the same contracts give the same text', () => {
  const again = docs.generateAsyncApiDocument();
  assert.equal(docs.asyncApiYaml(again), docs.asyncApiYaml(asyncapi()));
});

test('event notes: table rows of docs/events pages, by type, under their headings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-event-docs-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'x-events.md'),
      [
        '# x.events',
        '',
        '| type | subject | data |',
        '|---|---|---|',
        '| `x.thing.created` | thing | `{ thingId, kind: a \\| b }` |',
        '| `x.mfa.enabled` / `x.mfa.disabled` | user | `{ userId }` |',
        '',
        'Some text with `x.other.type` outside a table.',
      ].join('\n'),
    );
    const notes = docs.eventDocNotes(dir);
    assert.deepEqual(notes['x.thing.created'], { subject: 'thing', data: '`{ thingId, kind: a | b }`' });
    assert.deepEqual(notes['x.mfa.disabled'], { subject: 'user', data: '`{ userId }`' });
    assert.equal(notes['x.other.type'], undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const FIXTURE = {
  openapi: '3.0.0',
  info: { title: 'Fixture API', version: '1' },
  servers: [],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
    },
  },
  paths: {
    '/v1/things/{id}': {
      get: {
        operationId: 'getThing',
        tags: ['things'],
        summary: 'Read a thing',
        security: [{ bearer: [] }],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          200: {
            description: 'ok',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    id: { type: 'string', format: 'uuid' },
                    on: { type: 'boolean' },
                    at: { type: 'string', format: 'date-time' },
                    n: { type: 'number' },
                  },
                },
              },
            },
          },
          404: { description: 'not found' },
        },
      },
    },
    '/v1/webhooks/things': {
      post: {
        operationId: 'thingWebhook',
        tags: ['webhooks'],
        summary: 'Partner webhook',
        security: [{ apiKey: [] }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', properties: { name: { type: 'string', example: 'Evergreen Realty' } }, required: ['name'] },
            },
          },
        },
        responses: { 202: { description: 'accepted' } },
      },
    },
    '/v1/public/ping': {
      post: { operationId: 'ping', tags: ['public'], summary: 'Ping', responses: { 200: { description: 'pong' } } },
    },
  },
};

function requests(collection) {
  return collection.item.flatMap((folder) => folder.item.map((item) => ({ folder: folder.name, ...item })));
}

test('Postman: folders by tag, {{baseUrl}} = http://localhost:3000, bearer {{accessToken}} inherited, public routes without auth', async () => {
  const collection = await docs.buildPostman(FIXTURE);
  assert.equal(collection.info.schema, 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
  assert.deepEqual(collection.item.map((folder) => folder.name).sort(), ['public', 'things', 'webhooks']);
  assert.deepEqual(collection.variable.find((v) => v.key === 'baseUrl').value, 'http://localhost:3000');
  assert.deepEqual(collection.auth, { type: 'bearer', bearer: [{ key: 'token', value: '{{accessToken}}', type: 'string' }] });
  const [thing] = requests(collection).filter((r) => r.folder === 'things');
  assert.equal(thing.request.auth, undefined);
  assert.deepEqual(thing.request.url.host, ['{{baseUrl}}']);
  assert.deepEqual(
    thing.response.map((r) => r.code),
    [200],
  );
  const [ping] = requests(collection).filter((r) => r.folder === 'public');
  assert.deepEqual(ping.request.auth, { type: 'noauth' });
  assert.ok(collection.event[0].script.exec.join('\n').includes("pm.collectionVariables.set('accessToken'"));
  const [webhook] = requests(collection).filter((r) => r.folder === 'webhooks');
  assert.equal(webhook.request.auth.type, 'apikey');
  assert.deepEqual(
    webhook.request.auth.apikey.map((p) => [p.key, p.value]),
    [
      ['key', 'X-Api-Key'],
      ['value', '{{apiKey}}'],
      ['in', 'header'],
    ],
  );
  assert.deepEqual(JSON.parse(webhook.request.body.raw), { name: 'Evergreen Realty' });
  assert.ok(collection.variable.some((v) => v.key === 'apiKey'));
});

test('Postman: ids and faked examples are the same on every run, and a new route leaves the others unchanged', async () => {
  const first = await docs.buildPostman(FIXTURE);
  const second = await docs.buildPostman(FIXTURE);
  assert.equal(JSON.stringify(second), JSON.stringify(first));
  const ids = requests(first).map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

  const widened = structuredClone(FIXTURE);
  widened.paths['/v1/things'] = {
    post: {
      operationId: 'createThing',
      tags: ['things'],
      summary: 'Create',
      security: [{ bearer: [] }],
      responses: { 201: { description: 'created' } },
    },
  };
  const third = await docs.buildPostman(widened);
  const before = requests(first).find((r) => r.name === 'Read a thing');
  const after = requests(third).find((r) => r.name === 'Read a thing');
  assert.equal(after.id, before.id);
  assert.deepEqual(after.response, before.response);
});

test('Postman: the committed OpenAPI document converts to the same collection twice', async () => {
  const openapi = JSON.parse(fs.readFileSync(docs.OPENAPI_FILE, 'utf8'));
  const a = await docs.buildPostman(openapi);
  const b = await docs.buildPostman(openapi);
  assert.equal(JSON.stringify(b), JSON.stringify(a));
  assert.ok(a.item.length > 5);
});

/** Writes `files` (`{ relative path: text }`) into a new temporary directory; returns it. */
function fixtureDir(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-rpc-fixture-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const FIXTURE_DEFINE =
  'export function defineRpc<Req, Res>(subject: string): { subject: string; types?: [Req, Res] } {\n  return { subject };\n}\n';

test('RPC request schemas: the first type argument of every defineRpc, named, inline, imported or empty', () => {
  const dir = fixtureDir({
    'rpc-contract.ts': FIXTURE_DEFINE,
    'paging.ts': 'export interface Paging {\n  limit?: number;\n  cursor?: string;\n}\n',
    'things/things.rpc.ts': [
      "import type { Paging } from '../paging';",
      "import { defineRpc } from '../rpc-contract';",
      'export const ThingSubjects = {',
      "  create: defineRpc<ThingCreateRequest, { id: string }>('test.things.create'),",
      "  get: defineRpc<{ id: string }, ThingCreateRequest>('test.things.get'),",
      "  list: defineRpc<Paging & { q?: string }, ThingCreateRequest[]>('test.things.list'),",
      "  count: defineRpc<Record<string, never>, number>('test.things.count'),",
      '};',
      "export type ThingKind = 'small' | 'large';",
      'export interface ThingCreateRequest {',
      '  name: string;',
      '  kind?: ThingKind;',
      '  owner: { id: string } | null;',
      '  parts?: Array<{ id: string; count: number }>;',
      '}',
      '',
    ].join('\n'),
  });
  try {
    const files = [path.join(dir, 'things', 'things.rpc.ts')];
    const contracts = docs.findRpcContracts(files);
    assert.deepEqual(
      contracts.map(({ subject, request }) => [subject, request]),
      [
        ['test.things.create', 'ThingCreateRequest'],
        ['test.things.get', '{ id: string }'],
        ['test.things.list', 'Paging & { q?: string }'],
        ['test.things.count', 'Record<string, never>'],
      ],
    );
    const document = docs.generateRpcRequestSchemas(contracts);
    assert.deepEqual(Object.keys(document.subjects), ['test.things.count', 'test.things.create', 'test.things.get', 'test.things.list']);
    assert.deepEqual(document.subjects['test.things.create'], { $ref: '#/definitions/ThingCreateRequest' });
    assert.deepEqual(document.subjects['test.things.get'], {
      type: 'object',
      properties: { id: { type: 'string' } },
      required: ['id'],
      additionalProperties: false,
    });
    assert.deepEqual(document.subjects['test.things.count'], { type: 'object', additionalProperties: false });
    const list = document.subjects['test.things.list'];
    assert.deepEqual(Object.keys(list.properties).sort(), ['cursor', 'limit', 'q']);
    assert.equal(list.additionalProperties, false);
    const create = document.definitions.ThingCreateRequest;
    assert.deepEqual(create.required, ['name', 'owner']);
    assert.equal(create.additionalProperties, false);
    assert.deepEqual(create.properties.parts.items.required, ['id', 'count']);
    assert.deepEqual(document.definitions.ThingKind, { type: 'string', enum: ['small', 'large'] });
    assert.equal(JSON.stringify(document).includes('__Req_'), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('RPC request schemas: a subject defined twice, or a call without its types, is refused with its place', () => {
  const dir = fixtureDir({
    'rpc-contract.ts': FIXTURE_DEFINE,
    'a.rpc.ts':
      "import { defineRpc } from './rpc-contract';\nexport const A = { get: defineRpc<{ id: string }, null>('test.things.get') };\n",
    'b.rpc.ts':
      "import { defineRpc } from './rpc-contract';\nexport const B = {\n  get: defineRpc<{ id: string }, null>('test.things.get'),\n};\n",
    'c.rpc.ts': "import { defineRpc } from './rpc-contract';\nexport const C = { get: defineRpc('test.things.raw') };\n",
  });
  try {
    assert.throws(
      () => docs.findRpcContracts([path.join(dir, 'a.rpc.ts'), path.join(dir, 'b.rpc.ts')]),
      /b\.rpc\.ts:3: subject test\.things\.get is already defined at .*a\.rpc\.ts:2/,
    );
    assert.throws(
      () => docs.findRpcContracts([path.join(dir, 'c.rpc.ts')]),
      /c\.rpc\.ts:2: defineRpc needs <Request, Response> and a literal subject/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('RPC request schemas: every contract of libs/contracts, as committed in libs/contracts/src/generated', () => {
  const contracts = docs.findRpcContracts();
  const committed = JSON.parse(fs.readFileSync(docs.RPC_SCHEMAS_FILE, 'utf8'));
  assert.deepEqual(Object.keys(committed.subjects), [...new Set(contracts.map((c) => c.subject))].sort());
  assert.ok(contracts.length > 150);
  assert.deepEqual(committed.subjects['crm.contacts.get'], {
    type: 'object',
    properties: { id: { type: 'string' } },
    required: ['id'],
    additionalProperties: false,
  });
  assert.deepEqual(committed.subjects['crm.contact-fields.list'], { type: 'object', additionalProperties: false });
  const create = deref(committed, committed.subjects['crm.contacts.create']);
  assert.equal(create.additionalProperties, false);
  assert.equal(create.properties.onDuplicate.$ref, '#/definitions/CrmDuplicatePolicy');
  assert.deepEqual(committed.definitions.CrmDuplicatePolicy.enum, ['reject', 'create', 'merge']);
});

test('check: a file whose committed content differs is named, with the command to run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-api-docs-'));
  try {
    const same = path.join(dir, 'same.json');
    const changed = path.join(dir, 'changed.json');
    const absent = path.join(dir, 'absent.json');
    fs.writeFileSync(same, '{"a":1}\n');
    fs.writeFileSync(changed, '{"a":1}\n');
    const stale = docs.staleFiles({ [same]: '{"a":1}\n', [changed]: '{"a":2}\n', [absent]: '{}\n' });
    assert.deepEqual(
      stale.map((file) => path.basename(file)),
      ['changed.json', 'absent.json'],
    );
    const message = docs.staleMessage(['docs/events/asyncapi.yaml']);
    assert.match(message, /docs\/events\/asyncapi\.yaml/);
    assert.match(message, /npm run docs:api/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/architecture.md names every service with its port, and every topic of the catalogue', () => {
  const text = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
  for (const service of SERVICES) {
    assert.ok(text.includes(`\`${service.name}\``), `service ${service.name} not named`);
    assert.ok(text.includes(String(service.healthPort)), `port ${service.healthPort} of ${service.name} not given`);
    if (service.schema) assert.ok(text.includes(`\`${service.schema}\``), `schema ${service.schema} not named`);
  }
  const topics = new Set(
    Object.values(catalogue.events)
      .map((entry) => entry.topic)
      .filter(Boolean),
  );
  for (const topic of topics) assert.ok(text.includes(`\`${topic}\``), `topic ${topic} not named`);
});

test('docs/events/README.md links every event page, the page of every catalogue entry and the AsyncAPI file', () => {
  const dir = path.join(ROOT, 'docs', 'events');
  const text = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  const pages = fs.readdirSync(dir).filter((file) => file.endsWith('.md') && file !== 'README.md');
  const documented = Object.values(catalogue.events).map((entry) => path.basename(entry.doc));
  for (const page of new Set([...pages, ...documented, 'asyncapi.yaml'])) assert.ok(text.includes(`](${page})`), `${page} not linked`);
  for (const page of documented) assert.ok(fs.existsSync(path.join(dir, page)), `${page} does not exist`);
});

/** Text of every non-spec `.ts` file under a directory. */
function sources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(file));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) out.push(fs.readFileSync(file, 'utf8'));
  }
  return out;
}

test('docs/architecture.md names every NATS subject prefix of the contracts and every Bull queue', () => {
  const text = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const prefixes = new Set();
  for (const source of sources(path.join(ROOT, 'libs', 'contracts', 'src', 'rpc'))) {
    for (const match of source.matchAll(/'((?:identity|crm|listings|deals|audit)\.[a-z-]+)\.[a-zA-Z_.-]+'/g)) prefixes.add(match[1]);
  }
  assert.ok(prefixes.has('crm.contacts'));
  const missing = [...prefixes].filter((prefix) => !text.includes(`\`${prefix}.`)).sort();
  assert.deepEqual(missing, [], 'subject prefixes not in docs/architecture.md');

  const queues = new Set();
  for (const service of SERVICES) {
    const src = path.join(ROOT, 'apps', service.name, 'src');
    if (!fs.existsSync(src)) continue;
    for (const source of sources(src)) for (const match of source.matchAll(/_QUEUE = '([a-z-]+\.[a-z-]+)'/g)) queues.add(match[1]);
  }
  assert.ok(queues.has('identity.maintenance'));
  assert.deepEqual([...queues].filter((queue) => !text.includes(`\`${queue}\``)).sort(), [], 'Bull queues not in docs/architecture.md');
});
