/**
 * Reference 1, the raw Postgres lookup rate: `concurrency` async loops share a `pg` Pool (max 8 by
 * default) and run the same named prepared statement as identity's `GET /v1/users/me` for a fixed
 * time, after a warm-up, counting completions and recording each latency.
 *
 * Used as a module (`runPgLoop`) or as its own process, as `npm run bench` runs it:
 *   node bench/lib/pg-loop.mjs '<json config>'   → prints one JSON line with the result
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Samples, round } from './stats.mjs';

/**
 * @param {{ connectionString: string, options?: string, statementName: string, sql: string,
 *   values: unknown[], concurrency: number, poolSize?: number, warmupMs: number, durationMs: number }} config
 */
export async function runPgLoop(config) {
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    options: config.options,
    max: config.poolSize ?? 8,
    application_name: 'bench-raw-pg',
  });
  pool.on('error', () => {});
  const query = { name: config.statementName, text: config.sql, values: config.values };
  try {
    const check = await pool.query(query);
    if (check.rows.length !== 1) throw new Error(`the lookup returned ${check.rows.length} rows, expected 1`);

    let phase = 'warmup';
    let completed = 0;
    let errors = 0;
    let firstError = null;
    const samples = new Samples();
    const loop = async () => {
      while (phase !== 'done') {
        const started = performance.now();
        try {
          await pool.query(query);
          if (phase === 'measure') {
            samples.push(performance.now() - started);
            completed += 1;
          }
        } catch (error) {
          if (phase === 'measure') errors += 1;
          firstError ??= error.message;
        }
      }
    };
    const loops = Array.from({ length: config.concurrency }, loop);
    await new Promise((resolve) => setTimeout(resolve, config.warmupMs));
    phase = 'measure';
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, config.durationMs));
    const elapsedMs = performance.now() - t0;
    const countAtEnd = completed;
    phase = 'done';
    await Promise.all(loops);
    const latency = samples.summary();
    return {
      opsPerSec: round((countAtEnd / elapsedMs) * 1000, 1),
      operations: countAtEnd,
      durationMs: round(elapsedMs, 0),
      errors,
      firstError,
      latencyMs: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, k === 'count' ? v : round(v, 3)])),
    };
  } finally {
    await pool.end().catch(() => {});
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = JSON.parse(process.argv[2] ?? process.env.BENCH_PG_LOOP ?? 'null');
  if (!config) {
    process.stderr.write("usage: node bench/lib/pg-loop.mjs '<json config>'\n");
    process.exit(64);
  }
  const hardStop = setTimeout(
    () => {
      process.stderr.write('pg-loop: did not finish in time\n');
      process.exit(1);
    },
    config.warmupMs + config.durationMs + 30_000,
  );
  hardStop.unref();
  runPgLoop(config).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0);
    },
    (error) => {
      process.stderr.write(`pg-loop failed: ${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
