#!/usr/bin/env node
/**
 * Commission report benchmark: `GET /v1/reports/commissions` through the whole chain
 * (HTTP → gateway → NATS → deals-commission → Postgres, plus identity for the agents' names and the
 * organization's branding) over N closed deals (default 100 000) of one organization spread evenly
 * over 2025, for one month and for the whole year, as JSON, CSV and PDF. Sequential requests
 * (one at a time: a report is an interactive, not a concurrent, workload); p50 / p95 / max.
 *
 *   node bench/deals/commission-report.mjs [--deals 100000] [--agents 20] [--requests 40] [--no-build]
 *
 * Apps are compiled from the working tree into bench/deals/.build; the bench has its own database,
 * Kafka mock broker and Redis prefix (bench/lib/infra.mjs), all removed at the end. The deals are
 * inserted with SQL (transactions and their version-1 statements whose parts add up to the gross:
 * 3 % gross, 30 % brokerage, $395 fee), the organization, agents, plan and pipeline through the API.
 * Writes bench/results/deals-commission-report-<UTC>.json.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildApps, mainOf } from '../lib/build.mjs';
import { installSignalHandlers, onCleanup, runCleanups } from '../lib/cleanup.mjs';
import { prepareBenchInfra } from '../lib/infra.mjs';
import { benchServiceEnv, startServiceChain } from '../lib/service-chain.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { percentile, round } from '../lib/stats.mjs';
import { apiClient, ok } from '../lib/api.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const log = (line) => process.stderr.write(`[deals-bench] ${line}\n`);

function options(argv) {
  const o = { deals: 100_000, agents: 20, requests: 40, warmup: 3, build: true, database: 'keyhouse_bench_deals' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (['--deals', '--agents', '--requests', '--warmup'].includes(arg)) o[arg.slice(2)] = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

const api = apiClient({ timeoutMs: 60_000 });

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  const buildDir = path.join(BENCH_DIR, '.build');
  const apps = ['identity', 'gateway', 'deals-commission'];
  const mains = Object.fromEntries(apps.map((app) => [app, mainOf(buildDir, app)]));
  if (o.build || apps.some((app) => !fs.existsSync(mains[app]))) buildApps(ROOT, apps, buildDir, log);

  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: 'kh-bench-deals:', log });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-deals-logs-'));
  onCleanup('remove logs', () => fs.rmSync(logDir, { recursive: true, force: true }));
  const ports = { gateway: 3130, identity: 3131, 'deals-commission': 3132 };
  const baseEnv = benchServiceEnv(infraEnv, 'bench-deals');
  const base = await startServiceChain({ root: ROOT, mains, ports, env: baseEnv, logDir, services: ['deals-commission'] });

  // Organization, agents, plan and default pipeline through the API.
  const tag = randomBytes(4).toString('hex');
  const password = `bench-${randomBytes(12).toString('base64url')}`;
  const owner = ok(
    await api(base, 'POST', '/v1/auth/register', {
      organizationName: `Bench Realty ${tag}`,
      name: 'Bench Owner',
      email: `owner-${tag}@bench.keyhouse.test`,
      password,
    }),
    'register',
  );
  const token = owner.accessToken;
  const orgId = owner.organization.id;
  const agentIds = [];
  for (let i = 0; i < o.agents; i += 1) {
    const user = ok(
      await api(
        base,
        'POST',
        '/v1/users',
        { email: `agent${i}-${tag}@bench.keyhouse.test`, name: `Agent ${i}`, role: 'agent', password },
        token,
      ),
      'agent',
    );
    agentIds.push(user.id);
  }
  const plan = ok(
    await api(
      base,
      'POST',
      '/v1/commission-plans',
      { name: 'Bench 70/30', grossRateBps: 300, agentSplitBps: 7000, transactionFeeCents: 39_500 },
      token,
    ),
    'plan',
  );
  const pipeline = ok(await api(base, 'GET', '/v1/pipelines', undefined, token), 'pipelines').items[0];

  // N closed deals with their statements, by SQL.
  log(`inserting ${o.deals} closed deals`);
  const { Client } = require('pg');
  const pg = new Client({ connectionString: infraEnv.DEALS_COMMISSION_DATABASE_URL });
  await pg.connect();
  onCleanup('close pg', () => pg.end());
  const insertStarted = Date.now();
  await pg.query(
    `INSERT INTO deals.deal_transaction (id, org_id, agent_id, agent_ids, side, price_cents, pipeline_id, stage, status, probability, expected_close_date, close_date, close_price_cents)
     SELECT gen_random_uuid(), $1, a.agent, ARRAY[a.agent], 'buy', p.price, $2, 'closed', 'won', 100, d.day, d.day, p.price
     FROM generate_series(1, $3::int) g
     CROSS JOIN LATERAL (SELECT ($4::uuid[])[1 + (g % cardinality($4::uuid[]))] AS agent) a
     CROSS JOIN LATERAL (SELECT (20000000 + (g::bigint * 7919) % 150000000) AS price) p
     CROSS JOIN LATERAL (SELECT '2025-01-01'::date + (g % 365) AS day) d`,
    [orgId, pipeline.id, o.deals, agentIds],
  );
  await pg.query(
    `INSERT INTO deals.commission_statement (id, org_id, transaction_id, version, agent_id, team_ids, plan_id, close_date, price_cents, gross_cents,
       referral_fee_cents, brokerage_cents, agent_cents, fees_cents, detail)
     SELECT gen_random_uuid(), org_id, id, 1, agent_id, team_ids, $2, close_date, close_price_cents, g, 0, b, g - b - 39500, 39500, '{}'
     FROM (SELECT t.*, t.close_price_cents * 3 / 100 AS g, t.close_price_cents * 3 / 100 * 3 / 10 AS b FROM deals.deal_transaction t WHERE t.org_id = $1) x`,
    [orgId, plan.id],
  );
  await pg.query('ANALYZE deals.deal_transaction; ANALYZE deals.commission_statement');
  const insertMs = Date.now() - insertStarted;

  const cases = [
    { name: 'month json', route: '/v1/reports/commissions?month=2025-06' },
    { name: 'year json', route: '/v1/reports/commissions?from=2025-01-01&to=2025-12-31' },
    { name: 'month csv', route: '/v1/reports/commissions?month=2025-06&format=csv' },
    { name: 'year csv', route: '/v1/reports/commissions?from=2025-01-01&to=2025-12-31&format=csv' },
    { name: 'month pdf', route: '/v1/reports/commissions?month=2025-06&format=pdf' },
    { name: 'year pdf', route: '/v1/reports/commissions?from=2025-01-01&to=2025-12-31&format=pdf' },
  ];
  const results = [];
  for (const c of cases) {
    const check = await api(base, 'GET', c.route, undefined, token);
    ok(check, c.name);
    if (c.name.endsWith('json')) {
      const expected = c.name.startsWith('year') ? o.deals : null;
      if (expected !== null && check.body.totals.count !== expected)
        throw new Error(`${c.name}: count ${check.body.totals.count}, expected ${expected}`);
    }
    for (let i = 0; i < o.warmup; i += 1) await api(base, 'GET', c.route, undefined, token);
    const samples = [];
    for (let i = 0; i < o.requests; i += 1) {
      const started = process.hrtime.bigint();
      ok(await api(base, 'GET', c.route, undefined, token), c.name);
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    samples.sort((a, b) => a - b);
    const row = {
      case: c.name,
      route: c.route,
      deals: c.name.endsWith('json') ? check.body.totals.count : null,
      bytes: check.bytes,
      requests: o.requests,
      p50Ms: round(percentile(samples, 50)),
      p95Ms: round(percentile(samples, 95)),
      maxMs: round(samples[samples.length - 1]),
    };
    results.push(row);
    log(`${c.name}: p50 ${row.p50Ms} ms, p95 ${row.p95Ms} ms, max ${row.maxMs} ms`);
  }
  const sqlPlan = await pg.query(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) SELECT s.agent_id, count(*), sum(s.price_cents), sum(s.gross_cents) FROM deals.commission_statement s
     WHERE s.org_id = $1 AND s.is_current AND s.close_date BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY s.agent_id`,
    [orgId],
  );
  const output = {
    benchmark: 'deals-commission-report',
    at: new Date().toISOString(),
    machine: machineInfo(ROOT),
    options: o,
    insertMs,
    results,
    yearQueryPlan: sqlPlan.rows.map((r) => r['QUERY PLAN']),
  };
  const file = path.join(ROOT, 'bench', 'results', `deals-commission-report-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);
  process.stdout.write(
    [
      '| case | deals in report | p50 ms | p95 ms | max ms | bytes |',
      '|---|---|---|---|---|---|',
      ...results.map((r) => `| ${r.case} | ${r.deals ?? ''} | ${r.p50Ms} | ${r.p95Ms} | ${r.maxMs} | ${r.bytes} |`),
    ].join('\n') + '\n',
  );
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
