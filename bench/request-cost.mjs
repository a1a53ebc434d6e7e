#!/usr/bin/env node
/**
 * Per-request cost of the read path `GET /v1/users/me` (gateway → NATS → identity → Postgres)
 * beside the hand-written chain doing the same work (Fastify → NATS → responder → Postgres), per
 * process, as a figure that does not depend on how busy the machine is:
 *
 *   --tool callgrind  (default) every Node process of both chains runs under
 *                     `valgrind --tool=callgrind --instr-atstart=no`; after a warm-up the
 *                     instruction counters are zeroed, exactly N requests are sent, and the
 *                     counters dumped (`callgrind_control`). Instructions per request are
 *                     repeatable whatever else the machine is doing. The processes' background
 *                     work (timers, pollers) is measured in an idle window of the same run and
 *                     subtracted, since under valgrind a window lasts ~50× longer than natively.
 *   --tool cpu        the processes run natively; CPU time (utime + stime from /proc) per request
 *                     of each process of the chain, nats-server, redis-server and the Postgres
 *                     backends of each pool, for N requests. Faster, but CPU time per request
 *                     still moves with the machine's load (caches, frequency).
 *
 * Both chains answer the same request (the same `Authorization` header is sent to both; the
 * hand-written chain ignores it) over the same keep-alive connections, `--concurrency` in flight.
 * The ratio chain / read path of the summed per-request cost is the throughput ratio a CPU-bound
 * machine would show (issue 2's target: read path ≥ 95 % of the hand-written chain).
 *
 *   node bench/request-cost.mjs [--tool callgrind|cpu] [--requests N] [--warmup N]
 *        [--concurrency C] [--rounds R] [--no-build] [--no-docs]
 *
 * Writes `bench/results/request-cost-<tool>-<timestamp>.json` and the request-cost section of
 * docs/performance.md. See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApps, mainOf } from './lib/build.mjs';
import { installSignalHandlers, onCleanup, runCleanups } from './lib/cleanup.mjs';
import { benchServiceEnv } from './lib/service-chain.mjs';
import { cpuSnapshot, cpuUsage } from './lib/cpu.mjs';
import { summarizeCpuProfile } from './lib/cpuprofile.mjs';
import { writeDocSection } from './lib/docs.mjs';
import { driveRequests, keepAliveAgent } from './lib/http-load.mjs';
import { identityUserMeStatement } from './lib/identity-sql.mjs';
import { backendPids, infraVersions, prepareBenchInfra } from './lib/infra.mjs';
import { machineInfo } from './lib/machine.mjs';
import { assertPortFree, ipcRequest, startNode, stopProcess, waitHttpOk } from './lib/processes.mjs';
import { round } from './lib/stats.mjs';
import { expectSameUser, seedUser } from './read-path.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');

export const REQUEST_COST_DEFAULTS = Object.freeze({
  tool: 'callgrind',
  database: 'kh_bench_cost',
  prefix: 'benchcost.',
  redisKeyPrefix: 'kh-bench-cost:',
  requests: 2000,
  warmup: 3000,
  concurrency: 16,
  rounds: 1,
  windows: 3,
  idleSeconds: 5,
  idleWindows: 3,
  settleSeconds: 5,
  ports: {
    gateway: Number(process.env.BENCH_COST_GATEWAY_PORT ?? 3130),
    identity: Number(process.env.BENCH_COST_IDENTITY_PORT ?? 3131),
    chain: Number(process.env.BENCH_COST_CHAIN_PORT ?? 3140),
  },
  build: true,
  writeDocs: true,
  profile: false,
  variants: ['gateway', 'chain'],
  holdRelayLock: true,
  // the hand-written chain's NATS connection with `noAsyncTraces` (its request() then builds no
  // call-site stack): a stricter reference than plain `nc.request()`
  strictChain: false,
});

const VARIANTS = {
  gateway: { label: 'read path: gateway → NATS → identity → Postgres', processes: ['identity', 'gateway'] },
  chain: { label: 'hand-written chain: Fastify → NATS → responder → Postgres', processes: ['responder', 'http-server'] },
};
const BACKEND_GROUPS = { identity: 'postgres (identity pool)', 'bench-responder': 'postgres (responder pool)' };
const CPU_GROUPS = {
  gateway: ['gateway', 'identity', 'postgres (identity pool)', 'nats-server (shared)', 'redis-server (shared)'],
  chain: ['http-server', 'responder', 'postgres (responder pool)', 'nats-server (shared)', 'redis-server (shared)'],
};

const GENERATED_BY = '`node bench/request-cost.mjs` (bench/request-cost.mjs)';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runRequestCost(overrides = {}, log = (line) => process.stderr.write(`[request-cost] ${line}\n`)) {
  const o = { ...REQUEST_COST_DEFAULTS, ...overrides, ports: { ...REQUEST_COST_DEFAULTS.ports, ...overrides.ports } };
  if (o.tool !== 'callgrind' && o.tool !== 'cpu') throw new Error(`--tool must be callgrind or cpu, not ${o.tool}`);
  const startedAt = new Date();
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  for (const [what, port] of Object.entries(o.ports)) await assertPortFree(port, what);
  const machine = machineInfo(ROOT);
  const valgrind = o.tool === 'callgrind' ? execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim() : null;
  log(`machine: ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}, tool ${o.tool}${valgrind ? ` (${valgrind})` : ''}`);

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-cost-'));
  let keepLogs = true;
  onCleanup('remove work dir', () => {
    if (keepLogs) log(`process logs kept in ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  });

  const buildDir = path.resolve(ROOT, o.buildDir ?? path.join(BENCH_DIR, '.build'));
  const mains = { gateway: mainOf(buildDir, 'gateway'), identity: mainOf(buildDir, 'identity') };
  if (o.build || !fs.existsSync(mains.gateway) || !fs.existsSync(mains.identity)) buildApps(ROOT, ['identity', 'gateway'], buildDir, log);
  const statement = identityUserMeStatement(ROOT, path.join(buildDir, 'identity'));

  if (o.tag) {
    // a second run at the same time (another build, say): its own database, subjects, keys
    Object.assign(o, {
      database: `${o.database}_${o.tag}`,
      prefix: `${o.prefix}${o.tag}.`,
      redisKeyPrefix: `${o.redisKeyPrefix}${o.tag}:`,
    });
  }
  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: o.redisKeyPrefix, log });
  const versions = await infraVersions(ROOT, infraEnv);
  const dbUrl = `postgres://keyhouse_identity@${infraEnv.PGHOST}:${infraEnv.PGPORT}/${o.database}`;
  const appEnv = benchServiceEnv(infraEnv, 'bench', {
    IDENTITY_DATABASE_URL: dbUrl,
    NATS_SUBJECT_PREFIX: o.prefix,
    KAFKA_TOPIC_PREFIX: o.prefix,
    REDIS_KEY_PREFIX: o.redisKeyPrefix,
    HEALTH_PORT: String(o.ports.identity),
    PORT: String(o.ports.gateway),
    // the internal metrics listener on any free port, not 9464 (taken by a running `npm start`)
    METRICS_PORT: '0',
    // under valgrind a request takes ~50× longer: keep the gateway from answering 504
    NATS_REQUEST_TIMEOUT_MS: '60000',
  });
  const gatewayBase = `http://127.0.0.1:${o.ports.gateway}`;

  // 1. the user: registered through the real (native) services, which then stop; its token stays
  //    valid for the instrumented ones (same database, same signing key)
  const seed = await (async () => {
    const identity = startNode('seed-identity', mains.identity, { env: appEnv, cwd: ROOT, logDir: workDir });
    await waitHttpOk(`http://127.0.0.1:${o.ports.identity}/health/ready`, identity);
    const gateway = startNode('seed-gateway', mains.gateway, { env: appEnv, cwd: ROOT, logDir: workDir });
    await waitHttpOk(`${gatewayBase}/health/ready`, gateway);
    const user = await seedUser(gatewayBase);
    await stopProcess(gateway);
    await stopProcess(identity);
    return user;
  })();
  log(`seeded user ${seed.userId} in organization ${seed.orgId}`);
  const headers = { Authorization: `Bearer ${seed.accessToken}` };

  // identity's outbox relay polls its table 5 times a second whether or not anything happens
  // (background work, not per-request cost; GET /v1/users/me writes no event): holding the relay's
  // leader lock makes the measured identity a follower that only retries the lock every 2 s.
  // Under valgrind a request lasts ~50× longer, so that polling would otherwise outweigh the
  // request itself. The background of both chains is still measured and reported (`idle`).
  if (o.holdRelayLock) {
    const { Client } = createRequire(path.join(ROOT, 'package.json'))('pg');
    const lock = new Client({ connectionString: dbUrl, application_name: 'bench-relay-lock' });
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock(hashtext($1))', ['identity.outbox_relay']);
    onCleanup('release the relay lock', () => lock.end().catch(() => {}));
    log("holding identity's outbox relay lock (the measured identity does not poll its outbox)");
  }
  const chainEnv = {
    ...process.env,
    NATS_URL: infraEnv.NATS_URL,
    PORT: String(o.ports.chain),
    BENCH_SUBJECT: `${o.prefix}handwritten.users.me`,
    BENCH_DATABASE_URL: dbUrl,
    BENCH_PG_OPTIONS: '-c search_path=identity,public',
    BENCH_STATEMENT_NAME: statement.name,
    BENCH_SQL: statement.sql,
    BENCH_USER_ID: seed.userId,
    BENCH_ORG_ID: seed.orgId,
    BENCH_NATS_TIMEOUT_MS: appEnv.NATS_REQUEST_TIMEOUT_MS,
    BENCH_NATS_NO_ASYNC_TRACES: o.strictChain ? '1' : '0',
  };
  delete chainEnv.NODE_OPTIONS;

  const scripts = {
    identity: { script: mains.identity, env: appEnv, ready: `http://127.0.0.1:${o.ports.identity}/health/ready` },
    gateway: { script: mains.gateway, env: appEnv, ready: `${gatewayBase}/health/ready` },
    responder: { script: path.join(BENCH_DIR, 'hand-written-chain', 'responder.mjs'), env: chainEnv, ready: null },
    'http-server': {
      script: path.join(BENCH_DIR, 'hand-written-chain', 'http-server.mjs'),
      env: chainEnv,
      ready: `http://127.0.0.1:${o.ports.chain}/health`,
    },
  };
  const urls = { gateway: `${gatewayBase}/v1/users/me`, chain: `http://127.0.0.1:${o.ports.chain}/v1/users/me` };

  let dumpCount = 0; // callgrind dumps kept (--keep-dumps)
  const runs = [];
  for (let roundNo = 1; roundNo <= o.rounds; roundNo++) {
    for (const variant of o.variants) runs.push({ round: roundNo, ...(await measureVariant(variant)) });
  }

  // per variant: the median round by total cost; the ratio per round, then its median
  const summary = {};
  for (const variant of o.variants) {
    const list = runs.filter((x) => x.variant === variant).sort((a, b) => a.perRequest.total - b.perRequest.total);
    summary[variant] = list[Math.floor((list.length - 1) / 2)];
  }
  const perRound = [];
  for (let roundNo = 1; roundNo <= (o.variants.length === 2 ? o.rounds : 0); roundNo++) {
    const [g, h] = ['gateway', 'chain'].map((v) => runs.find((x) => x.variant === v && x.round === roundNo));
    perRound.push({
      round: roundNo,
      chainVsReadPath: round(h.perRequest.total / g.perRequest.total, 4),
      ...(o.tool === 'cpu' ? { chainVsReadPathWholeChain: round(h.cpu.msPerRequest.total / g.cpu.msPerRequest.total, 4) } : {}),
    });
  }
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return round(sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2, 4);
  };
  const ratio = perRound.length ? median(perRound.map((x) => x.chainVsReadPath)) : null;
  const result = {
    benchmark: 'request-cost',
    endpoint: 'GET /v1/users/me',
    tool: o.tool,
    unit: o.tool === 'callgrind' ? 'instructions' : 'CPU ms',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: o.command ?? `node bench/request-cost.mjs --tool ${o.tool}`,
    options: o,
    machine: {
      ...machine,
      valgrind,
      postgres: versions.postgres,
      natsServer: versions.nats,
      loadAverage: os.loadavg().map((x) => round(x, 2)),
    },
    statement,
    variants: Object.fromEntries(Object.entries(VARIANTS).map(([k, v]) => [k, v.label])),
    summary,
    ratio: {
      description:
        'hand-written chain cost / read-path cost per request, the Node processes of each chain (= read-path throughput / chain throughput when CPU-bound)',
      chainVsReadPath: ratio,
      range: perRound.length
        ? [Math.min(...perRound.map((x) => x.chainVsReadPath)), Math.max(...perRound.map((x) => x.chainVsReadPath))]
        : null,
      ...(o.tool === 'cpu' ? { chainVsReadPathWholeChain: median(perRound.map((x) => x.chainVsReadPathWholeChain)) } : {}),
      perRound,
    },
    target: { threshold: 0.95, met: ratio !== null && ratio >= 0.95 },
    runs,
  };
  const resultsDir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const resultFile = path.join(resultsDir, `request-cost-${o.tool}-${stamp}.json`);
  fs.writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  log(`results written to ${path.relative(ROOT, resultFile)}`);
  if (o.writeDocs && ratio !== null) {
    writeDocSection(
      path.join(ROOT, 'docs', 'performance.md'),
      `request-cost-${o.tool}`,
      renderDocs(result, path.relative(ROOT, resultFile)),
      GENERATED_BY,
    );
    log(`docs/performance.md updated (request-cost-${o.tool} section)`);
  }
  keepLogs = false;
  return { result, resultFile };

  // ---------------------------------------------------------------------------------------------

  async function start(name) {
    const { script, env, ready } = scripts[name];
    const wrapper =
      o.tool === 'callgrind'
        ? [
            'valgrind',
            '--tool=callgrind',
            '--instr-atstart=no',
            `--callgrind-out-file=${path.join(workDir, `${name}.%p.out`)}`,
            '--dump-line=no',
          ]
        : [];
    const profiled = o.profile ? { nodeArgs: ['--require', path.join(BENCH_DIR, 'lib', 'cpu-profiler.cjs')], ipc: true } : {};
    const handle = startNode(name, script, { env, cwd: ROOT, logDir: workDir, wrapper, ...profiled });
    if (ready) await waitHttpOk(ready, handle, { timeoutMs: o.tool === 'callgrind' ? 900_000 : 90_000 });
    else await waitForLog(handle, 'responder ready', o.tool === 'callgrind' ? 600_000 : 30_000);
    return handle;
  }

  async function measureVariant(variant) {
    const names = VARIANTS[variant].processes;
    const callgrind = o.tool === 'callgrind';
    log(`${variant}: starting ${names.join(' and ')}${callgrind ? ' under callgrind' : ''}`);
    const handles = {};
    for (const name of names) handles[name] = await start(name);
    try {
      const agent = keepAliveAgent(o.concurrency);
      await expectSameUser(urls[variant], headers, seed);
      // warm-up with instrumentation off (valgrind runs ~10× faster so), then a short one with it on
      log(`${variant}: warm-up ${o.warmup} requests at concurrency ${o.concurrency}`);
      assertClean(
        await driveRequests({ url: urls[variant], headers, total: o.warmup, concurrency: o.concurrency, agent }),
        `${variant} warm-up`,
      );
      if (callgrind) {
        for (const h of Object.values(handles)) callgrindControl('-i', 'on', h.pid);
        const n = Math.min(o.warmup, 500);
        assertClean(
          await driveRequests({ url: urls[variant], headers, total: n, concurrency: o.concurrency, agent }),
          `${variant} instrumented warm-up`,
        );
      }

      const roles = new Map(Object.values(handles).map((h) => [h.pid, h.name]));
      for (const [pid, app] of await backendPids(ROOT, infraEnv, o.database)) roles.set(pid, BACKEND_GROUPS[app] ?? `postgres (${app})`);
      const profiles = {};
      const windows = [];
      for (let w = 1; w <= o.windows; w++) {
        log(`${variant}: window ${w}/${o.windows}, ${o.requests} requests`);
        if (callgrind) for (const h of Object.values(handles)) callgrindControl('-z', null, h.pid);
        const profiling = o.profile && w === 1;
        if (profiling) for (const h of Object.values(handles)) await ipcRequest(h, { type: 'profile-start', intervalUs: 200 });
        const before = cpuSnapshot();
        const run = await driveRequests({ url: urls[variant], headers, total: o.requests, concurrency: o.concurrency, agent });
        const after = cpuSnapshot();
        const counts = callgrind
          ? Object.fromEntries(Object.entries(handles).map(([name, h]) => [name, callgrindDump(name, h.pid)]))
          : null;
        if (profiling) await stopProfiles(handles, profiles, '');
        assertClean(run, `${variant} window ${w}`);
        const usage = cpuUsage(before, after, roles);
        const raw = {};
        for (const name of names) raw[name] = callgrind ? counts[name] : round((usage.coresByGroup[name] ?? 0) * usage.seconds * 1000, 3);
        windows.push({ seconds: round(run.seconds, 2), raw, usage });
      }
      agent.destroy();

      // background work of the processes alone (timers, pollers, consumers), per second: several
      // idle windows after a pause, the quietest one per process (bursts such as a GC or a periodic
      // resync land in some windows only)
      await sleep(o.settleSeconds * 1000);
      const idleWindows = [];
      for (let w = 1; w <= o.idleWindows; w++) {
        const idleBefore = cpuSnapshot();
        if (callgrind) for (const h of Object.values(handles)) callgrindControl('-z', null, h.pid);
        const profiling = o.profile && w === 1;
        if (profiling) for (const h of Object.values(handles)) await ipcRequest(h, { type: 'profile-start', intervalUs: 200 });
        await sleep(o.idleSeconds * 1000);
        const idleCounts = callgrind
          ? Object.fromEntries(Object.entries(handles).map(([name, h]) => [name, callgrindDump(name, h.pid)]))
          : null;
        if (profiling) await stopProfiles(handles, profiles, '-idle');
        const idleUsage = cpuUsage(idleBefore, cpuSnapshot(), roles);
        const perSecond = {};
        for (const name of names) {
          perSecond[name] = idleCounts
            ? Math.round(idleCounts[name] / idleUsage.seconds)
            : round((idleUsage.coresByGroup[name] ?? 0) * 1000, 3);
        }
        idleWindows.push({ seconds: idleUsage.seconds, perSecond });
      }
      const idle = {
        unit: callgrind ? 'instructions per second' : 'CPU ms per second',
        perSecond: Object.fromEntries(names.map((name) => [name, Math.min(...idleWindows.map((x) => x.perSecond[name]))])),
        windows: idleWindows,
      };

      // per request: the least disturbed window (lowest total), minus the background it spanned
      const total = (x) => names.reduce((sum, name) => sum + x.raw[name], 0);
      const best = windows.reduce((a, b) => (total(b) < total(a) ? b : a));
      const perRequest = {};
      for (const name of names) {
        const net = (best.raw[name] - idle.perSecond[name] * best.seconds) / o.requests;
        perRequest[name] = callgrind ? Math.round(net) : round(net, 4);
      }
      perRequest.total = names.reduce((sum, name) => sum + perRequest[name], 0);
      if (!callgrind) perRequest.total = round(perRequest.total, 4);
      const cpuMs = {};
      let cpuTotal = 0;
      for (const group of CPU_GROUPS[variant]) {
        const ms = ((best.usage.coresByGroup[group] ?? 0) * best.usage.seconds * 1000) / o.requests;
        cpuMs[group] = round(ms, 4);
        cpuTotal += ms;
      }
      cpuMs.total = round(cpuTotal, 4);
      log(
        `${variant}: ${Object.entries(perRequest)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} ${callgrind ? 'instructions' : 'CPU ms'}/request ` +
          `(windows raw totals per request: ${windows.map((x) => (callgrind ? Math.round(total(x) / o.requests) : round(total(x) / o.requests, 4))).join(', ')}; other processes ${best.usage.otherCores} cores)`,
      );
      return {
        variant,
        requests: o.requests,
        concurrency: o.concurrency,
        seconds: best.seconds,
        perRequest,
        raw: { unit: callgrind ? 'instructions' : 'CPU ms', ...best.raw },
        windows: windows.map(({ seconds, raw }) => ({
          seconds,
          raw,
          perRequestTotal: callgrind ? Math.round(total({ raw }) / o.requests) : round(total({ raw }) / o.requests, 4),
        })),
        idle,
        cpu: { ...best.usage, msPerRequest: cpuMs },
        ...(o.profile
          ? { profiles, note: 'V8 sampling profiler attached during the first window: its costs include the profiler overhead' }
          : {}),
      };
    } finally {
      for (const name of [...names].reverse()) await stopProcess(handles[name], 30_000);
    }
  }

  async function stopProfiles(handles, profiles, suffix) {
    const dir = path.join(BENCH_DIR, '.profiles');
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, h] of Object.entries(handles)) {
      // one file per round: cost-<stamp>-<name>[-idle].cpuprofile, then …-2, -3
      let file = path.join(dir, `cost-${stamp}-${name}${suffix}.cpuprofile`);
      for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, `cost-${stamp}-${name}${suffix}-${n}.cpuprofile`);
      await ipcRequest(h, { type: 'profile-stop', file });
      const root = name === 'gateway' || name === 'identity' ? path.join(buildDir, name) : ROOT;
      profiles[`${name}${suffix}`] = { file: path.relative(ROOT, file), ...summarizeCpuProfile(file, { root, top: 30 }) };
      log(`profile of ${name}${suffix}: ${path.relative(ROOT, file)}`);
    }
  }

  function callgrindDump(name, pid) {
    const prefix = `${name}.${pid}.out.`;
    const existing = new Set(fs.readdirSync(workDir).filter((f) => f.startsWith(prefix)));
    callgrindControl('-d', null, pid);
    const created = fs.readdirSync(workDir).filter((f) => f.startsWith(prefix) && !existing.has(f));
    if (created.length !== 1)
      throw new Error(`callgrind dump of ${name} (${pid}): expected one new file, found ${created.join(', ') || 'none'}`);
    const file = path.join(workDir, created[0]);
    const summary = /^summary:\s*(\d+)/m.exec(fs.readFileSync(file, 'utf8'));
    if (o.keepDumps) {
      const kept = path.join(BENCH_DIR, '.profiles', `callgrind-${stamp}-${name}-${++dumpCount}.out`);
      fs.mkdirSync(path.dirname(kept), { recursive: true });
      fs.renameSync(file, kept);
      log(`callgrind dump kept: ${path.relative(ROOT, kept)} (callgrind_annotate --inclusive=yes ${path.relative(ROOT, kept)})`);
    } else fs.rmSync(file);
    if (!summary) throw new Error(`no summary line in ${file}`);
    return Number(summary[1]);
  }
}

function callgrindControl(flag, value, pid) {
  const args = value === null ? [flag, String(pid)] : [flag, value, String(pid)];
  execFileSync('callgrind_control', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

async function waitForLog(handle, text, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.exited !== null) throw new Error(`${handle.name} exited (${handle.exited}); see ${handle.logFile}`);
    if (fs.existsSync(handle.logFile) && fs.readFileSync(handle.logFile, 'utf8').includes(text)) return;
    await sleep(250);
  }
  throw new Error(`${handle.name} did not print "${text}" within ${timeoutMs / 1000} s; see ${handle.logFile}`);
}

function assertClean(run, what) {
  if (run.failed > 0) throw new Error(`${what}: ${run.failed} of ${run.requests} requests failed (first: ${run.firstError})`);
}

// -----------------------------------------------------------------------------------------------
// docs/performance.md section

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function renderDocs(r, resultFile) {
  const o = r.options;
  const m = r.machine;
  const callgrind = r.tool === 'callgrind';
  const unit = callgrind ? 'instructions' : 'CPU ms';
  const value = (v) => (callgrind ? fmt(v) : fmt(v, 3));
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const lines = [];
  lines.push(`## Read path: cost per request (${callgrind ? 'instructions, callgrind' : 'CPU time, /proc'})`, '');
  lines.push(
    callgrind
      ? 'Instructions executed per request by each Node process of the two chains, counted by `valgrind --tool=callgrind` ' +
          '(user space only; the kernel time of socket writes, the same number of writes in both chains, is not in it). ' +
          `After a warm-up of ${fmt(o.warmup)} requests (instrumentation off, then 500 with it on), ${o.windows ?? 1} windows of ` +
          `${fmt(o.requests)} requests each are counted (${o.concurrency} in flight over keep-alive connections, the same ` +
          '`Authorization` header to both chains; counters zeroed and dumped around each window with `callgrind_control`), and ' +
          "the window with the lowest total is kept. Each process's background work (timers, pollers, Kafka consumers) is " +
          `counted in ${o.idleWindows ?? 1} idle windows of ${o.idleSeconds} s after the run; the quietest rate × the kept window's ` +
          'duration is subtracted ("net"); "raw" keeps it. ' +
          'Postgres, nats-server and redis-server are not instrumented (their CPU per request is in the `--tool cpu` section).'
      : `CPU time (utime + stime from \`/proc\`) per request of each process: ${o.windows ?? 1} windows of ${fmt(o.requests)} requests ` +
          `after a warm-up of ${fmt(o.warmup)} (${o.concurrency} in flight over keep-alive connections), the lowest kept, each ` +
          "process's idle background subtracted. " +
          "CPU time per request still moves with the machine's load; the callgrind section does not.",
    '',
  );
  lines.push(
    `| variant | ${unit} / request, net (Node processes) | by process, net | raw (with background) | background while idle, per second |`,
    '|---|---:|---|---:|---|',
  );
  for (const key of ['gateway', 'chain']) {
    const x = r.summary[key];
    const parts = Object.entries(x.perRequest)
      .filter(([k]) => k !== 'total')
      .map(([k, v]) => `${k} ${value(v)}`);
    const names = Object.keys(x.perRequest).filter((k) => k !== 'total');
    const raw = names.reduce((sum, k) => sum + x.raw[k], 0) / x.requests;
    const idle = names.map((k) => `${k} ${callgrind ? fmt(x.idle.perSecond[k]) : fmt(x.idle.perSecond[k], 0) + ' ms'}`).join(', ');
    lines.push(`| ${r.variants[key]} | ${value(x.perRequest.total)} | ${parts.join(', ')} | ${value(raw)} | ${idle} |`);
  }
  if (!callgrind) {
    lines.push('', '| variant | CPU ms / request, whole chain (background included) | by process |', '|---|---:|---|');
    for (const key of ['gateway', 'chain']) {
      const x = r.summary[key].cpu.msPerRequest;
      const parts = Object.entries(x)
        .filter(([k]) => k !== 'total')
        .map(([k, v]) => `${k} ${fmt(v, 3)}`);
      lines.push(`| ${r.variants[key]} | ${fmt(x.total, 3)} | ${parts.join(', ')} |`);
    }
  }
  const rr = r.ratio;
  const rawRatios = (r.runs ?? [])
    .filter((x) => x.variant === 'gateway')
    .map((g) => {
      const h = r.runs.find((x) => x.variant === 'chain' && x.round === g.round);
      const sum = (run) =>
        Object.keys(run.perRequest)
          .filter((k) => k !== 'total')
          .reduce((a, k) => a + run.raw[k], 0);
      return h ? sum(h) / sum(g) : null;
    })
    .filter((x) => x !== null);
  const rangeText = o.rounds > 1 ? ` (per round: ${rr.perRound.map((x) => pct(x.chainVsReadPath)).join(', ')})` : '';
  lines.push(
    '',
    `**Hand-written chain cost / read-path cost per request (Node processes, net): ${pct(rr.chainVsReadPath)}**${rangeText}` +
      (rawRatios.length ? `; with the background work left in (raw): ${rawRatios.map(pct).join(', ')}` : '') +
      (rr.chainVsReadPathWholeChain ? `; whole chain with Postgres, NATS and Redis: ${pct(rr.chainVsReadPathWholeChain)}` : '') +
      ` — the read path's throughput relative to the hand-written chain on a CPU-bound machine; target ≥ 95 %: ${r.target.met ? 'met' : 'not met'}` +
      (r.target.met && rr.range && rr.range[0] < 0.95 ? ' by the median, not by every round' : '') +
      '.',
    '',
    `- Command: \`${r.command}\` (${o.rounds} round${o.rounds > 1 ? 's, variants alternating; the table shows the median round of each variant' : ''}).` +
      (o.holdRelayLock
        ? " The bench holds identity's outbox-relay leader lock while measuring, so the relay does not poll (5 queries/s)."
        : '') +
      (o.strictChain ? ' Hand-written chain with `noAsyncTraces` (stricter reference).' : ''),
    `- Machine: ${m.nproc} × ${m.cpuModel}, ${m.kernel}; Node ${m.node}; ${callgrind ? `${m.valgrind}; ` : ''}PostgreSQL ${m.postgres}; ` +
      `nats-server ${m.natsServer}; commit ${m.gitCommit}${m.gitDirty ? ' plus uncommitted changes' : ''}; load average at the end ${m.loadAverage.join(', ')}.`,
    `- Date: ${r.startedAt}. All figures: \`${resultFile}\`.`,
  );
  return lines.join('\n');
}

// -----------------------------------------------------------------------------------------------

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  installSignalHandlers();
  const { values } = parseArgs({
    options: {
      tool: { type: 'string' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      'idle-seconds': { type: 'string' },
      windows: { type: 'string' },
      'no-build': { type: 'boolean' },
      'no-docs': { type: 'boolean' },
      profile: { type: 'boolean' },
      'build-dir': { type: 'string' },
      tag: { type: 'string' },
      only: { type: 'string' },
      'relay-polling': { type: 'boolean' },
      'strict-chain': { type: 'boolean' },
      'docs-from': { type: 'string' },
      'keep-dumps': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: node bench/request-cost.mjs [--tool callgrind|cpu] [--requests 2000] [--warmup 3000] [--concurrency 16] [--rounds 1] [--windows 3] [--idle-seconds 5] [--no-build] [--no-docs] [--profile (with --tool cpu: V8 CPU profiles of the measured window, docs untouched)] [--build-dir <dir> (compile there, e.g. to compare two builds)] [--only gateway|chain] [--strict-chain (the NATS connection of the chain with noAsyncTraces)] [--docs-from <result.json> (only rewrite its docs section)] [--keep-dumps (callgrind dumps to bench/.profiles, for callgrind_annotate)] [--relay-polling (let the outbox relay of identity poll during the measurement)] [--tag <x> (own database, subjects and keys, to run beside another run; set the BENCH_COST_*_PORT variables too)]\n',
    );
    process.exit(0);
  }
  if (values['docs-from']) {
    const file = path.resolve(values['docs-from']);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    writeDocSection(
      path.join(ROOT, 'docs', 'performance.md'),
      `request-cost-${saved.tool}`,
      renderDocs(saved, path.relative(ROOT, file)),
      GENERATED_BY,
    );
    process.stdout.write(`docs/performance.md: request-cost-${saved.tool} section rewritten from ${path.relative(ROOT, file)}\n`);
    process.exit(0);
  }
  const o = {};
  const int = (name, text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  if (values.tool) o.tool = values.tool;
  if (values.requests) o.requests = int('requests', values.requests);
  if (values.warmup) o.warmup = int('warmup', values.warmup);
  if (values.concurrency) o.concurrency = int('concurrency', values.concurrency);
  if (values.rounds) o.rounds = int('rounds', values.rounds);
  if (values['idle-seconds']) o.idleSeconds = int('idle-seconds', values['idle-seconds']);
  if (values.windows) o.windows = int('windows', values.windows);
  if (values['no-build']) o.build = false;
  if (values['no-docs']) o.writeDocs = false;
  if (values['relay-polling']) o.holdRelayLock = false;
  if (values['strict-chain']) o.strictChain = true;
  if (values['keep-dumps']) o.keepDumps = true;
  if (values.only) {
    if (!VARIANTS[values.only]) throw new Error(`--only must be one of ${Object.keys(VARIANTS).join(', ')}`);
    o.variants = [values.only];
  }
  if (values['build-dir']) o.buildDir = values['build-dir'];
  if (values.tag) {
    if (!/^[a-z0-9]{1,12}$/.test(values.tag)) throw new Error('--tag must be 1-12 lower-case letters or digits');
    o.tag = values.tag;
  }
  if (values.profile) {
    if (o.tool === 'callgrind' || !values.tool) throw new Error('--profile needs --tool cpu');
    Object.assign(o, { profile: true, writeDocs: false });
  }
  o.command = `node bench/request-cost.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  let failed = false;
  try {
    const { result, resultFile } = await runRequestCost(o);
    const x = result.summary;
    process.stdout.write(
      `\nrequest-cost (${result.unit} per request, ${result.tool})\n` +
        `  read path: ${JSON.stringify(x.gateway?.perRequest ?? null)}\n  hand-written chain: ${JSON.stringify(x.chain?.perRequest ?? null)}\n` +
        (result.ratio.chainVsReadPath === null
          ? ''
          : `  chain / read path: ${(result.ratio.chainVsReadPath * 100).toFixed(1)} %${result.ratio.chainVsReadPathWholeChain ? ` (whole chain ${(result.ratio.chainVsReadPathWholeChain * 100).toFixed(1)} %)` : ''}\n`) +
        `  → ${resultFile}\n`,
    );
  } catch (error) {
    failed = true;
    process.stderr.write(`[request-cost] failed: ${error?.stack ?? error}\n`);
  } finally {
    await runCleanups();
  }
  process.exit(failed ? 1 : 0);
}
