#!/usr/bin/env node
/**
 * Audit trail benchmark (issue 6):
 * 1. ingest: N events (default 20 000) of one organization published to `crm.events` (as the outbox
 *    relay does: key = subject, CloudEvents headers, acks = all), consumed by the audit service
 *    (compiled from the working tree, its own process) into committed, chained rows; rate =
 *    N / (time from the first send until the N-th row is committed);
 * 2. verify: M entries (default 1 000 000) of another organization generated with real hashes (the
 *    service's own `entryHash`, RFC 8785 + SHA-256) and inserted with SQL, then
 *    `AuditVerifyService.verifyChain` (what `GET /v1/audit-logs/verify` runs) timed over all of them.
 *
 *   node bench/audit/audit.mjs [--events 20000] [--entries 1000000] [--no-build]
 *
 * The service ingests one transaction per fetched batch and organization (`@OnEventBatch`); the
 * one-transaction-per-event mode it was compared with (`--per-event`, AUDIT_INGEST_BATCH=false) is
 * gone with the chassis' consumers (docs/performance/audit.md keeps its figures). `--entries 0`
 * skips verify.
 *
 * Own database, Kafka mock broker and Redis prefix (bench/lib/infra.mjs), removed at the end.
 * Writes bench/results/audit-<UTC>.json.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { installSignalHandlers, runCleanups } from '../lib/cleanup.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { stopProcess } from '../lib/processes.mjs';
import { auditVerifier, BUILD_DIR, startAuditBench } from './audit-service.mjs';
import { round } from '../lib/stats.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const log = (line) => process.stderr.write(`[audit-bench] ${line}\n`);
const PREFIX = 'bench-audit.';

function options(argv) {
  const o = { events: 20_000, entries: 1_000_000, build: true, database: 'keyhouse_bench_audit' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (['--events', '--entries'].includes(arg)) o[arg.slice(2)] = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

function uuidv7Like(n) {
  // Time-ordered enough for a bench row id; real rows use uuid v7 from @keyhouse/util.
  const hex = n.toString(16).padStart(12, '0');
  return `01900000-${hex.slice(0, 4)}-7${hex.slice(4, 7)}-8${hex.slice(7, 10)}-${hex.slice(10).padStart(12, '0')}`;
}

async function count(pool, orgId) {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM audit.audit_entry WHERE org_id = $1`, [orgId]);
  return rows[0].n;
}

async function ingest(o, env, pool) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'audit-bench', brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const orgId = randomUUID();
  const actor = randomUUID();
  const events = Array.from({ length: o.events }, (_, i) => ({
    specversion: '1.0',
    id: randomUUID(),
    source: 'keyhouse/crm',
    type: 'crm.contact.updated',
    subject: `contact-${i % 500}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataschema: 'urn:keyhouse:event:crm.contact.updated:v1',
    orgid: orgId,
    actortype: 'user',
    actorid: actor,
    actorrole: 'agent',
    requestid: randomUUID(),
    data: {
      contactId: `contact-${i % 500}`,
      changes: { stage: { from: 'lead', to: 'client' }, email: { from: 'a@b.co', to: `n${i}@b.co` } },
    },
  }));
  // Warm the topic and the consumer group before timing.
  await producer.send({
    topic: `${PREFIX}crm.events`,
    acks: -1,
    messages: [{ key: 'warm', value: JSON.stringify({ ...events[0], id: randomUUID(), orgid: randomUUID() }) }],
  });
  await new Promise((resolve) => setTimeout(resolve, 8000));
  const started = Date.now();
  for (let i = 0; i < events.length; i += 1000) {
    await producer.send({
      topic: `${PREFIX}crm.events`,
      acks: -1,
      messages: events.slice(i, i + 1000).map((event) => ({
        key: event.subject,
        value: JSON.stringify(event),
        headers: { ce_id: event.id, ce_type: event.type, ce_source: event.source, ce_specversion: event.specversion },
      })),
    });
  }
  const sentMs = Date.now() - started;
  await producer.disconnect();
  let recorded = 0;
  while ((recorded = await count(pool, orgId)) < o.events) {
    if (Date.now() - started > 30 * 60_000) throw new Error(`only ${recorded} of ${o.events} recorded in 30 min`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const totalMs = Date.now() - started;
  return { events: o.events, sendMs: sentMs, totalMs, entriesPerSecond: round((o.events / totalMs) * 1000, 0), orgId };
}

async function generate(o, pool, buildDir) {
  const { entryHash, GENESIS_HASH } = require(
    path.join(buildDir, 'audit', 'apps', 'audit', 'src', 'modules', 'ledger', 'audit-hash.util.js'),
  );
  const orgId = randomUUID();
  const actor = randomUUID();
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  let prevHash = GENESIS_HASH;
  let hashMs = 0;
  const started = Date.now();
  const BATCH = 1000;
  for (let start = 1; start <= o.entries; start += BATCH) {
    const values = [];
    const tuples = [];
    for (let seq = start; seq < Math.min(start + BATCH, o.entries + 1); seq += 1) {
      const at = new Date(base + seq * 1000).toISOString();
      const entry = {
        id: uuidv7Like(seq),
        orgId,
        seq,
        eventId: `bench-${orgId}-${seq}`,
        action: 'crm.contact.updated',
        actor: { type: 'user', id: actor, role: 'agent' },
        target: { model: 'contact', id: `contact-${seq % 5000}` },
        occurredAt: at,
        recordedAt: at,
        source: 'keyhouse/crm',
        requestId: null,
        ip: '10.0.0.1',
        userAgent: 'bench/1',
        changes: { stage: { from: 'lead', to: 'client' }, email: { from: 'a***@b.co', to: 'n***@b.co' } },
        details: { contactId: `contact-${seq % 5000}` },
        prevHash,
      };
      const t = performance.now();
      const hash = entryHash(entry);
      hashMs += performance.now() - t;
      const row = [
        entry.id,
        orgId,
        seq,
        entry.eventId,
        entry.action,
        'user',
        actor,
        'agent',
        'contact',
        entry.target.id,
        at,
        at,
        entry.source,
        null,
        entry.ip,
        entry.userAgent,
        JSON.stringify(entry.changes),
        JSON.stringify(entry.details),
        prevHash,
        hash,
      ];
      tuples.push(`(${row.map((_, k) => `$${values.length + k + 1}`).join(', ')})`);
      values.push(...row);
      prevHash = hash;
    }
    await pool.query(
      `INSERT INTO audit.audit_entry (id, org_id, seq, event_id, action, actor_type, actor_id, actor_role, target_model, target_id,
         occurred_at, recorded_at, source, request_id, ip, user_agent, changes, details, prev_hash, hash) VALUES ${tuples.join(', ')}`,
      values,
    );
    if (start % 100_000 === 1 && start > 1) log(`generated ${start - 1} entries`);
  }
  await pool.query('ANALYZE audit.audit_entry');
  return { orgId, headHash: prevHash, generateMs: Date.now() - started, hashMs: round(hashMs, 0) };
}

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  const { infraEnv, audit, pool } = await startAuditBench({
    name: 'bench-audit',
    prefix: PREFIX,
    healthPort: 3185,
    database: o.database,
    build: o.build,
    log,
  });

  log(`ingest: ${o.events} events → crm.events → audit`);
  const ingestResult = await ingest(o, infraEnv, pool);
  log(`ingest: ${ingestResult.entriesPerSecond} entries/s (${ingestResult.totalMs} ms)`);
  await stopProcess(audit);

  if (o.entries === 0) {
    const output = { benchmark: 'audit', at: new Date().toISOString(), machine: machineInfo(ROOT), options: o, ingest: ingestResult };
    const file = path.join(ROOT, 'bench', 'results', `audit-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
    fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
    log(`results in ${path.relative(ROOT, file)}`);
    process.stdout.write(`${JSON.stringify({ ingest: ingestResult }, null, 2)}\n`);
    return;
  }
  log(`verify: generating ${o.entries} chained entries`);
  const generated = await generate(o, pool, BUILD_DIR);
  log(`generated in ${generated.generateMs} ms (hashing ${generated.hashMs} ms)`);
  const verifier = auditVerifier(pool);
  const runs = [];
  for (let run = 0; run < 2; run += 1) {
    const t = Date.now();
    const result = await verifier.verifyChain(generated.orgId);
    const ms = Date.now() - t;
    if (!result.ok || result.count !== o.entries || result.headHash !== generated.headHash)
      throw new Error(`verify failed: ${JSON.stringify(result)}`);
    runs.push({ ms, rowsPerSecond: round((o.entries / ms) * 1000, 0) });
    log(`verify run ${run + 1}: ${ms} ms (${runs[run].rowsPerSecond} rows/s)`);
  }
  const output = {
    benchmark: 'audit',
    at: new Date().toISOString(),
    machine: machineInfo(ROOT),
    options: o,
    ingest: ingestResult,
    verify: { entries: o.entries, generateMs: generated.generateMs, hashMs: generated.hashMs, runs },
  };
  const file = path.join(ROOT, 'bench', 'results', `audit-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);
  process.stdout.write(`${JSON.stringify({ ingest: ingestResult, verify: output.verify }, null, 2)}\n`);
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
