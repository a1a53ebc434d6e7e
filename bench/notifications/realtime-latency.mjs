#!/usr/bin/env node
/**
 * Realtime channel benchmark (issue 14, docs/adr/0035 "Realtime channel"): N Socket.IO connections
 * (default 1,000) spread evenly over A agents (default 50, so 20 sockets each) on the gateway's
 * `/v1/realtime`, then, one at a time:
 * - **assign → notification.created**: `PATCH /v1/contacts/:id/assign` to an agent, until the
 *   agent's sockets receive `notification.created` for that contact (crm → outbox → Kafka →
 *   notifications trigger → outbox → Kafka → `notifications.realtime` consumer → core NATS →
 *   gateway → sockets): the first of the agent's sockets, and the last of them;
 * - **read → unread_count.changed**: `POST /v1/notifications/:id/read` by the agent, until its
 *   sockets receive the new count (notifications → outbox → Kafka → consumer → NATS → sockets).
 * Latency = socket receipt minus the moment the request was sent, in ms (one clock: this process).
 *
 *   node bench/notifications/realtime-latency.mjs [--sockets 1000] [--agents 50] [--requests 100] [--no-build] [--no-docs]
 *
 * Apps are compiled from the working tree into bench/notifications/.build; the bench has its own
 * database, Kafka mock broker and Redis prefix (bench/lib/infra.mjs), all removed at the end.
 * Writes bench/results/notifications-realtime-<UTC>.json and its section of docs/performance.md.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildApps, mainOf } from '../lib/build.mjs';
import { installSignalHandlers, onCleanup, runCleanups } from '../lib/cleanup.mjs';
import { writeDocSection } from '../lib/docs.mjs';
import { prepareBenchInfra } from '../lib/infra.mjs';
import { benchServiceEnv, startServiceChain } from '../lib/service-chain.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { percentile, round } from '../lib/stats.mjs';
import { apiClient, ok } from '../lib/api.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const { io } = require('socket.io-client');
const log = (line) => process.stderr.write(`[realtime-bench] ${line}\n`);

function options(argv) {
  const o = { sockets: 1000, agents: 50, requests: 100, warmup: 5, build: true, docs: true, database: 'keyhouse_bench_realtime' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (arg === '--no-docs') o.docs = false;
    else if (['--sockets', '--agents', '--requests', '--warmup'].includes(arg)) o[arg.slice(2)] = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

const api = apiClient({ timeoutMs: 60_000 });
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Resolves with `value` when `check` returns one, polling every 200 ms; throws after `timeoutMs`. */
async function until(check, what, timeoutMs = 60_000) {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not done in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Connects one socket of `token`; resolves once connected. */
function connectSocket(base, token) {
  return new Promise((resolve, reject) => {
    const socket = io(base, { path: '/v1/realtime', transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => reject(new Error(`socket refused: ${error.message}`)));
  });
}

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  const buildDir = path.join(BENCH_DIR, '.build');
  const apps = ['identity', 'gateway', 'crm', 'notifications'];
  const mains = Object.fromEntries(apps.map((app) => [app, mainOf(buildDir, app)]));
  if (o.build || apps.some((app) => !fs.existsSync(mains[app]))) buildApps(ROOT, apps, buildDir, log);

  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: 'kh-bench-realtime:', log });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-realtime-logs-'));
  onCleanup('remove logs', () => fs.rmSync(logDir, { recursive: true, force: true }));
  const ports = { gateway: 3140, identity: 3141, crm: 3142, notifications: 3143 };
  const env = benchServiceEnv(infraEnv, 'bench-realtime');
  const base = await startServiceChain({ root: ROOT, mains, ports, env, logDir, services: ['crm', 'notifications'] });

  // Organization and agents through the API; each agent signs in.
  const tag = randomBytes(4).toString('hex');
  const password = `bench-${randomBytes(12).toString('base64url')}`;
  const owner = ok(
    await api(base, 'POST', '/v1/auth/register', {
      organizationName: `Realtime Bench ${tag}`,
      name: 'Bench Owner',
      email: `owner-${tag}@bench.keyhouse.test`,
      password,
    }),
    'register',
  );
  const token = owner.accessToken;
  const agents = [];
  for (let i = 0; i < o.agents; i += 1) {
    const email = `agent${i}-${tag}@bench.keyhouse.test`;
    const user = ok(await api(base, 'POST', '/v1/users', { email, name: `Agent ${i}`, role: 'agent', password }, token), 'agent');
    const session = ok(await api(base, 'POST', '/v1/auth/login', { email, password }), 'login');
    agents.push({ id: user.id, token: session.accessToken, sockets: [] });
  }

  // Sockets, spread evenly over the agents; every event each receives, with this process's clock.
  log(`connecting ${o.sockets} sockets over ${o.agents} agents`);
  const waiters = new Set();
  const connectStarted = now();
  for (let i = 0; i < o.sockets; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(i + 50, o.sockets); j += 1) {
      const agent = agents[j % agents.length];
      batch.push(
        connectSocket(base, agent.token).then((socket) => {
          agent.sockets.push(socket);
          socket.onAny((event, data) => {
            const at = now();
            for (const waiter of waiters) waiter(agent, socket, event, data, at);
          });
          onCleanup('close socket', () => socket.disconnect());
        }),
      );
    }
    await Promise.all(batch);
  }
  const connectMs = now() - connectStarted;
  log(`connected in ${round(connectMs, 0)} ms`);

  /** Runs `send` and resolves with the receipt times (first, last) at the agent's sockets of the first matching event. */
  async function measure(agent, match, send) {
    const seen = new Map();
    let resolveAll;
    const done = new Promise((resolve) => (resolveAll = resolve));
    const waiter = (who, socket, event, data, at) => {
      if (who !== agent || seen.has(socket) || !match(event, data)) return;
      seen.set(socket, at);
      if (seen.size === agent.sockets.length) resolveAll();
    };
    waiters.add(waiter);
    const sent = now();
    const response = await send();
    const answered = now();
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no push within 30 s')), 30_000).unref());
    try {
      await Promise.race([done, timeout]);
    } finally {
      waiters.delete(waiter);
    }
    const times = [...seen.values()];
    return { response, httpMs: answered - sent, firstMs: Math.min(...times) - sent, lastMs: Math.max(...times) - sent };
  }

  // crm must know each agent (identity's events) before a contact can be assigned to them.
  const contacts = [];
  const newContact = async () =>
    ok(await api(base, 'POST', '/v1/contacts', { firstName: 'Bench', lastName: `Lead ${contacts.length}` }, token), 'contact').id;
  for (const agent of agents) {
    await until(async () => {
      const contactId = await newContact();
      const assigned = await api(base, 'PATCH', `/v1/contacts/${contactId}/assign`, { ownerId: agent.id, reason: 'bench' }, token);
      return assigned.status === 200;
    }, `crm knows agent ${agent.id}`);
  }
  // Let the notifications of those first assignments arrive, then mark them read.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  for (const agent of agents) ok(await api(base, 'POST', '/v1/notifications/read-all', {}, agent.token), 'read-all');

  const assignSamples = { http: [], first: [], last: [] };
  const readSamples = { http: [], first: [], last: [] };
  for (let r = 0; r < o.warmup + o.requests; r += 1) {
    const agent = agents[r % agents.length];
    const contactId = await newContact();
    const assign = await measure(
      agent,
      (event, data) => event === 'notification.created' && data?.data?.contactId === contactId,
      async () => ok(await api(base, 'PATCH', `/v1/contacts/${contactId}/assign`, { ownerId: agent.id, reason: 'bench' }, token), 'assign'),
    );
    const list = ok(await api(base, 'GET', '/v1/notifications?limit=5', undefined, agent.token), 'list');
    const notification = list.items.find((item) => item.data.contactId === contactId);
    const read = await measure(
      agent,
      (event, data) => event === 'unread_count.changed' && data?.count === 0,
      async () => ok(await api(base, 'POST', `/v1/notifications/${notification.id}/read`, {}, agent.token), 'read'),
    );
    if (r < o.warmup) continue;
    for (const [samples, result] of [
      [assignSamples, assign],
      [readSamples, read],
    ]) {
      samples.http.push(result.httpMs);
      samples.first.push(result.firstMs);
      samples.last.push(result.lastMs);
    }
  }

  // The channel alone: a push published on core NATS as the notifications service does → the agent's sockets.
  const { connect: natsConnect } = require('nats');
  const nats = await natsConnect({ servers: env.NATS_URL.split(',') });
  onCleanup('close nats', () => nats.close());
  const pushSubject = `${env.NATS_SUBJECT_PREFIX}notifications.realtime.push`;
  const pushSamples = { first: [], last: [] };
  for (let r = 0; r < o.warmup + o.requests; r += 1) {
    const agent = agents[r % agents.length];
    const marker = `${r}-${randomBytes(4).toString('hex')}`;
    const pushed = await measure(
      agent,
      (event, data) => event === 'bench.marker' && data?.marker === marker,
      async () => {
        nats.publish(
          pushSubject,
          new TextEncoder().encode(
            JSON.stringify({ orgId: owner.organization.id, userId: agent.id, event: 'bench.marker', data: { marker } }),
          ),
        );
        await nats.flush();
      },
    );
    if (r < o.warmup) continue;
    pushSamples.first.push(pushed.firstMs);
    pushSamples.last.push(pushed.lastMs);
  }

  const summary = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { p50Ms: round(percentile(sorted, 50), 1), p95Ms: round(percentile(sorted, 95), 1), maxMs: round(sorted[sorted.length - 1], 1) };
  };
  const results = [
    { case: 'assign → notification.created, first socket of the agent', ...summary(assignSamples.first) },
    { case: `assign → notification.created, all ${o.sockets / o.agents} sockets of the agent`, ...summary(assignSamples.last) },
    { case: 'assign: HTTP answer (for reference)', ...summary(assignSamples.http) },
    { case: 'read → unread_count.changed, first socket', ...summary(readSamples.first) },
    { case: `read → unread_count.changed, all ${o.sockets / o.agents} sockets`, ...summary(readSamples.last) },
    { case: 'read: HTTP answer (for reference)', ...summary(readSamples.http) },
    { case: 'NATS push → first socket of the agent (the channel alone)', ...summary(pushSamples.first) },
    { case: `NATS push → all ${o.sockets / o.agents} sockets of the agent`, ...summary(pushSamples.last) },
  ];
  for (const row of results) log(`${row.case}: p50 ${row.p50Ms} ms, p95 ${row.p95Ms} ms, max ${row.maxMs} ms`);

  const machine = machineInfo(ROOT);
  const output = {
    benchmark: 'notifications-realtime',
    at: new Date().toISOString(),
    machine,
    loadAverage: os.loadavg(),
    options: o,
    connectMs: round(connectMs, 0),
    results,
  };
  const file = path.join(ROOT, 'bench', 'results', `notifications-realtime-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);

  const command = `node bench/notifications/realtime-latency.mjs --sockets ${o.sockets} --agents ${o.agents} --requests ${o.requests}`;
  const table = [
    '| case | p50 ms | p95 ms | max ms |',
    '|---|---|---|---|',
    ...results.map((row) => `| ${row.case} | ${row.p50Ms} | ${row.p95Ms} | ${row.maxMs} |`),
  ].join('\n');
  const body = `## Realtime channel: request → socket latency (issue 14, ADR 0035)

\`${command}\` on ${machine.nproc} cores (${machine.cpuModel}), ${output.at.slice(0, 10)}, load average
${os
  .loadavg()
  .map((value) => value.toFixed(1))
  .join(' / ')} at the end; compiled apps
(\`NODE_ENV=production\`), one gateway, the local Kafka mock broker. ${o.sockets} Socket.IO connections
(WebSocket) spread over ${o.agents} agents (${o.sockets / o.agents} each), connected in ${round(connectMs / 1000, 1)} s;
${o.requests} requests one at a time after ${o.warmup} warm-up rounds. Latency = receipt at the socket minus the moment
the request was sent (one clock); every figure in \`${path.relative(ROOT, file)}\`.

${table}

An assignment travels crm → outbox → Kafka → notifications' trigger (notification committed) → outbox →
Kafka → \`notifications.realtime\` consumer → core NATS \`notifications.realtime.push\` → gateway → sockets:
two outbox relays and two Kafka consumers. A read is one of each. Both request figures are mostly the
Kafka hops on the local mock broker, which holds a fetch for the consumer's whole \`maxWaitTimeInMs\` even when
an event arrives: the two groups on this path (\`notifications.triggers\`, \`notifications.realtime\`) ask
for 100 ms (\`PERSON_FACING_FETCH_WAIT_MS\`), the other groups keep 500 ms. (Before that, on 2026-12-07
under load average 7: p50 490 ms, p95 998 ms for an assignment.) A real Kafka broker answers a fetch as
soon as an event arrives.
The channel itself is the last two rows: a push published on core NATS by this process, as the notifications
service publishes it, until the agent's sockets receive it.`;
  if (o.docs) writeDocSection(path.join(ROOT, 'docs', 'performance.md'), 'realtime-latency', body, `\`${command}\``);
  process.stdout.write(`${table}\n`);
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
