#!/usr/bin/env node
/**
 * CRM contacts import benchmark, through the whole chain (HTTP → gateway → NATS → crm → Postgres):
 * one `POST /v1/contacts/import` of a generated CSV of N rows (default 10,000) into an empty
 * organization, by its owner (org scope, every new contact routed by the assignment rules: one
 * round-robin rule over 3 agents for source `website`). The file has realistic mess: every 50th
 * row has a malformed email (rejected), every 40th repeats an earlier row's email (merged), a
 * third of the rows carry tags (`vip;relocation` / `first-time-buyer`). Then the same file again
 * (every valid row a duplicate: merged). Reports wall time, rows/s and the counts.
 *
 *   node bench/crm/import.mjs [--rows 10000] [--no-build]
 *
 * Apps are compiled from the working tree into bench/.build/crm-import; own database, Kafka mock
 * broker and Redis prefix (bench/lib/infra.mjs), removed at the end. Writes
 * bench/results/crm-import-<UTC>.json.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApps, mainOf } from '../lib/build.mjs';
import { installSignalHandlers, onCleanup, runCleanups } from '../lib/cleanup.mjs';
import { prepareBenchInfra } from '../lib/infra.mjs';
import { benchServiceEnv, startServiceChain } from '../lib/service-chain.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { round } from '../lib/stats.mjs';
import { apiClient, ok } from '../lib/api.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const log = (line) => process.stderr.write(`[crm-import-bench] ${line}\n`);

function options(argv) {
  const o = { rows: 10_000, build: true, database: 'keyhouse_bench_crm_import' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (arg === '--rows') o.rows = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

const api = apiClient({ timeoutMs: 1_800_000 });

/** A pronounceable name from `n` (base-16 syllables), so that rows' names are far apart in trigram similarity. */
function syllables(n, count) {
  const parts = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'quin', 'dor', 'bel', 'fu', 'gri', 'hax'];
  let name = '';
  for (let k = 0; k < count; k += 1) {
    name += parts[n % 16];
    n = Math.floor(n / 16);
  }
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The CSV document: header and `rows` rows (see the file comment for the mess in it). */
export function importCsv(rows, tag) {
  const lines = ['firstName,lastName,email,phone,type,source,tags,postalCode,city'];
  for (let i = 1; i <= rows; i += 1) {
    // A repeated row (every 40th) is the same person as row i - 17: same name, email and phone.
    const n = i % 40 === 0 ? i - 17 : i;
    const f = syllables((n * 7919) % 65_536, 3);
    const l = syllables((n * 104_729) % 65_536, 4);
    const email = i % 50 === 0 ? `not-an-email-${i}` : `${f}.${l}.${n}-${tag}@import.test`.toLowerCase();
    const phone = `+1425${String(3_000_000 + n).padStart(7, '0')}`;
    const tags = i % 3 === 0 ? 'vip;relocation' : i % 3 === 1 ? 'first-time-buyer' : '';
    lines.push(
      [
        f,
        l,
        email,
        phone,
        ['buyer', 'seller', 'renter', 'investor'][n % 4],
        n % 2 ? 'website' : 'referral',
        tags,
        String(98001 + ((n * 31) % 500)),
        'Seattle',
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  const buildDir = path.join(ROOT, 'bench', '.build', 'crm-import');
  const apps = ['identity', 'gateway', 'crm'];
  const mains = Object.fromEntries(apps.map((app) => [app, mainOf(buildDir, app)]));
  if (o.build || apps.some((app) => !fs.existsSync(mains[app]))) buildApps(ROOT, apps, buildDir, log);

  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database: o.database, redisKeyPrefix: 'kh-bench-crm-import:', log });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-crm-import-logs-'));
  onCleanup('remove logs', () => fs.rmSync(logDir, { recursive: true, force: true }));
  const ports = { gateway: 3160, identity: 3161, crm: 3162 };
  const baseEnv = benchServiceEnv(infraEnv, 'bench-crm-import');
  const base = await startServiceChain({ root: ROOT, mains, ports, env: baseEnv, logDir, services: ['crm'] });

  const tag = randomBytes(4).toString('hex');
  const password = `bench-${randomBytes(12).toString('base64url')}`;
  const owner = ok(
    await api(base, 'POST', '/v1/auth/register', {
      organizationName: `Import Realty ${tag}`,
      name: 'Import Owner',
      email: `owner-${tag}@bench.keyhouse.test`,
      password,
    }),
    'register',
  );
  const token = owner.accessToken;
  const agents = [];
  for (let i = 0; i < 3; i += 1) {
    const email = `agent${i}-${tag}@bench.keyhouse.test`;
    agents.push(
      ok(await api(base, 'POST', '/v1/agents', { name: `Agent ${i}`, email, password, capacity: 10_000 }, token), 'agent').userId,
    );
  }
  for (let attempt = 0; ; attempt += 1) {
    const rule = await api(
      base,
      'POST',
      '/v1/assignment-rules',
      { name: 'Website rotation', priority: 10, conditions: { sources: ['website'] }, strategy: 'round_robin', agentIds: agents },
      token,
    );
    if (rule.status === 201) break;
    if (attempt > 600) throw new Error(`rule: ${JSON.stringify(rule.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  const csv = importCsv(o.rows, tag);
  const runs = [];
  for (const name of ['first import (new contacts)', 'same file again (all duplicates, merged)']) {
    const started = process.hrtime.bigint();
    const result = ok(await api(base, 'POST', '/v1/contacts/import', csv, token, 'text/csv'), name, [200]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const run = {
      case: name,
      rows: o.rows,
      ms: round(ms),
      rowsPerSecond: round((o.rows * 1000) / ms),
      created: result.created,
      merged: result.merged,
      rejected: result.rejected.length,
    };
    log(`${name}: ${run.ms} ms, ${run.rowsPerSecond} rows/s (created ${run.created}, merged ${run.merged}, rejected ${run.rejected})`);
    runs.push(run);
  }

  const output = { benchmark: 'crm-import', at: new Date().toISOString(), machine: machineInfo(ROOT), options: o, runs };
  const file = path.join(ROOT, 'bench', 'results', `crm-import-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);
  process.stdout.write(
    runs
      .map(
        (r) =>
          `${r.case}: ${r.rows} rows in ${r.ms} ms (${r.rowsPerSecond} rows/s), created ${r.created}, merged ${r.merged}, rejected ${r.rejected}`,
      )
      .join('\n') + '\n',
  );
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
