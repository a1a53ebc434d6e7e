#!/usr/bin/env node
/**
 * CRM benchmark, through the whole chain (HTTP → gateway → NATS → crm → Postgres): with N contacts
 * (default 100 000) in one organization, inserted by SQL `generate_series` with realistic spread
 * (names, emails, E.164 phones, ZIP codes, statuses, sources, owners among 3 agents),
 *   1. the p50/p95 of list pages (unfiltered, filtered, sorted by name, text search, agent scope),
 *   2. the p50/p95 of POST /v1/contacts answering 409 (duplicate by email, by phone, by name+ZIP)
 *      and of a create that finds no duplicate (dedupe + insert + routing + outbox),
 *   3. one bulk status and one bulk tags request over 10,000 contacts (wall time),
 *   4. public intake throughput: C concurrent clients posting new leads to POST /v1/public/leads
 *      for D seconds, each deduplicated, assigned by a round-robin rule and its events written to
 *      the outbox; then the time until the relay has published every event to Kafka.
 *
 *   node bench/crm/contacts.mjs [--contacts 100000] [--requests 200] [--intake-seconds 20] [--intake-concurrency 16] [--no-build]
 *
 * Apps are compiled from the working tree into bench/.build/crm; own database, Kafka mock broker
 * and Redis prefix (bench/lib/infra.mjs), removed at the end. Writes bench/results/crm-contacts-<UTC>.json.
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
const log = (line) => process.stderr.write(`[crm-bench] ${line}\n`);

function options(argv) {
  const o = {
    contacts: 100_000,
    requests: 200,
    warmup: 10,
    'intake-seconds': 20,
    'intake-concurrency': 16,
    build: true,
    database: 'keyhouse_bench_crm',
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (['--contacts', '--requests', '--warmup', '--intake-seconds', '--intake-concurrency'].includes(arg))
      o[arg.slice(2)] = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

const api = apiClient({ timeoutMs: 120_000 });

async function timed(fn) {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function measure(name, o, run) {
  for (let i = 0; i < o.warmup; i += 1) await run(-1 - i);
  const samples = [];
  let last;
  for (let i = 0; i < o.requests; i += 1) {
    const { value, ms } = await timed(() => run(i));
    last = value;
    samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  const row = {
    case: name,
    requests: o.requests,
    p50Ms: round(percentile(samples, 50)),
    p95Ms: round(percentile(samples, 95)),
    maxMs: round(samples[samples.length - 1]),
    last,
  };
  log(`${name}: p50 ${row.p50Ms} ms, p95 ${row.p95Ms} ms, max ${row.maxMs} ms`);
  return row;
}

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  const buildDir = path.join(ROOT, 'bench', '.build', 'crm');
  const apps = ['identity', 'gateway', 'crm'];
  const mains = Object.fromEntries(apps.map((app) => [app, mainOf(buildDir, app)]));
  if (o.build || apps.some((app) => !fs.existsSync(mains[app]))) buildApps(ROOT, apps, buildDir, log);

  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: 'kh-bench-crm:', log });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-crm-logs-'));
  onCleanup('remove logs', () => fs.rmSync(logDir, { recursive: true, force: true }));
  const ports = { gateway: 3150, identity: 3151, crm: 3152 };
  const baseEnv = benchServiceEnv(infraEnv, 'bench-crm');
  const base = await startServiceChain({ root: ROOT, mains, ports, env: baseEnv, logDir, services: ['crm'] });

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
  const formKey = owner.organization.publicFormKey;
  const agents = [];
  for (let i = 0; i < 3; i += 1) {
    const email = `agent${i}-${tag}@bench.keyhouse.test`;
    const created = ok(
      await api(base, 'POST', '/v1/agents', { name: `Agent ${i}`, email, password, capacity: 10_000, regions: [`980${10 + i}`] }, token),
      'agent',
    );
    const session = ok(await api(base, 'POST', '/v1/auth/login', { email, password }), 'login', [200]);
    agents.push({ id: created.userId, token: session.accessToken });
  }
  // Wait for crm's read model to know the agents (identity events through Kafka), then a round-robin rule for intake.
  for (let attempt = 0; ; attempt += 1) {
    const rule = await api(
      base,
      'POST',
      '/v1/assignment-rules',
      {
        name: 'Website rotation',
        priority: 10,
        conditions: { sources: ['website'] },
        strategy: 'round_robin',
        agentIds: agents.map((a) => a.id),
      },
      token,
    );
    if (rule.status === 201) break;
    if (attempt > 100) throw new Error(`rule: ${JSON.stringify(rule.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  // Contacts carry tag definitions (docs/adr/0022): one organization tag `vip` for a fifth of them.
  const vip = ok(await api(base, 'POST', '/v1/tags', { name: 'vip', colour: '#eab308', scope: 'org' }, token), 'tag');
  const { Client } = require('pg');
  const pg = new Client({ connectionString: infraEnv.CRM_DATABASE_URL, options: '-c search_path=crm,public -c statement_timeout=0' });
  await pg.connect();
  onCleanup('close pg', () => pg.end());
  log(`inserting ${o.contacts} contacts`);
  const insert = await timed(() =>
    pg.query(
      `WITH names AS (
         SELECT g,
                (ARRAY['maya','liam','sofia','noah','ava','ethan','isla','mateo','zoe','lucas','nora','kai','grace','owen','hana','diego'])[1 + g % 16] AS first,
                (ARRAY['chen','garcia','patel','nguyen','johnson','kim','okafor','silva','larsen','haddad','reyes','tanaka','smith','brown','lopez','walker','young','hall','allen','wright'])[1 + (g / 16) % 20] || (g % 997)::text AS last,
                '+1206' || lpad((2000000 + g)::text, 7, '0') AS phone,
                (98001 + g % 200)::text AS zip
           FROM generate_series(1, $2::int) g)
       INSERT INTO crm.contact (id, org_id, first_name, last_name, full_name, emails, phones, phone_suffixes, search_text, type, status, score, source,
                                owner_id, tags, tag_ids, postal_code, city, created_at, updated_at, last_contacted_at)
       SELECT gen_random_uuid(), $1, initcap(first), initcap(last), first || ' ' || last,
              ARRAY[first || '.' || last || '.' || g || '@bench-client.test'], ARRAY[phone], ARRAY[right(phone, 4)],
              first || ' ' || last || ' ' || first || '.' || last || '.' || g || '@bench-client.test ' || phone,
              (ARRAY['buyer','seller','renter','investor'])[1 + g % 4],
              (ARRAY['new','contacted','qualified','nurturing','closed','lost'])[1 + g % 6],
              (ARRAY['hot','warm','cold','cold'])[1 + g % 4],
              (ARRAY['website','referral','zillow','realtor_com','idx','open_house','sphere'])[1 + g % 7],
              ($3::uuid[])[1 + g % 3],
              CASE WHEN g % 5 = 0 THEN ARRAY['vip'] ELSE '{}'::text[] END,
              CASE WHEN g % 5 = 0 THEN ARRAY[$4::uuid] ELSE '{}'::uuid[] END,
              zip, 'Seattle',
              now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval,
              CASE WHEN g % 3 = 0 THEN now() - ((g % 90) || ' days')::interval END
         FROM names`,
      [orgId, o.contacts, agents.map((a) => a.id), vip.id],
    ),
  );
  await pg.query('ANALYZE crm.contact');
  const [{ count }] = (await pg.query(`SELECT count(*)::int AS count FROM crm.contact WHERE org_id = $1`, [orgId])).rows;
  log(`${count} contacts in the organization (insert ${round(insert.ms)} ms)`);
  const sample = (
    await pg.query(
      `SELECT emails[1] AS email, phones[1] AS phone, first_name, last_name, postal_code FROM crm.contact WHERE org_id = $1 ORDER BY created_at LIMIT 1 OFFSET 5000`,
      [orgId],
    )
  ).rows[0];

  const lists = [
    ['list: first page, newest first (owner, org scope)', '/v1/contacts?limit=25', token],
    ['list: status=new & source=zillow', '/v1/contacts?status=new&source=zillow&limit=25', token],
    ['list: type=buyer & tag=vip, sort=name', '/v1/contacts?type=buyer&tag=vip&sort=name&limit=25', token],
    ['list: text search q=haddad', '/v1/contacts?q=haddad&limit=25', token],
    [
      'list: agent scope, status=qualified, sort=-lastContactedAt',
      '/v1/contacts?status=qualified&sort=-lastContactedAt&limit=25',
      agents[0].token,
    ],
  ];
  const results = [];
  for (const [name, route, tok] of lists) {
    results.push(await measure(name, o, async () => ok(await api(base, 'GET', route, undefined, tok), name, [200]).items.length));
  }
  const dupCases = [
    ['create → 409 duplicate by email', () => ({ firstName: 'Other', lastName: 'Person', email: sample.email.toUpperCase() })],
    ['create → 409 duplicate by phone', () => ({ firstName: 'Other', lastName: 'Person', phone: sample.phone })],
    [
      'create → 409 duplicate by name + ZIP',
      () => ({ firstName: sample.first_name, lastName: sample.last_name, address: { postalCode: sample.postal_code } }),
    ],
  ];
  for (const [name, body] of dupCases) {
    results.push(
      await measure(name, o, async () => ok(await api(base, 'POST', '/v1/contacts', body(), token), name, [409]).duplicates.length),
    );
  }
  results.push(
    await measure(
      'create: no duplicate (dedupe + insert + route + outbox)',
      o,
      async (i) =>
        ok(
          await api(
            base,
            'POST',
            '/v1/contacts',
            { firstName: 'Fresh', lastName: `Lead ${tag} ${i}`, email: `fresh-${tag}-${i}@bench-new.test`, source: 'website' },
            token,
          ),
          'create',
          [201],
        ).id,
    ),
  );

  // Bulk changes of 10,000 contacts in one request each (all-or-nothing).
  const bulkIds = (await pg.query(`SELECT id FROM crm.contact WHERE org_id = $1 ORDER BY created_at LIMIT 10000`, [orgId])).rows.map(
    (r) => r.id,
  );
  const bulk = [];
  for (const [name, route, body] of [
    ['bulk status of 10,000 contacts', '/v1/contacts/bulk/status', { ids: bulkIds, status: 'nurturing' }],
    ['bulk tags (add one) on 10,000 contacts', '/v1/contacts/bulk/tags', { ids: bulkIds, add: ['bench-bulk'] }],
    ['bulk assign of 10,000 contacts to one agent', '/v1/contacts/bulk/assign', { ids: bulkIds, ownerId: agents[0].id }],
  ]) {
    const { value, ms } = await timed(async () => ok(await api(base, 'POST', route, body, token), name, [200]));
    bulk.push({ case: name, ms: round(ms), ...value });
    log(`${name}: ${round(ms)} ms (${value.matched} matched, ${value.updated} updated)`);
  }

  // Public intake throughput.
  const outboxBefore = Number((await pg.query(`SELECT count(*) FROM crm.outbox_event`)).rows[0].count);
  let sent = 0;
  let failed = 0;
  const latencies = [];
  const stopAt = Date.now() + o['intake-seconds'] * 1000;
  const worker = async (w) => {
    let n = 0;
    while (Date.now() < stopAt) {
      const { value, ms } = await timed(() =>
        api(base, 'POST', '/v1/public/leads', {
          formKey,
          firstName: 'Web',
          lastName: `Visitor ${w}-${n}`,
          email: `intake-${tag}-${w}-${n}@bench-web.test`,
          source: 'website',
        }),
      );
      n += 1;
      if (value.status === 201) {
        sent += 1;
        latencies.push(ms);
      } else failed += 1;
    }
  };
  const intakeStarted = Date.now();
  await Promise.all(Array.from({ length: o['intake-concurrency'] }, (_, w) => worker(w)));
  const intakeSeconds = (Date.now() - intakeStarted) / 1000;
  const drained = await timed(async () => {
    for (;;) {
      const pending = Number((await pg.query(`SELECT count(*) FROM crm.outbox_event WHERE published_at IS NULL`)).rows[0].count);
      if (pending === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  const outboxAfter = Number((await pg.query(`SELECT count(*) FROM crm.outbox_event`)).rows[0].count);
  const assigned = Number(
    (
      await pg.query(
        `SELECT count(*) FROM crm.contact WHERE org_id = $1 AND source = 'website' AND emails[1] LIKE $2 AND owner_id IS NOT NULL`,
        [orgId, `intake-${tag}-%`],
      )
    ).rows[0].count,
  );
  const ledger = (await pg.query(`SELECT agent_id, assigned FROM crm.assignment_ledger ORDER BY agent_id`)).rows;
  latencies.sort((a, b) => a - b);
  const intake = {
    concurrency: o['intake-concurrency'],
    seconds: round(intakeSeconds),
    leads: sent,
    failed,
    leadsPerSecond: round(sent / intakeSeconds),
    p50Ms: round(percentile(latencies, 50)),
    p95Ms: round(percentile(latencies, 95)),
    assigned,
    eventsWritten: outboxAfter - outboxBefore,
    outboxDrainAfterRunMs: round(drained.ms),
    ledger,
  };
  log(
    `public intake: ${intake.leadsPerSecond} leads/s (${sent} leads, ${failed} failed, ${assigned} assigned), p50 ${intake.p50Ms} ms, p95 ${intake.p95Ms} ms; outbox drained ${intake.outboxDrainAfterRunMs} ms after`,
  );

  const listPlan = await pg.query(
    `EXPLAIN (ANALYZE, BUFFERS) SELECT c.* FROM crm.contact c WHERE c.org_id = $1 AND c.deleted_at IS NULL AND c.status = ANY($2) AND c.source = ANY($3)
      ORDER BY c.created_at DESC, c.id DESC LIMIT 26`,
    [orgId, ['new'], ['zillow']],
  );
  const output = {
    benchmark: 'crm-contacts',
    at: new Date().toISOString(),
    machine: machineInfo(ROOT),
    options: o,
    contacts: count,
    insertMs: round(insert.ms),
    results: results.map(({ last, ...row }) => ({ ...row, lastItems: last })),
    bulk,
    intake,
    filteredListPlan: listPlan.rows.map((r) => r['QUERY PLAN']),
  };
  const file = path.join(ROOT, 'bench', 'results', `crm-contacts-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);
  process.stdout.write(
    [
      `contacts in the organization: ${count}`,
      '| case | p50 ms | p95 ms | max ms |',
      '|---|---|---|---|',
      ...output.results.map((r) => `| ${r.case} | ${r.p50Ms} | ${r.p95Ms} | ${r.maxMs} |`),
      ...bulk.map((b) => `${b.case}: ${b.ms} ms (${b.updated} updated)`),
      `public intake, ${intake.concurrency} concurrent clients for ${intake.seconds} s: ${intake.leadsPerSecond} leads/s (p50 ${intake.p50Ms} ms, p95 ${intake.p95Ms} ms), ${intake.assigned} assigned, ${intake.eventsWritten} events; outbox empty ${intake.outboxDrainAfterRunMs} ms after the last request`,
    ].join('\n') + '\n',
  );
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
