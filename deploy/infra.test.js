'use strict';

// Runs against the real local services: `node --test deploy/infra.test.js`.

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');
const { Kafka, logLevel, Partitioners } = require('kafkajs');
const { SERVICES } = require('./services');
const infra = require('./infra');

const env = process.env;
const PG = { host: env.PGHOST || '127.0.0.1', port: Number(env.PGPORT || 5432) };
const suffix = crypto.randomBytes(4).toString('hex');
const DB = `kh_infra_test_${suffix}`;

async function withClient(opts, fn) {
  const client = new Client({ ...PG, user: env.PGUSER || 'postgres', password: env.PGPASSWORD, ...opts });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

test('deploy/infra', { timeout: 60_000 }, async (t) => {
  t.after(() => infra.dropDatabase(DB));

  await t.test('services list', () => {
    assert.deepEqual(
      SERVICES.map((s) => s.name),
      ['gateway', 'identity', 'crm', 'listings', 'deals-commission', 'audit', 'notifications'],
    );
    assert.deepEqual(
      SERVICES.filter((s) => s.implemented).map((s) => s.name),
      ['gateway', 'identity', 'crm', 'listings', 'deals-commission', 'audit', 'notifications'],
    );
    assert.equal(infra.upperSnake('deals-commission'), 'DEALS_COMMISSION');
  });

  await t.test('checkServices passes against the local services', async () => {
    const res = await infra.checkServices(env, { warn: () => {} });
    assert.ok(res.postgres.serverVersionNum >= 150000);
  });

  await t.test('checkServices names every missing service', async () => {
    const bogus = { ...env, REDIS_URL: 'redis://127.0.0.1:1', NATS_URL: 'nats://127.0.0.1:1' };
    const started = Date.now();
    await assert.rejects(infra.checkServices(bogus, { warn: () => {} }), (err) => {
      assert.match(err.message, /^Redis is not reachable at 127\.0\.0\.1:1 \(.+\)\. Start it: redis-server /m);
      assert.match(err.message, /^NATS is not reachable at 127\.0\.0\.1:1 \(.+\)\. Start it: start-stop-daemon /m);
      assert.doesNotMatch(err.message, /Postgres/);
      assert.deepEqual(err.missing, ['Redis', 'NATS']);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'checks must time out quickly');
  });

  await t.test('prepareDatabase is idempotent', async () => {
    const first = await infra.prepareDatabase(DB, env);
    assert.equal(first.created, true);
    const second = await infra.prepareDatabase(DB, env);
    assert.equal(second.created, false);
    // concurrent callers on an existing database must not trip over each other
    await Promise.all([infra.prepareDatabase(DB, env), infra.prepareDatabase(DB, env)]);
  });

  await t.test('extensions, schemas, owners and role attributes', async () => {
    await withClient({ database: DB }, async (c) => {
      const ext = await c.query(
        `SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
          WHERE e.extname = ANY($1)`,
        [['postgis', 'pg_trgm', 'citext']],
      );
      assert.deepEqual(ext.rows.map((r) => `${r.extname}@${r.nspname}`).sort(), ['citext@public', 'pg_trgm@public', 'postgis@public']);
      for (const s of SERVICES.filter((x) => x.schema)) {
        const { rows } = await c.query(
          `SELECT pg_get_userbyid(n.nspowner) AS owner,
                  has_schema_privilege('public', n.oid, 'USAGE') AS public_usage,
                  r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolcanlogin
             FROM pg_namespace n, pg_roles r WHERE n.nspname = $1 AND r.rolname = $2`,
          [s.schema, s.dbRole],
        );
        assert.equal(rows.length, 1, `schema ${s.schema} exists`);
        assert.equal(rows[0].owner, s.dbOwnerRole ?? s.dbRole);
        assert.equal(rows[0].public_usage, false);
        assert.equal(rows[0].rolsuper, false);
        assert.equal(rows[0].rolcreatedb, false);
        assert.equal(rows[0].rolcreaterole, false);
        assert.equal(rows[0].rolcanlogin, true);
      }
      const pub = await c.query(`SELECT has_schema_privilege('public', 'public', 'CREATE') AS c`);
      assert.equal(pub.rows[0].c, false);
    });
  });

  await t.test('a schema with a separate owner: the service role may use it but not create in it, nor become the owner', async () => {
    for (const s of SERVICES.filter((x) => x.dbOwnerRole)) {
      await withClient({ database: DB }, async (c) => {
        const { rows } = await c.query(
          `SELECT has_schema_privilege($2, $1, 'USAGE') AS usage, has_schema_privilege($2, $1, 'CREATE') AS can_create,
                  pg_has_role($2, $3, 'MEMBER') AS member, o.rolsuper, o.rolcreaterole, o.rolcanlogin
             FROM pg_roles o WHERE o.rolname = $3`,
          [s.schema, s.dbRole, s.dbOwnerRole],
        );
        assert.deepEqual(rows[0], {
          usage: true,
          can_create: false,
          member: false,
          rolsuper: false,
          rolcreaterole: false,
          rolcanlogin: true,
        });
      });
      await withClient({ database: DB, user: s.dbRole, password: undefined }, async (c) => {
        await assert.rejects(c.query(`CREATE TABLE ${s.schema}.intruder (id int)`), { code: '42501' });
        await assert.rejects(c.query(`SET ROLE ${s.dbOwnerRole}`), { code: '42501' });
      });
      await withClient({ database: DB, user: s.dbOwnerRole, password: undefined }, async (c) => {
        await c.query(`CREATE TABLE ${s.schema}.owner_probe (id int)`);
        const sp = await c.query('SHOW search_path');
        assert.equal(sp.rows[0].search_path, `${s.schema}, public`);
      });
    }
  });

  await t.test('a service role can use only its own schema', async () => {
    await withClient({ database: DB, user: 'keyhouse_identity', password: undefined }, async (c) => {
      const sp = await c.query('SHOW search_path');
      assert.equal(sp.rows[0].search_path, 'identity, public');
      await assert.rejects(c.query('CREATE TABLE crm.intruder (id int)'), (err) => {
        assert.equal(err.code, '42501'); // insufficient_privilege
        return true;
      });
      await assert.rejects(c.query('CREATE TABLE public.intruder (id int)'), { code: '42501' });
      await c.query('CREATE TABLE users_probe (id int, email citext, geom public.geography(Point, 4326))');
      const { rows } = await c.query(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'users_probe'`);
      assert.deepEqual(rows, [{ table_schema: 'identity' }]);
      const trgm = await c.query(`SELECT similarity('keyhouse', 'keyhose') > 0.3 AS ok`);
      assert.equal(trgm.rows[0].ok, true);
    });
  });

  await t.test('startLocalKafka: kafkajs produces and consumes; second call reuses', async (tt) => {
    // a private state dir: this test starts (and stops) its own broker, leaving tmp/ alone
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-infra-kafka-'));
    tt.after(async () => {
      await infra.stopLocalKafka(stateDir);
      fs.rmSync(stateDir, { recursive: true, force: true });
    });
    const kenv = { ...env, KAFKA_BROKERS: '' };
    // two concurrent first calls must end up with one broker
    const [brokers, concurrent] = await Promise.all([infra.startLocalKafka(stateDir, kenv), infra.startLocalKafka(stateDir, kenv)]);
    assert.match(brokers, /^127\.0\.0\.1:\d+$/);
    assert.equal(concurrent, brokers);
    const readState = () => JSON.parse(fs.readFileSync(path.join(stateDir, 'kafka-mock.json'), 'utf8'));
    const { pid } = readState();
    assert.equal(await infra.startLocalKafka(stateDir, kenv), brokers);
    assert.equal(readState().pid, pid, 'second call reuses the running broker');
    assert.equal(await infra.startLocalKafka(stateDir, { KAFKA_BROKERS: 'kafka:9092' }), 'kafka:9092');

    const kafka = new Kafka({ clientId: 'infra-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
    const topic = `infra-test-${suffix}`;
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId: `infra-test-${suffix}` });
    try {
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `hello ${suffix}` }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = new Promise((resolve) => {
        consumer.run({ eachMessage: async ({ message }) => resolve(message.value.toString()) });
      });
      let timer;
      const value = await Promise.race([
        received,
        new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('no message within 20 s')), 20_000))),
      ]).finally(() => clearTimeout(timer));
      assert.equal(value, `hello ${suffix}`);
    } finally {
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
    }
    assert.ok(fs.statSync(path.join(stateDir, 'kafka-mock.log')).size < 4096, 'broker log stays small');

    // a dead broker is replaced on the next call
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const replaced = await infra.startLocalKafka(stateDir, kenv);
    assert.notEqual(readState().pid, pid);
    assert.match(replaced, /^127\.0\.0\.1:\d+$/);
    assert.equal(await infra.stopLocalKafka(stateDir), true);
    assert.equal(fs.existsSync(path.join(stateDir, 'kafka-mock.json')), false);
  });
});
