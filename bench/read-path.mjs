/**
 * Benchmark of the read path `GET /v1/users/me` (gateway → NATS → identity → Postgres) beside two
 * references measured in the same run on the same machine:
 *
 *   1. raw pg: the same named prepared statement on the same row, `pg` Pool(max 8), N async loops;
 *   2. hand-written chain: plain Fastify route → one NATS request → plain responder doing the same
 *      lookup (two Node processes + NATS + Postgres: the topology of gateway + identity).
 *
 * The HTTP variants are loaded with wrk (warm-up run, then the measured run); the variants run one
 * after another, never at the same time. Writes `bench/results/read-path-<timestamp>.json` and the
 * read-path section of `docs/performance.md`. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApps, mainOf } from './lib/build.mjs';
import { onCleanup } from './lib/cleanup.mjs';
import { benchServiceEnv } from './lib/service-chain.mjs';
import { cpuSnapshot, cpuUsage, waitForQuiet } from './lib/cpu.mjs';
import { summarizeCpuProfile } from './lib/cpuprofile.mjs';
import { writeDocSection } from './lib/docs.mjs';
import { identityUserMeStatement } from './lib/identity-sql.mjs';
import { backendPids, infraVersions, prepareBenchInfra } from './lib/infra.mjs';
import { machineInfo } from './lib/machine.mjs';
import { assertPortFree, ipcRequest, runNodeForJson, startNode, stopProcess, waitHttpOk } from './lib/processes.mjs';
import { round } from './lib/stats.mjs';
import { runWrk, wrkVersion } from './lib/wrk.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');

export const READ_PATH_DEFAULTS = Object.freeze({
  database: 'kh_bench',
  prefix: 'bench.',
  redisKeyPrefix: 'kh-bench:',
  connections: [16, 64],
  rounds: 5,
  threads: 2,
  durationSeconds: 20,
  warmupSeconds: 5,
  poolSize: 8,
  ports: {
    gateway: Number(process.env.BENCH_GATEWAY_PORT ?? 3110),
    identity: Number(process.env.BENCH_IDENTITY_PORT ?? 3111),
    chain: Number(process.env.BENCH_CHAIN_PORT ?? 3120),
  },
  build: true,
  profile: false,
  profileSeconds: 15,
  writeDocs: true,
  maxQuietWaitSeconds: 90,
  maxOtherCores: 0.25,
});

const VARIANTS = {
  gateway: 'read path: gateway → NATS → identity → Postgres',
  chain: 'hand-written chain: Fastify → NATS → responder → Postgres',
  rawPg: 'raw pg: prepared statement, Pool(8), in-process loop',
};

/** Postgres application_name of each pool → CPU accounting group. */
const BACKEND_GROUPS = {
  identity: 'postgres (identity pool)',
  'bench-responder': 'postgres (responder pool)',
  'bench-raw-pg': 'postgres (raw pg pool)',
};

/** The processes whose CPU counts as the variant's cost per request. */
const VARIANT_GROUPS = {
  gateway: ['wrk', 'gateway', 'identity', 'postgres (identity pool)', 'nats-server (shared)', 'redis-server (shared)'],
  chain: ['wrk', 'http-server', 'responder', 'postgres (responder pool)', 'nats-server (shared)', 'redis-server (shared)'],
  rawPg: ['raw pg loop', 'postgres (raw pg pool)'],
};

const TOKEN_REFRESH_MS = 10 * 60_000; // access tokens live 15 minutes

/**
 * Runs the read-path benchmark; resolves with the result object (also written to disk).
 * @param {Partial<typeof READ_PATH_DEFAULTS>} overrides
 * @param {(line: string) => void} log
 */
export async function runReadPath(overrides = {}, log = (line) => process.stderr.write(`[read-path] ${line}\n`)) {
  const o = { ...READ_PATH_DEFAULTS, ...overrides, ports: { ...READ_PATH_DEFAULTS.ports, ...overrides.ports } };
  const startedAt = new Date();
  const stamp = startedAt
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  for (const [what, port] of Object.entries(o.ports)) await assertPortFree(port, what);
  const wrk = wrkVersion();
  const machine = machineInfo(ROOT);
  log(`machine: ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}, ${wrk}`);

  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-logs-'));
  let keepLogs = true;
  onCleanup('remove logs', () => {
    if (keepLogs) log(`process logs kept in ${logDir}`);
    else fs.rmSync(logDir, { recursive: true, force: true });
  });

  // 1. the apps under test, compiled from the working tree into bench/.build
  const buildDir = path.join(BENCH_DIR, '.build');
  const mains = { gateway: mainOf(buildDir, 'gateway'), identity: mainOf(buildDir, 'identity') };
  if (o.build || !fs.existsSync(mains.gateway) || !fs.existsSync(mains.identity)) {
    buildApps(ROOT, ['identity', 'gateway'], buildDir, log);
  } else {
    log(`reusing the build in ${path.relative(ROOT, buildDir)} (--no-build)`);
  }
  const statement = identityUserMeStatement(ROOT, path.join(buildDir, 'identity'));

  // 2. infrastructure: own database, own Kafka broker, prefixed subjects/topics/keys
  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: o.redisKeyPrefix, log });
  const versions = await infraVersions(ROOT, infraEnv);
  const dbUrl = `postgres://keyhouse_identity@${infraEnv.PGHOST}:${infraEnv.PGPORT}/${o.database}`;
  const pgOptions = '-c search_path=identity,public';
  const appEnv = benchServiceEnv(infraEnv, 'bench', {
    IDENTITY_DATABASE_URL: dbUrl,
    NATS_SUBJECT_PREFIX: o.prefix,
    KAFKA_TOPIC_PREFIX: o.prefix,
    REDIS_KEY_PREFIX: o.redisKeyPrefix,
    HEALTH_PORT: String(o.ports.identity),
    PORT: String(o.ports.gateway),
    // the internal metrics listener on any free port, not 9464 (taken by a running `npm start`)
    METRICS_PORT: '0',
  });

  const roles = new Map([[process.pid, 'bench runner']]);

  const startApps = async (profiled) => {
    const extra = profiled ? { nodeArgs: ['--require', path.join(BENCH_DIR, 'lib', 'cpu-profiler.cjs')], ipc: true } : {};
    const identity = startNode(profiled ? 'identity-profiled' : 'identity', mains.identity, { env: appEnv, cwd: ROOT, logDir, ...extra });
    await waitHttpOk(`http://127.0.0.1:${o.ports.identity}/health/ready`, identity);
    const gateway = startNode(profiled ? 'gateway-profiled' : 'gateway', mains.gateway, { env: appEnv, cwd: ROOT, logDir, ...extra });
    await waitHttpOk(`http://127.0.0.1:${o.ports.gateway}/health/ready`, gateway);
    roles.set(identity.pid, 'identity');
    roles.set(gateway.pid, 'gateway');
    return { identity, gateway };
  };

  // 3. the read path (gateway + identity) and its user
  log('starting identity and gateway');
  let apps = await startApps(false);
  const gatewayBase = `http://127.0.0.1:${o.ports.gateway}`;
  const seed = await seedUser(gatewayBase);
  log(`seeded user ${seed.userId} in organization ${seed.orgId}`);
  const gatewayUrl = `${gatewayBase}/v1/users/me`;
  const bearer = () => ({ Authorization: `Bearer ${seed.accessToken}` });
  await expectSameUser(gatewayUrl, bearer(), seed);

  // 4. the hand-written chain (responder + http-server): same NATS, same database, same row
  log('starting the hand-written chain');
  const chainEnv = {
    ...process.env,
    NATS_URL: infraEnv.NATS_URL,
    PORT: String(o.ports.chain),
    BENCH_SUBJECT: `${o.prefix}handwritten.users.me`,
    BENCH_DATABASE_URL: dbUrl,
    BENCH_PG_OPTIONS: pgOptions,
    BENCH_STATEMENT_NAME: statement.name,
    BENCH_SQL: statement.sql,
    BENCH_USER_ID: seed.userId,
    BENCH_ORG_ID: seed.orgId,
  };
  delete chainEnv.NODE_OPTIONS;
  const chainUrl = `http://127.0.0.1:${o.ports.chain}/v1/users/me`;
  const startChain = async (profiled = false) => {
    const extra = profiled ? { nodeArgs: ['--require', path.join(BENCH_DIR, 'lib', 'cpu-profiler.cjs')], ipc: true } : {};
    const responder = startNode(
      profiled ? 'responder-profiled' : 'responder',
      path.join(BENCH_DIR, 'hand-written-chain', 'responder.mjs'),
      {
        env: chainEnv,
        cwd: ROOT,
        logDir,
        ...extra,
      },
    );
    const httpServer = startNode(
      profiled ? 'http-server-profiled' : 'http-server',
      path.join(BENCH_DIR, 'hand-written-chain', 'http-server.mjs'),
      {
        env: chainEnv,
        cwd: ROOT,
        logDir,
        ...extra,
      },
    );
    roles.set(responder.pid, 'responder');
    roles.set(httpServer.pid, 'http-server');
    await waitHttpOk(chainUrl, httpServer);
    return { responder, httpServer };
  };
  let chain = await startChain();
  await expectSameUser(chainUrl, {}, seed);

  // 5. measurements: per round and concurrency the three variants back to back (never at the
  //    same time), so that a change in background load hits all three alike
  // Every round after the first starts both chains' processes afresh: the cost per request of a
  // process moves by several percent from one process to the next (JIT and heap layout), and a
  // median over rounds should sample that, not keep one draw for the whole run.
  const runs = [];
  for (let round = 1; round <= o.rounds; round++) {
    if (round > 1) {
      log(`round ${round}: restarting gateway, identity and the hand-written chain`);
      for (const handle of [apps.gateway, apps.identity, chain.httpServer, chain.responder]) await stopProcess(handle);
      apps = await startApps(false);
      chain = await startChain();
    }
    for (const c of o.connections) {
      await refreshToken();
      runs.push({ round, ...(await measureHttp({ variant: 'gateway', url: gatewayUrl, headers: bearer(), connections: c })) });
      runs.push({ round, ...(await measureHttp({ variant: 'chain', url: chainUrl, headers: {}, connections: c })) });
      runs.push({ round, ...(await measurePg(c)) });
    }
  }
  await stopProcess(chain.httpServer);
  await stopProcess(chain.responder);

  let profiles = null;
  if (o.profile) {
    log('profiling gateway and identity (V8 CPU profiler) under wrk load');
    await stopProcess(apps.gateway);
    await stopProcess(apps.identity);
    apps = await startApps(true);
    await refreshToken();
    const chainRoot = path.join(BENCH_DIR, 'hand-written-chain');
    profiles = await profileRun(apps, gatewayUrl, bearer(), Math.max(...o.connections), (name) => path.join(buildDir, name));
    // The same under the same load for the hand-written chain, to compare function by function.
    log('profiling the hand-written chain (V8 CPU profiler) under wrk load');
    const profiledChain = await startChain(true);
    profiles.chain = await profileRun(
      { 'http-server': profiledChain.httpServer, responder: profiledChain.responder },
      chainUrl,
      {},
      Math.max(...o.connections),
      () => chainRoot,
    );
    await stopProcess(profiledChain.httpServer);
    await stopProcess(profiledChain.responder);
  }
  await stopProcess(apps.gateway);
  await stopProcess(apps.identity);

  // 6. results: per variant and concurrency the median round (by req/s)
  const summary = {};
  for (const variant of Object.keys(VARIANTS)) {
    summary[variant] = o.connections.map((c) => {
      const list = runs.filter((x) => x.variant === variant && x.concurrency === c).sort((a, b) => a.requestsPerSec - b.requestsPerSec);
      const median = list[Math.floor((list.length - 1) / 2)];
      return {
        concurrency: c,
        requestsPerSec: median.requestsPerSec,
        p50Ms: median.p50Ms,
        p99Ms: median.p99Ms,
        round: median.round,
        cpuMsPerRequest: median.cpu?.msPerRequest ?? null,
        machineBusyPct: median.cpu?.machineBusyPct ?? null,
        otherProcessesCores: median.cpu?.otherCores ?? null,
        command: median.command,
      };
    });
  }
  // ratios per round (the variants of a round ran back to back, under the same background load),
  // then their median over the rounds
  const ratios = o.connections.map((c) => {
    const perRound = [];
    for (let round = 1; round <= o.rounds; round++) {
      const [g, h, r] = ['gateway', 'chain', 'rawPg'].map((v) =>
        runs.find((x) => x.variant === v && x.concurrency === c && x.round === round),
      );
      perRound.push({
        round,
        readPathVsChain: round3(g.requestsPerSec / h.requestsPerSec),
        readPathVsRawPg: round3(g.requestsPerSec / r.requestsPerSec),
        // noise-robust companion: on a CPU-bound machine req/s ∝ 1 / CPU per request
        chainCpuVsReadPathCpu: g.cpu && h.cpu ? round3(h.cpu.msPerRequest.total / g.cpu.msPerRequest.total) : null,
      });
    }
    const med = (key) => median(perRound.map((x) => x[key]).filter((x) => x !== null));
    const range = (key) => {
      const values = perRound.map((x) => x[key]).filter((x) => x !== null);
      return values.length ? [Math.min(...values), Math.max(...values)] : null;
    };
    return {
      concurrency: c,
      readPathVsChain: med('readPathVsChain'),
      readPathVsRawPg: med('readPathVsRawPg'),
      chainCpuVsReadPathCpu: med('chainCpuVsReadPathCpu'),
      range: {
        readPathVsChain: range('readPathVsChain'),
        readPathVsRawPg: range('readPathVsRawPg'),
        chainCpuVsReadPathCpu: range('chainCpuVsReadPathCpu'),
      },
      perRound,
    };
  });
  const headlineC = o.connections.includes(64) ? 64 : Math.max(...o.connections);
  const headline = ratios.find((x) => x.concurrency === headlineC);
  const result = {
    benchmark: 'read-path',
    endpoint: 'GET /v1/users/me',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: o.command ?? 'npm run bench',
    options: o,
    machine: { ...machine, wrk, postgres: versions.postgres, natsServer: versions.nats },
    statement,
    variants: VARIANTS,
    summary,
    ratios,
    target: {
      description: 'read path ≥ 95 % of the hand-written chain (req/s)',
      threshold: 0.95,
      atConcurrency: headlineC,
      readPathVsChain: headline.readPathVsChain,
      met: headline.readPathVsChain >= 0.95,
      metAtEveryConcurrency: ratios.every((x) => x.readPathVsChain >= 0.95),
    },
    runs,
    profiles,
  };
  const resultsDir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const resultFile = path.join(resultsDir, `read-path-${stamp}.json`);
  fs.writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  log(`results written to ${path.relative(ROOT, resultFile)}`);
  if (o.writeDocs) {
    writeDocSection(path.join(ROOT, 'docs', 'performance.md'), 'read-path', renderDocs(result, path.relative(ROOT, resultFile)));
    log('docs/performance.md updated (read-path section)');
  }
  keepLogs = false;
  return { result, resultFile };

  // ---------------------------------------------------------------------------------------------

  async function refreshToken() {
    if (Date.now() - seed.tokenAt < TOKEN_REFRESH_MS) return;
    const login = await api(gatewayBase, 'POST', '/v1/auth/login', { email: seed.email, password: seed.password });
    if (login.status !== 200 || !login.body?.accessToken)
      throw new Error(`login failed: HTTP ${login.status} ${JSON.stringify(login.body)}`);
    seed.accessToken = login.body.accessToken;
    seed.tokenAt = Date.now();
    log('access token renewed');
  }

  async function quiet() {
    const q = await waitForQuiet({ roles, maxOtherCores: o.maxOtherCores, maxWaitMs: o.maxQuietWaitSeconds * 1000, log });
    return { ...q, waitedMs: Math.round(q.waitedMs) };
  }

  async function addBackendRoles() {
    for (const [pid, app] of await backendPids(ROOT, infraEnv, o.database)) {
      roles.set(pid, BACKEND_GROUPS[app] ?? `postgres (${app})`);
    }
  }

  async function measureHttp({ variant, url, headers, connections }) {
    const machineState = await quiet();
    log(`${variant} -c${connections}: warm-up ${o.warmupSeconds} s`);
    const warm = await runWrk({ url, threads: o.threads, connections, seconds: o.warmupSeconds, headers });
    assertClean(warm, `${variant} warm-up`);
    await addBackendRoles();
    log(`${variant} -c${connections}: measuring ${o.durationSeconds} s`);
    // CPU window: from wrk's start to just before it ends (a process that has exited can no
    // longer be read in /proc); requests in the window are estimated at the measured rate
    const before = cpuSnapshot();
    let after = null;
    const timer = setTimeout(() => (after = cpuSnapshot()), o.durationSeconds * 1000 - 300);
    const run = await runWrk({
      url,
      threads: o.threads,
      connections,
      seconds: o.durationSeconds,
      headers,
      onStart: (pid) => roles.set(pid, 'wrk'),
    }).finally(() => clearTimeout(timer));
    const usage = cpuUsage(before, after ?? cpuSnapshot(), roles);
    assertClean(run, `${variant} -c${connections}`);
    const m = {
      variant,
      concurrency: connections,
      requestsPerSec: round(run.requestsPerSec, 1),
      p50Ms: round(run.latencyMs.p50, 2),
      p99Ms: round(run.latencyMs.p99, 2),
      latencyMs: run.latencyMs,
      requests: run.requests,
      non2xx: run.non2xx,
      socketErrors: run.socketErrors,
      command: run.command.replace(/Bearer [A-Za-z0-9._-]+/, 'Bearer <token>'),
      warmup: { seconds: o.warmupSeconds, requestsPerSec: round(warm.requestsPerSec, 1) },
      cpu: {
        ...usage,
        msPerRequest: perRequest(usage, run.requestsPerSec * usage.seconds, VARIANT_GROUPS[variant]),
        syscallsPerRequest: syscallsPerRequest(usage, run.requestsPerSec * usage.seconds, VARIANT_GROUPS[variant]),
      },
      machineBeforeRun: machineState,
    };
    log(
      `${variant} -c${connections}: ${m.requestsPerSec} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ` +
        `CPU ${m.cpu.msPerRequest.total} ms/request (other processes ${usage.otherCores} cores); ` +
        `syscalls/request ${Object.entries(m.cpu.syscallsPerRequest)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
    );
    return m;
  }

  async function measurePg(concurrency) {
    const machineState = await quiet();
    log(`raw pg ${concurrency} loops: ${o.warmupSeconds} s warm-up + ${o.durationSeconds} s`);
    const config = {
      connectionString: dbUrl,
      options: pgOptions,
      statementName: statement.name,
      sql: statement.sql,
      values: [seed.userId, seed.orgId],
      concurrency,
      poolSize: o.poolSize,
      warmupMs: o.warmupSeconds * 1000,
      durationMs: o.durationSeconds * 1000,
    };
    let before = null;
    let after = null;
    const timers = [];
    const result = await runNodeForJson('raw-pg', path.join(BENCH_DIR, 'lib', 'pg-loop.mjs'), {
      args: [JSON.stringify(config)],
      env: { ...process.env, NODE_OPTIONS: '' },
      cwd: ROOT,
      logDir,
      timeoutMs: (o.warmupSeconds + o.durationSeconds + 60) * 1000,
      onStart: (pid) => {
        roles.set(pid, 'raw pg loop');
        // CPU window ≈ the child's measured window (it measures after its own warm-up)
        timers.push(setTimeout(() => void addBackendRoles().then(() => (before = cpuSnapshot())), config.warmupMs + 300));
        timers.push(setTimeout(() => (after = cpuSnapshot()), config.warmupMs + config.durationMs - 100));
      },
    }).finally(() => timers.forEach(clearTimeout));
    if (result.errors > 0) throw new Error(`raw pg loop had ${result.errors} errors (first: ${result.firstError})`);
    const usage = before && after ? cpuUsage(before, after, roles) : null;
    // operations inside the CPU window, at the measured rate
    const opsInWindow = usage ? result.opsPerSec * usage.seconds : 0;
    const m = {
      variant: 'rawPg',
      concurrency,
      requestsPerSec: result.opsPerSec,
      p50Ms: round(result.latencyMs.p50, 2),
      p99Ms: round(result.latencyMs.p99, 2),
      latencyMs: result.latencyMs,
      requests: result.operations,
      errors: result.errors,
      command: `node bench/lib/pg-loop.mjs (${concurrency} async loops, pg Pool max ${o.poolSize}, named prepared statement "${statement.name}", ${o.durationSeconds} s after ${o.warmupSeconds} s warm-up)`,
      cpu: usage ? { ...usage, msPerRequest: perRequest(usage, opsInWindow, VARIANT_GROUPS.rawPg) } : null,
      machineBeforeRun: machineState,
    };
    log(`raw pg ${concurrency} loops: ${m.requestsPerSec} ops/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms`);
    return m;
  }

  async function profileRun(running, url, headers, connections, rootOf) {
    const profileDir = path.join(BENCH_DIR, '.profiles');
    fs.mkdirSync(profileDir, { recursive: true });
    await quiet();
    const warm = await runWrk({ url, threads: o.threads, connections, seconds: o.warmupSeconds, headers });
    assertClean(warm, 'profile warm-up');
    await Promise.all(Object.values(running).map((h) => ipcRequest(h, { type: 'profile-start', intervalUs: 1000 })));
    const run = await runWrk({ url, threads: o.threads, connections, seconds: o.profileSeconds, headers });
    const files = {};
    for (const [name, handle] of Object.entries(running)) {
      files[name] = path.join(profileDir, `${stamp}-${name}.cpuprofile`);
      await ipcRequest(handle, { type: 'profile-stop', file: files[name] });
    }
    assertClean(run, 'profile run');
    const out = {
      note: 'V8 CPU profiler (1 ms sampling) attached during this wrk run only; its req/s includes profiler overhead and is not comparable',
      wrk: { connections, seconds: o.profileSeconds, requestsPerSec: round(run.requestsPerSec, 1) },
    };
    for (const [name, file] of Object.entries(files)) {
      out[name] = { file: path.relative(ROOT, file), ...summarizeCpuProfile(file, { root: rootOf(name), top: 25 }) };
    }
    log(`profiles written to ${path.relative(ROOT, profileDir)}`);
    return out;
  }
}

const round3 = (x) => round(x, 3);

function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return round3(sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2);
}

/** CPU milliseconds per request of the variant's processes (how its work is spread over them). */
function perRequest(usage, requests, groups) {
  const out = {};
  let total = 0;
  for (const group of groups) {
    const cores = usage.coresByGroup[group] ?? 0;
    const ms = (cores * usage.seconds * 1000) / requests;
    out[group] = round(ms, 3);
    total += ms;
  }
  out.total = round(total, 3);
  return out;
}

/** Read + write system calls per request of the variant's processes: fewer means more messages per socket read or write. */
function syscallsPerRequest(usage, requests, groups) {
  const out = {};
  for (const group of groups)
    if (usage.syscallsByGroup[group] !== undefined) out[group] = round(usage.syscallsByGroup[group] / requests, 2);
  return out;
}

function assertClean(run, what) {
  const socketErrors = Object.values(run.socketErrors).reduce((a, b) => a + b, 0);
  if (run.non2xx > 0 || socketErrors > 0) {
    throw new Error(
      `${what}: ${run.non2xx} non-2xx responses and ${socketErrors} socket errors out of ${run.requests} requests; ` +
        'the figures would not measure the read path (rate limit? expired token? service down?)',
    );
  }
}

export async function api(base, method, route, body, token) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Registers a brokerage and its owner through the public API; the owner is the benchmarked user. */
export async function seedUser(base) {
  const tag = randomBytes(4).toString('hex');
  const email = `bench-${tag}@bench.keyhouse.test`;
  const password = `bench-${randomBytes(12).toString('base64url')}`;
  const registered = await api(base, 'POST', '/v1/auth/register', {
    organizationName: `Bench Realty ${tag}`,
    name: 'Bench Owner',
    email,
    password,
  });
  if (registered.status !== 201) throw new Error(`registration failed: HTTP ${registered.status} ${JSON.stringify(registered.body)}`);
  const { accessToken, user } = registered.body;
  return { accessToken, tokenAt: Date.now(), email, password, userId: user.id, orgId: user.orgId };
}

/** The variant must answer 200 with the seeded user, or its figures mean nothing. */
export async function expectSameUser(url, headers, seed) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const body = await response.json().catch(() => null);
  if (response.status !== 200 || body?.id !== seed.userId || body?.orgId !== seed.orgId) {
    throw new Error(`${url} answered HTTP ${response.status} ${JSON.stringify(body)}; expected the seeded user ${seed.userId}`);
  }
}

// -----------------------------------------------------------------------------------------------
// docs/performance.md section

function targetElsewhere(ratios) {
  const met = ratios.filter((x) => x.readPathVsChain >= 0.95).map((x) => x.concurrency);
  if (met.length === ratios.length) return 'met at every measured concurrency';
  if (met.length === 0) return 'met at no measured concurrency';
  return `met at ${met.join(', ')} only`;
}

const fmt = (n, digits = 0) =>
  n === null || n === undefined ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (ratio) => `${(ratio * 100).toFixed(1)} %`;

export function renderDocs(r, resultFile) {
  const m = r.machine;
  const o = r.options;
  const t = r.target;
  const at = (variant, c) => r.summary[variant].find((x) => x.concurrency === c);
  const lines = [];
  lines.push('## Read path: GET /v1/users/me', '');
  lines.push(
    'The authenticated profile read through the whole chain (HTTP → gateway → NATS → identity → Postgres), beside two ' +
      'references measured in the same run on the same machine: the raw Postgres lookup of the same row, and a minimal ' +
      'hand-written chain with the same topology (two Node processes + NATS + Postgres). All three run the same named ' +
      `prepared statement (\`${r.statement.name}\`, the SQL of \`USER_ME_QUERY\`) on the same row. For each concurrency ` +
      'the three variants run back to back, never at the same time; each figure is a ' +
      `${o.durationSeconds} s run after a ${o.warmupSeconds} s warm-up at the same concurrency` +
      (o.rounds > 1
        ? `. The whole sequence ran ${o.rounds} times (rounds): the table shows each variant's median round, the ratios are ` +
          "the median of the per-round ratios (each round's variants ran under the same background load, in processes started afresh for the round), with their range."
        : '.'),
    '',
  );
  lines.push('| variant | concurrency | req/s | p50 ms | p99 ms |', '|---|---:|---:|---:|---:|');
  for (const c of o.connections) {
    for (const key of ['gateway', 'chain', 'rawPg']) {
      const x = at(key, c);
      lines.push(
        `| ${r.variants[key]} | ${key === 'rawPg' ? `${c} loops` : `${c} connections`} | ${fmt(x.requestsPerSec)} | ${fmt(x.p50Ms, 2)} | ${fmt(x.p99Ms, 2)} |`,
      );
    }
  }
  lines.push(
    '',
    '| concurrency | read path / hand-written chain (req/s) | read path / raw pg (req/s) | chain CPU / read-path CPU per request |',
    '|---:|---:|---:|---:|',
  );
  const withRange = (x, key) => {
    if (x[key] === null) return '–';
    const span = x.range?.[key];
    return span && o.rounds > 1 ? `${pct(x[key])} (${pct(span[0])}–${pct(span[1])})` : pct(x[key]);
  };
  for (const x of r.ratios) {
    lines.push(
      `| ${x.concurrency} | ${withRange(x, 'readPathVsChain')} | ${withRange(x, 'readPathVsRawPg')} | ${withRange(x, 'chainCpuVsReadPathCpu')} |`,
    );
  }
  lines.push(
    '',
    'The last column is the throughput ratio the CPU cost alone predicts when the machine is CPU-bound (both variants saturate ' +
      'its cores): it depends much less on other load on the machine than the req/s ratio does.',
  );
  lines.push(
    '',
    `**Target — read path ≥ 95 % of the hand-written chain: ${t.met ? 'met' : 'not met'}** (${pct(t.readPathVsChain)} at ${t.atConcurrency} connections` +
      (r.ratios.length > 1 ? `; ${targetElsewhere(r.ratios)}).` : ').'),
    '',
  );

  const c = t.atConcurrency;
  const cpuRow = (key) => {
    const x = at(key, c);
    if (!x.cpuMsPerRequest) return null;
    const parts = Object.entries(x.cpuMsPerRequest)
      .filter(([k, v]) => k !== 'total' && v >= 0.0005)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`);
    return `| ${r.variants[key]} | ${x.cpuMsPerRequest.total.toFixed(3)} | ${parts.join(', ')} | ${x.machineBusyPct} % | ${x.otherProcessesCores} |`;
  };
  lines.push(
    `CPU time per request at ${c} (from \`/proc\`: the variant's processes, wrk, nats-server, redis-server and the Postgres ` +
      'backends of the variant\'s pool; "other" is every process outside the benchmark):',
    '',
    '| variant | CPU ms / request | by process (ms) | machine busy | other (cores) |',
    '|---|---:|---|---:|---:|',
    ...['gateway', 'chain', 'rawPg'].map(cpuRow).filter(Boolean),
    '',
  );

  if (r.profiles) {
    const p = r.profiles;
    lines.push(
      `CPU profile of the read path at ${p.wrk.connections} connections (${p.wrk.seconds} s, V8 sampling profiler attached to both services; ` +
        `${fmt(p.wrk.requestsPerSec)} req/s under the profiler), self time in % of each process's busy time:`,
      '',
    );
    for (const name of ['gateway', 'identity']) {
      const s = p[name];
      if (!s) continue;
      lines.push(
        `- ${name} (idle ${s.idlePct} %); top functions: ${s.topSelf
          .slice(0, 8)
          .map((x) => `\`${x.function}\` ${x.pctOfBusy} %`)
          .join(', ')}; ` +
          `by package: ${s.byPackage
            .slice(0, 8)
            .map((x) => `${x.package} ${x.pctOfBusy} %`)
            .join(', ')}`,
      );
    }
    lines.push('', `Top functions (self and inclusive) are in \`${resultFile}\` under \`profiles\`.`, '');
  }

  const gw = at('gateway', c);
  const pg = at('rawPg', c);
  const maxOther = Math.max(...Object.values(r.summary).flatMap((list) => list.map((x) => x.otherProcessesCores ?? 0)));
  lines.push(
    '- Read path: the real gateway (Nest 11 + Fastify adapter with all it does per request: request id and trace context, ' +
      'access-token authentication, Redis rate limit, permission guard, problem details, metrics) and identity (Nest NATS ' +
      "responder, the TypeORM data source's pg pool of 8), compiled from the working tree at the commit below, each its own process, " +
      `\`NODE_ENV=production\`, \`LOG_LEVEL=warn\`. Hand-written chain: \`bench/hand-written-chain/\` (plain Fastify route, no auth, ` +
      'no rate limit → one `nats` request → plain responder with a pg Pool of 8). Raw pg: `bench/lib/pg-loop.mjs`, its own process.',
    `- Command: \`${r.command}\`, which runs \`${gw.command}\`, the same without the header against the hand-written chain, ` +
      `each after a ${o.warmupSeconds} s warm-up run; raw pg: ${pg.command}.`,
    `- Machine: ${m.nproc} × ${m.cpuModel} (\`nproc\` ${m.nproc}), ${m.memoryGiB} GiB, ${m.kernel}; Node ${m.node}; ` +
      `PostgreSQL ${m.postgres}; nats-server ${m.natsServer}; ${m.wrk.replace(/ Copyright.*$/, '')}; commit ${m.gitCommit}` +
      `${m.gitDirty ? ' plus uncommitted changes' : ''}.`,
    `- Date: ${r.startedAt} (the run took ${Math.round((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000)} s). ` +
      `All figures: \`${resultFile}\`.`,
    maxOther > 0.1
      ? `- The machine is shared: processes outside the benchmark used up to ${maxOther} cores during a reported measurement ` +
          '(`cpu.otherProcessesTop` in the JSON); the benchmark waits for a quiet machine before each measurement, for at most ' +
          `${o.maxQuietWaitSeconds} s. Ratios are less affected than absolute figures, since the variants run back to back.`
      : '- The machine was otherwise quiet during every reported measurement (processes outside the benchmark < 0.1 core).',
  );
  return lines.join('\n');
}
