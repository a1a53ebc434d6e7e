#!/usr/bin/env node
/**
 * `npm run bench [-- options]`: runs every benchmark (for now: read-path), one after another.
 * Not part of `npm test`. Cleans up after itself (child processes, bench database, Kafka mock,
 * Redis keys) also on failure and Ctrl-C. See bench/README.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installSignalHandlers, runCleanups } from './lib/cleanup.mjs';
import { writeDocSection } from './lib/docs.mjs';
import { renderDocs, runReadPath } from './read-path.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const BENCHMARKS = { 'read-path': runReadPath };

const USAGE = `usage: npm run bench -- [options]

  --only <name>          run one benchmark (${Object.keys(BENCHMARKS).join(', ')}); default: all
  --duration <s>         measured seconds per variant (default 20)
  --warmup <s>           warm-up seconds before each measurement (default 5)
  --connections <list>   wrk connections / pg loops, comma-separated (default 16,64)
  --rounds <n>           repeat the measurements; figures are the median round (default 5; each round in processes started afresh)
  --threads <n>          wrk threads (default 2)
  --profile              also take V8 CPU profiles of gateway and identity, then of the hand-written chain, under load
  --no-build             reuse bench/.build instead of compiling the apps again
  --no-docs              do not rewrite docs/performance.md
  --quick                smoke test: --duration 5 --warmup 2 --connections 64 --no-docs
  --docs-from <file>     only rewrite the read-path section of docs/performance.md from a saved
                         result (bench/results/read-path-*.json), without measuring
  -h, --help             this text
`;

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      rounds: { type: 'string' },
      profile: { type: 'boolean' },
      'no-build': { type: 'boolean' },
      'no-docs': { type: 'boolean' },
      quick: { type: 'boolean' },
      'docs-from': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const positive = (name, text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, not "${text}"`);
    return n;
  };
  const o = {};
  if (values.quick) Object.assign(o, { durationSeconds: 5, warmupSeconds: 2, connections: [64], writeDocs: false });
  if (values.duration) o.durationSeconds = positive('duration', values.duration);
  if (values.warmup) o.warmupSeconds = positive('warmup', values.warmup);
  if (values.threads) o.threads = positive('threads', values.threads);
  if (values.rounds) o.rounds = positive('rounds', values.rounds);
  if (values.connections) o.connections = values.connections.split(',').map((c) => positive('connections', c.trim()));
  if (values.profile) o.profile = true;
  if (values['no-build']) o.build = false;
  if (values['no-docs']) o.writeDocs = false;
  if (values.only && !BENCHMARKS[values.only])
    throw new Error(`unknown benchmark "${values.only}"; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  const argv = process.argv.slice(2);
  o.command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  return { only: values.only, overrides: o, docsFrom: values['docs-from'] };
}

async function main() {
  installSignalHandlers();
  const { only, overrides, docsFrom } = options();
  if (docsFrom) {
    const file = path.resolve(docsFrom);
    const result = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (result.benchmark !== 'read-path') throw new Error(`${docsFrom} is not a read-path result`);
    writeDocSection(path.join(ROOT, 'docs', 'performance.md'), 'read-path', renderDocs(result, path.relative(ROOT, file)));
    process.stdout.write(`docs/performance.md: read-path section rewritten from ${path.relative(ROOT, file)}\n`);
    return;
  }
  const names = only ? [only] : Object.keys(BENCHMARKS);
  let failed = false;
  for (const name of names) {
    try {
      const { result, resultFile } = await BENCHMARKS[name](overrides);
      printSummary(result, resultFile);
    } catch (error) {
      failed = true;
      process.stderr.write(`[bench] ${name} failed: ${error?.stack ?? error}\n`);
    } finally {
      await runCleanups();
    }
  }
  process.exit(failed ? 1 : 0);
}

function printSummary(r, file) {
  const rows = [];
  for (const key of ['gateway', 'chain', 'rawPg']) {
    for (const x of r.summary[key]) {
      rows.push(
        `  ${r.variants[key].padEnd(58)} c=${String(x.concurrency).padStart(3)}  ${String(x.requestsPerSec).padStart(9)} req/s  p50 ${String(x.p50Ms).padStart(6)} ms  p99 ${String(x.p99Ms).padStart(7)} ms`,
      );
    }
  }
  for (const x of r.ratios) {
    const cpu =
      x.chainCpuVsReadPathCpu === null ? '' : `, chain CPU / read-path CPU per request ${(x.chainCpuVsReadPathCpu * 100).toFixed(1)} %`;
    rows.push(
      `  c=${x.concurrency}: read path / hand-written chain ${(x.readPathVsChain * 100).toFixed(1)} %, read path / raw pg ${(x.readPathVsRawPg * 100).toFixed(1)} %${cpu}`,
    );
  }
  rows.push(`  target ≥ 95 % of the hand-written chain at c=${r.target.atConcurrency}: ${r.target.met ? 'MET' : 'NOT MET'}`);
  process.stdout.write(
    `\n${r.benchmark} (${r.endpoint}) on ${r.machine.nproc} × ${r.machine.cpuModel}, Node ${r.machine.node}\n${rows.join('\n')}\n  → ${file}\n`,
  );
}

main().catch(async (error) => {
  process.stderr.write(`[bench] ${error?.message ?? error}\n`);
  await runCleanups();
  process.exit(1);
});
