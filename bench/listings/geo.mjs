#!/usr/bin/env node
/**
 * Listings benchmark: the King County import through the API, then radius search, polygon search
 * and comparables through the whole chain (HTTP → gateway → NATS → listings → Postgres/PostGIS)
 * with the King County sales plus N synthetic listings (default 1 000 000) spread uniformly over
 * the same area (lat 47.15…47.78, lng −122.52…−121.31), inserted with SQL `generate_series`.
 * Sequential requests (interactive searches); p50 / p95 / max.
 *
 *   node bench/listings/geo.mjs [--synthetic 1000000] [--requests 200] [--no-build]
 *
 * Apps are compiled from the working tree into bench/.build/listings-geo; the bench has its own
 * database, Kafka mock broker and Redis prefix (bench/lib/infra.mjs), all removed at the end.
 * Writes bench/results/listings-geo-<UTC>.json.
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
const log = (line) => process.stderr.write(`[listings-bench] ${line}\n`);
const KING_COUNTY = process.env.KING_COUNTY_CSV || path.resolve(ROOT, '..', 'shared', 'data', 'king-county', 'kc_house_data.csv');

function options(argv) {
  const o = { synthetic: 1_000_000, requests: 200, warmup: 10, build: true, database: 'keyhouse_bench_listings' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (['--synthetic', '--requests', '--warmup'].includes(arg)) o[arg.slice(2)] = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

const api = apiClient({ timeoutMs: 300_000 });

async function timed(fn) {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  // Inside bench/.build/ (git-ignored).
  const buildDir = path.join(ROOT, 'bench', '.build', 'listings-geo');
  const apps = ['identity', 'gateway', 'listings'];
  const mains = Object.fromEntries(apps.map((app) => [app, mainOf(buildDir, app)]));
  if (o.build || apps.some((app) => !fs.existsSync(mains[app]))) buildApps(ROOT, apps, buildDir, log);

  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: 'kh-bench-listings:', log });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-listings-logs-'));
  onCleanup('remove logs', () => fs.rmSync(logDir, { recursive: true, force: true }));
  const ports = { gateway: 3140, identity: 3141, listings: 3142 };
  const baseEnv = benchServiceEnv(infraEnv, 'bench-listings', { LISTINGS_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}` });
  const base = await startServiceChain({ root: ROOT, mains, ports, env: baseEnv, logDir, services: ['listings'] });

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

  // 1. The King County file through POST /v1/properties/import, twice (the second finds it unchanged).
  const csv = fs.readFileSync(KING_COUNTY, 'utf8');
  const imports = [];
  for (const round_ of [1, 2]) {
    const { value, ms } = await timed(async () => ok(await api(base, 'POST', '/v1/properties/import', csv, token, 'text/csv'), 'import'));
    imports.push({
      round: round_,
      wallMs: round(ms),
      rows: value.rows,
      created: value.created,
      updated: value.updated,
      unchanged: value.unchanged,
      rejected: value.rejected,
    });
    log(
      `King County import ${round_}: ${value.rows} rows, ${value.created} created, ${value.unchanged} unchanged, ${value.rejected} rejected in ${round(ms)} ms`,
    );
  }

  // 2. N synthetic listings by SQL over the same area.
  const { Client } = require('pg');
  const pg = new Client({
    connectionString: infraEnv.LISTINGS_DATABASE_URL,
    options: '-c search_path=listings,public -c statement_timeout=0',
  });
  await pg.connect();
  onCleanup('close pg', () => pg.end());
  log(`inserting ${o.synthetic} synthetic listings`);
  const insert = await timed(() =>
    pg.query(
      `INSERT INTO listings.property (id, org_id, listing_key, origin, standard_status, property_type, list_price, close_price, close_date,
         city, state_or_province, postal_code, location, bedrooms_total, bathrooms_total_integer, living_area, year_built)
       SELECT gen_random_uuid(), $1, 'SYN-' || g, 'import', s.status, 'Residential',
         CASE WHEN s.status = 'Closed' THEN NULL ELSE p.price END, CASE WHEN s.status = 'Closed' THEN p.price END,
         CASE WHEN s.status = 'Closed' THEN DATE '2014-05-01' + (g % 390) END,
         'Synthetic', 'WA', (98001 + g % 200)::text,
         public.ST_SetSRID(public.ST_MakePoint(-122.52 + random() * 1.21, 47.15 + random() * 0.63), 4326)::public.geography,
         1 + g % 6, 1 + g % 4, 600 + (g * 37) % 4000, 1900 + g % 120
       FROM generate_series(1, $2::int) g
       CROSS JOIN LATERAL (SELECT CASE WHEN g % 10 < 6 THEN 'Closed' WHEN g % 10 < 9 THEN 'Active' ELSE 'Pending' END AS status) s
       CROSS JOIN LATERAL (SELECT (15000000 + (g::bigint * 7919) % 185000000) AS price) p`,
      [orgId, o.synthetic],
    ),
  );
  await pg.query('ANALYZE listings.property');
  const [{ count }] = (await pg.query(`SELECT count(*)::int AS count FROM listings.property WHERE org_id = $1`, [orgId])).rows;
  log(`${count} listings in the organization (insert ${round(insert.ms)} ms)`);

  // A King County subject in Seattle for comparables.
  const subject = ok(await api(base, 'GET', '/v1/properties?postalCode=98103&standardStatus=Closed&limit=1', undefined, token), 'subject')
    .items[0];
  const downtown = { lat: 47.6097, lng: -122.3422 };
  const box = [
    [
      [-122.36, 47.65],
      [-122.32, 47.65],
      [-122.32, 47.69],
      [-122.36, 47.69],
      [-122.36, 47.65],
    ],
  ];
  const cases = [
    {
      name: 'radius 1 km, 25 nearest',
      method: 'GET',
      route: `/v1/geo/radius-search?lat=${downtown.lat}&lng=${downtown.lng}&radius=1000&limit=25`,
    },
    {
      name: 'radius 5 km, 25 nearest',
      method: 'GET',
      route: `/v1/geo/radius-search?lat=${downtown.lat}&lng=${downtown.lng}&radius=5000&limit=25`,
    },
    {
      name: 'radius 5 km, Active 3+ beds ≤ $900k',
      method: 'GET',
      route: `/v1/geo/radius-search?lat=${downtown.lat}&lng=${downtown.lng}&radius=5000&limit=25&standardStatus=Active&minBedrooms=3&maxPrice=90000000`,
    },
    {
      name: 'polygon ~3×4.5 km, 25 newest',
      method: 'POST',
      route: '/v1/properties/search',
      body: { geometry: { type: 'Polygon', coordinates: box }, limit: 25 },
    },
    { name: 'comparables (1.6 km, 12 months)', method: 'GET', route: `/v1/properties/${subject.id}/comparables` },
  ];
  const results = [];
  for (const c of cases) {
    const check = ok(await api(base, c.method, c.route, c.body, token), c.name);
    for (let i = 0; i < o.warmup; i += 1) await api(base, c.method, c.route, c.body, token);
    const samples = [];
    for (let i = 0; i < o.requests; i += 1) {
      const { ms } = await timed(async () => ok(await api(base, c.method, c.route, c.body, token), c.name));
      samples.push(ms);
    }
    samples.sort((a, b) => a - b);
    const row = {
      case: c.name,
      route: c.route,
      items: check.items.length,
      requests: o.requests,
      p50Ms: round(percentile(samples, 50)),
      p95Ms: round(percentile(samples, 95)),
      maxMs: round(samples[samples.length - 1]),
    };
    results.push(row);
    log(`${c.name}: ${row.items} items, p50 ${row.p50Ms} ms, p95 ${row.p95Ms} ms, max ${row.maxMs} ms`);
  }
  // The radius query as the service sends it: a GiST KNN scan (ORDER BY <-> alone) bounded by the
  // bounding box as index condition, the exact circle as filter, stopping after the page (WITH TIES).
  const radiusPlan = await pg.query(
    `EXPLAIN (ANALYZE, BUFFERS) SELECT p.id, (p.location OPERATOR(public.<->) public.ST_SetSRID(public.ST_MakePoint($2, $3), 4326)::public.geography) AS d
     FROM listings.property p
     WHERE p.org_id = $1 AND p.deleted_at IS NULL
       AND p.location OPERATOR(public.&&) public.ST_MakeEnvelope($2 - $4, $3 - $5, $2 + $4, $3 + $5, 4326)::public.geography
       AND (p.location OPERATOR(public.<->) public.ST_SetSRID(public.ST_MakePoint($2, $3), 4326)::public.geography) <= 5000
     ORDER BY p.location OPERATOR(public.<->) public.ST_SetSRID(public.ST_MakePoint($2, $3), 4326)::public.geography FETCH FIRST 26 ROWS WITH TIES`,
    [orgId, downtown.lng, downtown.lat, (5000 / (111000 * Math.cos((downtown.lat * Math.PI) / 180))) * 1.1, (5000 / 111000) * 1.1],
  );
  const output = {
    benchmark: 'listings-geo',
    at: new Date().toISOString(),
    machine: machineInfo(ROOT),
    options: o,
    listings: count,
    kingCountyImport: imports,
    syntheticInsertMs: round(insert.ms),
    results,
    radius5kmPlan: radiusPlan.rows.map((r) => r['QUERY PLAN']),
  };
  const file = path.join(ROOT, 'bench', 'results', `listings-geo-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);
  process.stdout.write(
    [
      `King County import (API): ${imports.map((i) => `round ${i.round} ${i.wallMs} ms (${i.created} created, ${i.unchanged} unchanged)`).join('; ')}`,
      `listings in the organization: ${count}`,
      '| case | items | p50 ms | p95 ms | max ms |',
      '|---|---|---|---|---|',
      ...results.map((r) => `| ${r.case} | ${r.items} | ${r.p50Ms} | ${r.p95Ms} | ${r.maxMs} |`),
    ].join('\n') + '\n',
  );
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
