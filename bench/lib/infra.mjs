import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { onCleanup } from './cleanup.mjs';

/**
 * The benchmark's slice of the local infrastructure, prepared by `deploy/infra.js` and undone at
 * the end: its own database (dropped, also when a previous run left it behind), its own Kafka mock
 * broker (state in a temporary folder, so the shared `tmp/infra.env` and broker are left alone),
 * and Redis keys under its prefix (deleted).
 *
 * @returns {Promise<{ env: Record<string, string>, stateDir: string }>} the infra KEY=value set
 */
export async function prepareBenchInfra(root, { database, redisKeyPrefix, log }) {
  const require = createRequire(path.join(root, 'deploy', 'infra.js'));
  const infra = require(path.join(root, 'deploy', 'infra.js'));
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kh-bench-infra-'));
  onCleanup('remove infra state dir', () => fs.rmSync(stateDir, { recursive: true, force: true }));

  await infra.dropDatabase(database); // a leftover of an interrupted run
  onCleanup(`drop database ${database}`, async () => {
    await infra.dropDatabase(database);
    log?.(`dropped database ${database}`);
  });
  if (!process.env.KAFKA_BROKERS) onCleanup('stop bench Kafka broker', () => infra.stopLocalKafka(stateDir));
  const env = await infra.prepareInfrastructure({ database, stateDir, log: (line) => log?.(line.replace(/^\[infra\]\s*/, 'infra: ')) });

  onCleanup(`delete Redis keys ${redisKeyPrefix}*`, () => deleteRedisKeys(root, env.REDIS_URL, redisKeyPrefix));
  return { env, stateDir };
}

async function deleteRedisKeys(root, url, prefix) {
  const Redis = createRequire(path.join(root, 'package.json'))('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A pg client for the `postgres` maintenance database, as the superuser the infra script uses. */
function adminClient(root, env) {
  const { Client } = createRequire(path.join(root, 'package.json'))('pg');
  return new Client({
    host: env.PGHOST,
    port: Number(env.PGPORT),
    user: process.env.PGUSER || 'postgres',
    password: process.env.PGPASSWORD || undefined,
    database: 'postgres',
  });
}

/** Server versions of Postgres and NATS, for the record. */
export async function infraVersions(root, env) {
  const require = createRequire(path.join(root, 'package.json'));
  const out = { postgres: null, nats: null };
  const client = adminClient(root, env);
  try {
    await client.connect();
    out.postgres = (await client.query('SHOW server_version')).rows[0].server_version;
  } catch {
    /* not essential */
  } finally {
    await client.end().catch(() => {});
  }
  try {
    const { connect } = require('nats');
    const nc = await connect({ servers: env.NATS_URL, timeout: 3000 });
    out.nats = nc.info?.version ?? null;
    await nc.close();
  } catch {
    /* not essential */
  }
  return out;
}

/** Postgres backends connected to `database`: pid → application_name (CPU accounting). */
export async function backendPids(root, env, database) {
  const client = adminClient(root, env);
  try {
    await client.connect();
    const { rows } = await client.query(
      'SELECT pid, application_name FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return new Map(rows.map((r) => [Number(r.pid), r.application_name || 'unnamed']));
  } finally {
    await client.end().catch(() => {});
  }
}
