#!/usr/bin/env node
/**
 * Outbox latency: the time from a transaction's COMMIT (as the writer sees it return) to the
 * event's arrival at a Kafka consumer, for the relay as it was (poll every 200 ms, woken in-process
 * after a commit) and as it is (LISTEN/NOTIFY on the outbox channel, 5 s safety-net poll), each
 * with the writer in the relay's own process (woken after commit, as `UnitOfWork` does) and in
 * another process (another replica: only the poll or the NOTIFY can tell the relay).
 *
 *   node bench/outbox/commit-to-publish.mjs [--events 600] [--rate 40] [--no-docs]
 *
 * Compiles libs/platform/messaging from the working tree into bench/outbox/.build, prepares its own
 * database and Kafka mock broker (bench/lib/infra.mjs), and writes the figures to
 * bench/results/outbox-latency-<time>.json and the `outbox-latency` section of docs/performance.md.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runCleanups } from '../lib/cleanup.mjs';
import { writeDocSection } from '../lib/docs.mjs';
import { prepareBenchInfra } from '../lib/infra.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { round, Samples } from '../lib/stats.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = path.join(ROOT, 'bench', 'outbox', '.build');
const require = createRequire(path.join(ROOT, 'package.json'));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = option('events', 600);
const RATE = option('rate', 40); // commits per second
const log = (line) => process.stdout.write(`[outbox-latency] ${line}\n`);

function buildMessaging() {
  fs.rmSync(BUILD, { recursive: true, force: true });
  const project = 'libs/platform/messaging/tsconfig.lib.json';
  for (const [cmd, cmdArgs] of [
    [process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project, '--outDir', BUILD]],
    [path.join(ROOT, 'node_modules/.bin/tsc-alias'), ['-p', project, '--outDir', BUILD]],
  ]) {
    const result = spawnSync(cmd, cmdArgs, { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`build failed: ${result.stdout}${result.stderr}`);
  }
  return require(path.join(BUILD, 'libs/platform/messaging/src/index.js'));
}

async function main() {
  log('building libs/platform/messaging');
  const messaging = buildMessaging();
  const { DataSource } = require('typeorm');
  const { Client } = require('pg');
  const database = 'kh_bench_outbox';
  const { env } = await prepareBenchInfra(ROOT, { database, redisKeyPrefix: 'kh-bench-outbox:', log });
  const url = `postgres://postgres@${env.PGHOST ?? '127.0.0.1'}:${env.PGPORT ?? '5432'}/${database}`;
  const brokers = env.KAFKA_BROKERS.split(',');
  const results = [];

  const variants = [
    {
      name: 'before: poll 200 ms, writer in the relay process (woken after commit)',
      listen: false,
      pollIntervalMs: 200,
      writer: 'in-process',
    },
    { name: 'before: poll 200 ms, writer in another process', listen: false, pollIntervalMs: 200, writer: 'other-process' },
    {
      name: 'after: LISTEN/NOTIFY, writer in the relay process (woken after commit)',
      listen: true,
      pollIntervalMs: 5000,
      writer: 'in-process',
    },
    { name: 'after: LISTEN/NOTIFY, writer in another process', listen: true, pollIntervalMs: 5000, writer: 'other-process' },
  ];

  for (const [index, variant] of variants.entries()) {
    const schema = `bench_outbox_${index}`;
    const topicPrefix = `bench${Date.now()}.`;
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    for (const statement of [...messaging.outboxAndInboxDdl(schema), ...messaging.outboxParkingDdl(schema)]) await admin.query(statement);
    await admin.end();

    const dataSource = await new DataSource({
      type: 'postgres',
      url,
      schema,
      poolSize: 4,
      extra: { options: `-c search_path=${schema}` },
    }).initialize();
    const kafka = messaging.createKafka({ clientId: 'bench-outbox', brokers, topicPrefix });
    const options = { serviceName: 'bench', schema, topicPrefix, listen: variant.listen, pollIntervalMs: variant.pollIntervalMs };
    const relay = new messaging.OutboxRelay(options, dataSource, messaging.createProducer(kafka));
    const outbox = new messaging.OutboxService(options);

    const committedAt = new Map();
    const samples = new Samples();
    let received = 0;
    const consumer = kafka.consumer({ groupId: `${topicPrefix}reader`, maxWaitTimeInMs: 20 });
    await consumer.connect();
    await consumer.subscribe({ topics: [`${topicPrefix}bench.events`], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const at = performance.now();
        const id = JSON.parse(message.value.toString()).id;
        const committed = committedAt.get(id);
        if (committed !== undefined) {
          samples.push(at - committed);
          committedAt.delete(id);
        }
        received += 1;
      },
    });
    relay.start();
    // a warm-up event so the topic exists and the consumer has joined before the measured ones
    const writer = new Client({ connectionString: url, options: `-c search_path=${schema}` });
    await writer.connect();
    const commitOne = async () => {
      await writer.query('BEGIN');
      const manager = { query: async (sql, params) => (await writer.query(sql, params)).rows };
      const [event] = await outbox.publish(
        manager,
        [{ type: 'bench.thing.happened', subject: 'agg', orgId: '00000000-0000-0000-0000-000000000000', data: {} }],
        { actor: null },
      );
      await writer.query('COMMIT');
      return event.id;
    };
    await commitOne();
    while (received < 1) await new Promise((resolve) => setTimeout(resolve, 50));

    log(`${variant.name}: ${EVENTS} commits at ${RATE}/s`);
    const started = performance.now();
    for (let i = 0; i < EVENTS; i += 1) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const id = await commitOne();
      committedAt.set(id, performance.now());
      if (variant.writer === 'in-process') relay.wake();
    }
    const deadline = performance.now() + 30_000;
    while (samples.length < EVENTS && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const summary = samples.summary();
    results.push({
      ...variant,
      events: EVENTS,
      rate: RATE,
      delivered: summary.count,
      ms: Object.fromEntries(
        Object.entries(summary)
          .filter(([k]) => k !== 'count')
          .map(([k, v]) => [k, round(v, 1)]),
      ),
    });
    log(
      `  p50 ${round(summary.p50, 1)} ms, p99 ${round(summary.p99, 1)} ms, max ${round(summary.max, 1)} ms (${summary.count} of ${EVENTS})`,
    );

    await writer.end();
    await consumer.disconnect();
    await relay.stop();
    await dataSource.destroy();
  }

  const machine = machineInfo(ROOT);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  const command = `node bench/outbox/commit-to-publish.mjs --events ${EVENTS} --rate ${RATE}`;
  fs.writeFileSync(
    path.join(ROOT, 'bench', 'results', `outbox-latency-${stamp}.json`),
    JSON.stringify({ command, machine, results }, null, 2),
  );
  if (!args.includes('--no-docs')) {
    const rows = results.map((r) => `| ${r.name} | ${r.delivered}/${r.events} | ${r.ms.p50} | ${r.ms.p99} | ${r.ms.max} |`);
    writeDocSection(
      path.join(ROOT, 'docs', 'performance.md'),
      'outbox-latency',
      `## Outbox: commit → Kafka consumer latency (issue 12, ADR 0026)

\`${command}\` on ${machine.nproc} cores (${machine.cpuModel}), ${new Date().toISOString().slice(0, 10)}; the local Kafka mock
broker, one event per transaction, ${RATE} commits/s, the consumer polling with \`maxWaitTimeInMs\` 20. Latency = the
consumer's receipt minus the moment the writer's COMMIT returned, in ms.

| relay | delivered | p50 | p99 | max |
|---|---|---|---|---|
${rows.join('\n')}

"Before" is the relay as it was (a poll every 200 ms; a commit in its own process woke it, a commit in
another replica waited for the poll). "After" is LISTEN/NOTIFY: \`OutboxService.publish\` calls \`pg_notify\`
in the insert's statement, Postgres delivers it at COMMIT, and the leader relay LISTENs on its lock
connection, so a commit anywhere wakes it; the 5 s poll is only a safety net. Both run today's relay
(\`listen: false\` and a 200 ms poll for "before"), so "before" already has the fix for a wake that
arrived while the relay was publishing (the old relay lost it and waited for the next poll).`,
      '`node bench/outbox/commit-to-publish.mjs`',
    );
  }
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
