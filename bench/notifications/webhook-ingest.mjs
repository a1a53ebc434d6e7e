#!/usr/bin/env node
/**
 * SendGrid Event Webhook ingest benchmark (issue 14, docs/adr/0035): signed batches of `--events`
 * events (default 1,000, SendGrid's order of size; ~350 KB, under the 768 KB limit) posted to the
 * gateway's public `POST /v1/webhooks/sendgrid/events` by `--clients` concurrent posters (default
 * 4) until `--batches` batches (default 60) are acknowledged. Every batch is signed as SendGrid
 * signs it (ECDSA P-256/SHA-256 over timestamp + raw body, SendGrid's published test key, which is
 * the service's default verification key), and every event is new (`sg_event_id`), so each is
 * verified, parsed and stored: gateway (raw body kept) → NATS → notifications (size, headers,
 * freshness, signature, then one `email_event` row per event, `ON CONFLICT (sg_event_id) DO
 * NOTHING`). Half the events name a delivery of ours (custom args `deliveryId`, real deliveries
 * created first through the local sink), so their status moves too (`delivered`, one locked
 * update + outbox event each); the other half name none. Then each batch is posted once more (a
 * SendGrid retry): acknowledged, nothing stored.
 * Figures: events/s acknowledged (wall clock of the run), ack latency per batch p50/p99.
 *
 *   node bench/notifications/webhook-ingest.mjs [--batches 60] [--events 1000] [--clients 4] [--no-build] [--no-docs]
 *
 * Apps are compiled from the working tree into bench/notifications/.build/webhook; own database,
 * Kafka mock broker and Redis prefix (bench/lib/infra.mjs), removed at the end. Writes
 * bench/results/notifications-webhook-ingest-<UTC>.json and its section of docs/performance.md.
 */
import { createPrivateKey, randomBytes, randomUUID, sign } from 'node:crypto';
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
import { benchServiceEnv, startServiceChain } from '../lib/service-chain.mjs';
import { percentile, round } from '../lib/stats.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const log = (line) => process.stderr.write(`[webhook-bench] ${line}\n`);

/** SendGrid's published TEST signing key (SEC1 DER, base64; apps/provider-sandbox/src/sandbox-settings.config.ts). */
const SENDGRID_TEST_SIGNING_KEY =
  'MHcCAQEEIEQmZgBEh9DcU9zMl34czK3xov4AYvm9P3r7rNB2dNXtoAoGCCqGSM49AwEHoUQDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
const signingKey = createPrivateKey({ key: Buffer.from(SENDGRID_TEST_SIGNING_KEY, 'base64'), format: 'der', type: 'sec1' });

function options(argv) {
  const o = { batches: 60, events: 1000, clients: 4, warmup: 4, build: true, docs: true, database: 'keyhouse_bench_webhook' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (arg === '--no-docs') o.docs = false;
    else if (['--batches', '--events', '--clients', '--warmup'].includes(arg)) o[arg.slice(2)] = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

/** One signed batch: the raw body and the two headers, as SendGrid posts it. */
function signedBatch(events) {
  const body = JSON.stringify(events);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = sign('sha256', Buffer.from(timestamp + body), signingKey).toString('base64');
  return { body, headers: { 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp } };
}

/** `count` SendGrid `delivered` events; every other one names one of `deliveries` (custom args), the rest a delivery not ours. */
function events(count, deliveries) {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, index) => {
    const ours = index % 2 === 0 ? deliveries.pop() : undefined;
    return {
      email: `agent-${randomBytes(4).toString('hex')}@bench.keyhouse.test`,
      timestamp: now,
      event: 'delivered',
      'smtp-id': `<${randomBytes(8).toString('hex')}@keyhouse.test>`,
      sg_event_id: randomBytes(16).toString('base64url'),
      sg_message_id: `${randomBytes(16).toString('base64url')}.filter0001.1.0`,
      response: '250 OK',
      category: 'lead_assigned',
      notificationId: ours?.notificationId ?? randomUUID(),
      deliveryId: ours?.deliveryId ?? randomUUID(),
    };
  });
}

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  const buildDir = path.join(BENCH_DIR, '.build', 'webhook');
  const apps = ['identity', 'gateway', 'notifications'];
  const mains = Object.fromEntries(apps.map((app) => [app, mainOf(buildDir, app)]));
  if (o.build || apps.some((app) => !fs.existsSync(mains[app]))) buildApps(ROOT, apps, buildDir, log);

  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: 'kh-bench-webhook:', log });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-webhook-logs-'));
  onCleanup('remove logs', () => fs.rmSync(logDir, { recursive: true, force: true }));
  const ports = { gateway: 3150, identity: 3151, notifications: 3152 };
  // No SENDGRID_API_KEY: the deliveries created below go to the local sink (delivered) at once.
  const env = benchServiceEnv(infraEnv, 'bench-webhook', { SENDGRID_WEBHOOK_MAX_AGE_SECONDS: '0' });
  const base = await startServiceChain({ root: ROOT, mains, ports, env, logDir, services: ['notifications'] });

  // Deliveries of ours for half the events: notifications inserted straight into the schema (the
  // fan-out bench measures their creation), one email delivery each, status `sent`.
  const total = (o.batches + o.warmup) * o.events;
  const { Client } = require('pg');
  const pg = new Client(pgFrom(infraEnv, o.database));
  await pg.connect();
  onCleanup('close pg', () => pg.end());
  const ourCount = Math.ceil(total / 2);
  const orgId = randomUUID();
  await pg.query(
    `INSERT INTO notifications.notification (id, org_id, recipient_user_id, type, title, body)
     SELECT gen_random_uuid(), $1, gen_random_uuid(), 'lead_assigned', 'New lead assigned to you', 'bench' FROM generate_series(1, $2)`,
    [orgId, ourCount],
  );
  const { rows: deliveries } = await pg.query(
    `INSERT INTO notifications.delivery (id, notification_id, org_id, channel, status, to_address, sent_at)
     SELECT gen_random_uuid(), id, org_id, 'email', 'sent', 'agent@bench.keyhouse.test', now() FROM notifications.notification
     RETURNING id AS "deliveryId", notification_id AS "notificationId"`,
  );
  log(`${deliveries.length} deliveries of ours, ${total} events to post`);

  const batches = Array.from({ length: o.batches + o.warmup }, () => signedBatch(events(o.events, deliveries)));
  const post = async (batch) => {
    const started = performance.now();
    const response = await fetch(`${base}/v1/webhooks/sendgrid/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...batch.headers },
      body: batch.body,
      signal: AbortSignal.timeout(60_000),
    });
    const answer = await response.json();
    if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`);
    return { ms: performance.now() - started, answer };
  };
  const run = async (list) => {
    const latencies = [];
    let stored = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: o.clients }, async () => {
        while (next < list.length) {
          const result = await post(list[next++]);
          latencies.push(result.ms);
          stored += result.answer.stored;
        }
      }),
    );
    const wallMs = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return {
      batches: list.length,
      events: list.length * o.events,
      stored,
      wallS: round(wallMs / 1000, 2),
      eventsPerS: round((list.length * o.events) / (wallMs / 1000), 0),
      p50Ms: round(percentile(latencies, 50), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      maxMs: round(latencies[latencies.length - 1], 1),
    };
  };
  await run(batches.slice(0, o.warmup));
  const measured = batches.slice(o.warmup);
  const fresh = await run(measured);
  const redelivered = await run(measured);
  const { rows: moved } = await pg.query(`SELECT count(*)::int AS n FROM notifications.delivery WHERE status = 'delivered'`);
  if (fresh.stored !== fresh.events) throw new Error(`stored ${fresh.stored} of ${fresh.events} new events`);
  if (redelivered.stored !== 0) throw new Error(`a redelivery stored ${redelivered.stored} events`);
  log(
    `fresh: ${fresh.eventsPerS} events/s, p99 ${fresh.p99Ms} ms; redelivered: ${redelivered.eventsPerS} events/s, p99 ${redelivered.p99Ms} ms`,
  );

  const machine = machineInfo(ROOT);
  const output = {
    benchmark: 'notifications-webhook-ingest',
    at: new Date().toISOString(),
    machine,
    loadAverage: os.loadavg(),
    options: o,
    deliveriesMovedToDelivered: moved[0].n,
    fresh,
    redelivered,
  };
  const file = path.join(ROOT, 'bench', 'results', `notifications-webhook-ingest-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);

  const command = `node bench/notifications/webhook-ingest.mjs --batches ${o.batches} --events ${o.events} --clients ${o.clients}`;
  const table = [
    '| run | batches × events | stored | events/s | ack p50 ms | ack p99 ms | max ms |',
    '|---|---|---|---|---|---|---|',
    `| new events (half move a delivery to delivered) | ${fresh.batches} × ${o.events} | ${fresh.stored} | ${fresh.eventsPerS} | ${fresh.p50Ms} | ${fresh.p99Ms} | ${fresh.maxMs} |`,
    `| the same batches again (SendGrid retries) | ${redelivered.batches} × ${o.events} | ${redelivered.stored} | ${redelivered.eventsPerS} | ${redelivered.p50Ms} | ${redelivered.p99Ms} | ${redelivered.maxMs} |`,
  ].join('\n');
  const body = `## SendGrid Event Webhook ingest (issue 14, ADR 0035)

\`${command}\` on ${machine.nproc} cores (${machine.cpuModel}), ${output.at.slice(0, 10)}, load average
${os
  .loadavg()
  .map((value) => value.toFixed(1))
  .join(' / ')} at the end (the machine was shared with other engineers' builds and tests); compiled apps
(\`NODE_ENV=production\`), one gateway, one notifications process. Signed batches (SendGrid's test key)
through \`POST /v1/webhooks/sendgrid/events\` → NATS → verification → one \`email_event\` row per event; ${o.clients}
posters, ${o.warmup} warm-up batches first. Acknowledge time = HTTP answer minus the moment the batch was sent.
${moved[0].n.toLocaleString('en-US')} deliveries of ours moved \`sent\` → \`delivered\` (locked update + outbox event each).

${table}`;
  if (o.docs) writeDocSection(path.join(ROOT, 'docs', 'performance.md'), 'notifications-webhook-ingest', body, `\`${command}\``);
  process.stdout.write(`${table}\n`);
}

/** pg connection settings of the bench database from the infra env (PGHOST/PGPORT and the superuser). */
function pgFrom(env, database) {
  return {
    host: env.PGHOST ?? '127.0.0.1',
    port: Number(env.PGPORT ?? 5432),
    user: process.env.PGUSER || 'postgres',
    password: process.env.PGPASSWORD || undefined,
    database,
  };
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
