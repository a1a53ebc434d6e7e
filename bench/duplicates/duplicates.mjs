#!/usr/bin/env node
/**
 * Duplicate detection by name: precision and recall of the crm's real `DuplicateDetection.find`
 * (the SQL the service runs, compiled from the working tree) on a seeded, labelled set of person
 * records (`person-generator.mjs`), against a real Postgres database prepared by deploy/infra.js
 * (own database, the crm migrations as the crm role, dropped at the end).
 *
 *   node bench/duplicates/duplicates.mjs [--seed 20261113] [--people 4000] [--zips 40] [--no-build]
 *
 * The records arrive one by one, as creates do: each is probed (`find` with its full name, first
 * and last name, ZIP and phone suffix; no email or exact phone, so only the name rule answers)
 * against the contacts already stored, then stored. A pair of records is predicted "same person"
 * when the later one's probe names the earlier. Measured only on the pairs that share a ZIP or a
 * phone suffix (the only pairs the name rule looks at). Also reports the trigram-only rule
 * (pg_trgm similarity ≥ 0.6, the rule before issue 13 item 15) on the same pairs, and per-variation
 * recall. Writes bench/results/duplicates-<UTC>.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildApps } from '../lib/build.mjs';
import { installSignalHandlers, onCleanup, runCleanups } from '../lib/cleanup.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { generatePeople } from './person-generator.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const OUT = path.join(ROOT, 'bench', '.build', 'duplicates');
const log = (line) => process.stderr.write(`[duplicates-bench] ${line}\n`);

function options(argv) {
  const o = { seed: 20261113, people: 4000, zips: 40, build: true, database: 'keyhouse_bench_duplicates' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (['--seed', '--people', '--zips'].includes(arg)) o[arg.slice(2)] = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

const ratio = (a, b) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

async function main() {
  const o = options(process.argv.slice(2));
  installSignalHandlers();
  const require = createRequire(path.join(ROOT, 'package.json'));
  if (o.build) buildApps(ROOT, ['crm'], OUT, log);
  const compiled = (rel) => require(path.join(OUT, 'crm', 'apps', 'crm', 'src', rel));
  const { DuplicateDetection } = compiled('modules/contacts-core/duplicate-detection.service.js');
  const { CRM_MIGRATIONS } = compiled('database/crm-migrations.constant.js');
  const { DataSource } = require('typeorm');
  const infra = require(path.join(ROOT, 'deploy', 'infra.js'));

  await infra.dropDatabase(o.database);
  onCleanup(`drop database ${o.database}`, () => infra.dropDatabase(o.database));
  await infra.prepareDatabase(o.database);
  const dataSource = new DataSource({
    type: 'postgres',
    host: process.env.PGHOST ?? '127.0.0.1',
    port: Number(process.env.PGPORT ?? 5432),
    username: 'keyhouse_crm',
    database: o.database,
    schema: 'crm',
    migrations: CRM_MIGRATIONS,
    migrationsTableName: 'crm_migrations',
  });
  await dataSource.initialize();
  onCleanup('close data source', () => dataSource.destroy());
  await dataSource.runMigrations();

  const { records, people } = generatePeople(o);
  log(`${records.length} records of ${people} people (seed ${o.seed}, ${o.zips} ZIP codes)`);
  const detection = new DuplicateDetection();
  const orgId = '00000000-0000-4000-8000-000000000001';
  const idOf = (record) => `00000000-0000-4000-8000-${String(record.recordId + 10).padStart(12, '0')}`;
  const recordOfId = new Map(records.map((record) => [idOf(record), record]));
  const lower = (value) => value.trim().toLowerCase();
  const predicted = new Set(); // "earlier|later" record ids
  const started = process.hrtime.bigint();
  for (const record of records) {
    const fullName = lower(`${record.firstName} ${record.lastName}`);
    const found = await detection.find(dataSource.manager, orgId, {
      emails: [],
      phones: [],
      fullName,
      firstName: record.firstName,
      lastName: record.lastName,
      postalCode: record.postalCode,
      phoneSuffixes: [record.phone.slice(-4)],
    });
    for (const match of found) predicted.add(`${recordOfId.get(match.id).recordId}|${record.recordId}`);
    await dataSource.query(
      `INSERT INTO contact (id, org_id, first_name, last_name, full_name, phones, phone_suffixes, postal_code)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [idOf(record), orgId, record.firstName, record.lastName, fullName, [record.phone], [record.phone.slice(-4)], record.postalCode],
    );
  }
  const probeMs = Number(process.hrtime.bigint() - started) / 1e6;

  // The labelled pairs: every pair sharing a ZIP or a phone suffix, with the trigram-only verdict.
  const { rows: pairs } = await dataSource
    .query(
      `SELECT a.id AS a, b.id AS b, public.similarity(a.full_name, b.full_name) >= 0.6 AS trigram
       FROM contact a JOIN contact b ON a.id < b.id AND (a.postal_code = b.postal_code OR a.phone_suffixes && b.phone_suffixes)`,
    )
    .then((rows) => ({ rows }));
  const count = { pairs: pairs.length, same: 0, tp: 0, fp: 0, trigramTp: 0, trigramFp: 0 };
  const byVariation = {};
  const misses = [];
  const falseAlarms = [];
  for (const pair of pairs) {
    const [x, y] = [recordOfId.get(pair.a), recordOfId.get(pair.b)];
    const [first, later] = x.recordId < y.recordId ? [x, y] : [y, x];
    const same = x.personId === y.personId;
    const hit = predicted.has(`${first.recordId}|${later.recordId}`);
    if (same) {
      count.same += 1;
      const variation = [x.variation, y.variation].filter((v) => v !== 'original').join(' / ') || 'original';
      byVariation[variation] ??= { pairs: 0, found: 0 };
      byVariation[variation].pairs += 1;
      if (hit) byVariation[variation].found += 1;
      else misses.push(`${first.firstName} ${first.lastName} / ${later.firstName} ${later.lastName}`);
    }
    if (hit && same) count.tp += 1;
    if (hit && !same) {
      count.fp += 1;
      falseAlarms.push(`${first.firstName} ${first.lastName} / ${later.firstName} ${later.lastName}`);
    }
    if (pair.trigram && same) count.trigramTp += 1;
    if (pair.trigram && !same) count.trigramFp += 1;
  }
  const result = {
    benchmark: 'duplicates',
    at: new Date().toISOString(),
    options: { seed: o.seed, people: o.people, zips: o.zips },
    records: records.length,
    labelledPairs: count.pairs,
    samePersonPairs: count.same,
    combined: {
      truePositives: count.tp,
      falsePositives: count.fp,
      precision: ratio(count.tp, count.tp + count.fp),
      recall: ratio(count.tp, count.same),
    },
    trigramOnly: {
      truePositives: count.trigramTp,
      falsePositives: count.trigramFp,
      precision: ratio(count.trigramTp, count.trigramTp + count.trigramFp),
      recall: ratio(count.trigramTp, count.same),
    },
    recallByVariation: Object.fromEntries(
      Object.entries(byVariation)
        .sort((a, b) => b[1].pairs - a[1].pairs)
        .map(([variation, v]) => [variation, { ...v, recall: ratio(v.found, v.pairs) }]),
    ),
    findMsPerProbe: Math.round((probeMs / records.length) * 1000) / 1000,
    falsePositiveExamples: falseAlarms.slice(0, 30),
    missExamples: misses.slice(0, 30),
    machine: machineInfo(ROOT),
  };
  const file = path.join(ROOT, 'bench', 'results', `duplicates-${result.at.replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const summary = Object.fromEntries(
    Object.entries(result).filter(([key]) => !['machine', 'falsePositiveExamples', 'missExamples', 'recallByVariation'].includes(key)),
  );
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  log(`wrote ${path.relative(ROOT, file)}`);
}

main()
  .catch((error) => {
    process.exitCode = 1;
    log(error.stack ?? String(error));
  })
  .finally(() => runCleanups());
