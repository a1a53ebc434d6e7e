#!/usr/bin/env node
/**
 * Audit trail under concurrent producers (RELIABILITY.md SEC-AL-01): P producers (default 16), each
 * its own Kafka producer, publish E events in total (default 100 000) of O organizations (default
 * 4, interleaved) to `crm.events` at the same time; the audit service (compiled from the working
 * tree, its own process, batch ingest) records them. Then, per organization: 0 gaps in `seq`
 * (count = max(seq) = distinct seq), 0 forks (no `prev_hash` used twice), every produced event id
 * once, and `AuditVerifyService.verifyChain` (what `GET /v1/audit-logs/verify` runs) ok.
 *
 *   node bench/audit/concurrency.mjs [--events 100000] [--producers 16] [--orgs 4] [--no-build]
 *
 * The local mock broker keeps only ~7,000 messages per partition (docs/performance/audit.md), so
 * producers pause while more than `--max-lag` (default 12 000) events are published but not yet
 * recorded; the rate is end to end (first send → last commit).
 * Own database, Kafka mock broker and Redis prefix (bench/lib/infra.mjs), removed at the end.
 * Writes bench/results/audit-concurrency-<UTC>.json.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { installSignalHandlers, runCleanups } from '../lib/cleanup.mjs';
import { machineInfo } from '../lib/machine.mjs';
import { stopProcess } from '../lib/processes.mjs';
import { auditVerifier, startAuditBench } from './audit-service.mjs';
import { round } from '../lib/stats.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const log = (line) => process.stderr.write(`[audit-concurrency] ${line}\n`);
const PREFIX = 'bench-auditc.';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function options(argv) {
  const o = { events: 100_000, producers: 16, orgs: 4, maxLag: 12_000, build: true, database: 'keyhouse_bench_audit_concurrency' };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--no-build') o.build = false;
    else if (['--events', '--producers', '--orgs'].includes(arg)) o[arg.slice(2)] = Number(argv[++i]);
    else if (arg === '--max-lag') o.maxLag = Number(argv[++i]);
    else throw new Error(`unknown option ${arg}`);
  }
  return o;
}

function event(orgId, producer, i) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'keyhouse/crm',
    type: 'crm.contact.updated',
    subject: `contact-${producer}-${i % 200}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    dataschema: 'urn:keyhouse:event:crm.contact.updated:v1',
    orgid: orgId,
    actortype: 'user',
    actorid: `agent-${producer}`,
    actorrole: 'agent',
    data: { changes: { stage: { from: 'lead', to: `stage-${i}` } } },
  };
}

async function main() {
  installSignalHandlers();
  const o = options(process.argv.slice(2));
  const { infraEnv, audit, pool } = await startAuditBench({
    name: 'bench-auditc',
    prefix: PREFIX,
    healthPort: 3186,
    database: o.database,
    build: o.build,
    log,
  });

  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'audit-concurrency-bench', brokers: infraEnv.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
  const orgIds = Array.from({ length: o.orgs }, () => randomUUID());
  const perProducer = Math.ceil(o.events / o.producers);
  const batches = Array.from({ length: o.producers }, (_, p) =>
    Array.from({ length: Math.min(perProducer, o.events - p * perProducer) }, (_, i) => event(orgIds[(p + i) % o.orgs], p, i)),
  );
  const total = batches.reduce((sum, list) => sum + list.length, 0);
  const producers = await Promise.all(
    batches.map(async () => {
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      return producer;
    }),
  );
  // warm the topic and the consumer group
  await producers[0].send({
    topic: `${PREFIX}crm.events`,
    acks: -1,
    messages: [{ key: 'warm', value: JSON.stringify(event(randomUUID(), 0, 0)) }],
  });
  await sleep(8000);

  let recorded = 0;
  let sent = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM audit_entry WHERE org_id = ANY($1::uuid[])`, [orgIds]);
      recorded = rows[0].n;
      await sleep(200);
    }
  })();
  log(`${o.producers} producers × ${perProducer} events of ${o.orgs} organizations → crm.events → audit`);
  const started = Date.now();
  let pausedMs = 0;
  await Promise.all(
    producers.map(async (producer, p) => {
      for (let i = 0; i < batches[p].length; i += 250) {
        while (sent - recorded > o.maxLag) {
          await sleep(50);
          pausedMs += 50;
        }
        const chunk = batches[p].slice(i, i + 250);
        sent += chunk.length;
        await producer.send({
          topic: `${PREFIX}crm.events`,
          acks: -1,
          messages: chunk.map((e) => ({ key: e.subject, value: JSON.stringify(e), headers: { ce_id: e.id, ce_type: e.type } })),
        });
      }
    }),
  );
  const sendMs = Date.now() - started;
  while (recorded < total) {
    if (Date.now() - started > 20 * 60_000) throw new Error(`only ${recorded} of ${total} recorded in 20 min`);
    await sleep(100);
  }
  const totalMs = Date.now() - started;
  polling = false;
  await poller;
  await Promise.all(producers.map((producer) => producer.disconnect()));
  log(`recorded ${total} in ${totalMs} ms (${round((total / totalMs) * 1000, 0)} entries/s)`);
  await stopProcess(audit);

  const verifier = auditVerifier(pool);
  const ids = batches.flat().map((e) => e.id);
  const chains = [];
  for (const orgId of orgIds) {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n, max(seq)::int AS head, count(DISTINCT seq)::int AS seqs, count(DISTINCT prev_hash)::int AS prevs,
              count(*) FILTER (WHERE event_id = ANY($2))::int AS produced
         FROM audit_entry WHERE org_id = $1`,
      [orgId, ids],
    );
    const chain = rows[0];
    const t = Date.now();
    const verify = await verifier.verifyChain(orgId);
    chains.push({
      orgId,
      ...chain,
      gaps: chain.head - chain.seqs,
      forks: chain.n - chain.prevs,
      verifyOk: verify.ok,
      verifyMs: Date.now() - t,
    });
  }
  const duplicates = (
    await pool.query(`SELECT count(*)::int AS n FROM (SELECT event_id FROM audit_entry GROUP BY event_id HAVING count(*) > 1) d`)
  ).rows[0].n;
  const pass =
    chains.every((c) => c.gaps === 0 && c.forks === 0 && c.verifyOk && c.n === c.head) &&
    chains.reduce((sum, c) => sum + c.produced, 0) === total &&
    duplicates === 0;
  const output = {
    benchmark: 'audit-concurrency',
    at: new Date().toISOString(),
    machine: machineInfo(ROOT),
    options: o,
    result: {
      events: total,
      sendMs,
      totalMs,
      producerPausedMsSummed: pausedMs,
      entriesPerSecond: round((total / totalMs) * 1000, 0),
      duplicates,
      chains,
      pass,
    },
  };
  const file = path.join(ROOT, 'bench', 'results', `audit-concurrency-${output.at.replace(/[:.]/g, '-').slice(0, 19)}Z.json`);
  fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  log(`results in ${path.relative(ROOT, file)}`);
  process.stdout.write(`${JSON.stringify(output.result, null, 2)}\n`);
  if (!pass) process.exitCode = 1;
}

main()
  .catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => runCleanups());
