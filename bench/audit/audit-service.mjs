/**
 * Start-up shared by the audit benchmarks: the audit service compiled from the working tree into
 * bench/.build, its own database, Kafka mock and prefixes, started in production mode, and a pg
 * pool on its schema as the superuser (to count and generate rows). Everything is stopped, closed
 * and removed by the bench's clean-up.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildApps, mainOf } from '../lib/build.mjs';
import { onCleanup } from '../lib/cleanup.mjs';
import { prepareBenchInfra } from '../lib/infra.mjs';
import { startNode, stopProcess, waitHttpOk } from '../lib/processes.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILD_DIR = path.join(ROOT, 'bench', '.build');
const require = createRequire(path.join(ROOT, 'package.json'));

/** The runtime URL with the schema owner as user (local trust authentication). */
function ownerUrl(runtimeUrl) {
  const url = new URL(runtimeUrl);
  url.username = 'keyhouse_audit_owner';
  url.password = '';
  return url.toString();
}

/**
 * Builds (unless `build` is false and a build exists) and starts the audit service on
 * `healthPort` with NATS/Kafka prefix `prefix` and Redis keys `kh-<name>:`; `extraEnv` adds
 * variables. Resolves with `{ infraEnv, audit, pool }` once the service is ready.
 */
export async function startAuditBench({ name, prefix, healthPort, database, build, extraEnv = {}, log }) {
  const main = mainOf(BUILD_DIR, 'audit');
  if (build || !fs.existsSync(main)) buildApps(ROOT, ['audit'], BUILD_DIR, log);

  const redisKeyPrefix = `kh-${name}:`;
  const { env: infraEnv } = await prepareBenchInfra(ROOT, { database, redisKeyPrefix, log });
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), `kh-${name}-logs-`));
  onCleanup('remove logs', () => fs.rmSync(logDir, { recursive: true, force: true }));
  const env = {
    ...process.env,
    ...infraEnv,
    NODE_ENV: 'production',
    NATS_SUBJECT_PREFIX: prefix,
    KAFKA_TOPIC_PREFIX: prefix,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    LOG_LEVEL: 'warn',
    HEALTH_PORT: String(healthPort),
    AUDIT_CHECKPOINT_EVERY_MS: '3600000',
    // production mode wants the owner's URL explicitly (docs/adr/0020)
    AUDIT_MIGRATION_DATABASE_URL: ownerUrl(infraEnv.AUDIT_DATABASE_URL),
    // and a signing key of its own (the development key is refused in production)
    AUDIT_CHECKPOINT_SIGNING_KEY: `bench:${randomBytes(32).toString('base64')}`,
    AUDIT_ARCHIVE_DIR: path.join(logDir, 'archive'),
    ...extraEnv,
  };
  delete env.NODE_OPTIONS;
  const audit = startNode('audit', main, { env, cwd: ROOT, logDir });
  onCleanup('stop audit', () => stopProcess(audit));
  await waitHttpOk(`http://127.0.0.1:${healthPort}/health/ready`, audit);

  const pg = require('pg');
  const pool = new pg.Pool({
    host: infraEnv.PGHOST,
    port: Number(infraEnv.PGPORT),
    user: process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    database,
    max: 4,
    options: '-c search_path=audit',
  });
  onCleanup('close pool', () => pool.end());
  return { infraEnv, audit, pool };
}

/** The audit service's `AuditVerifyService` from the build, over `pool`. */
export function auditVerifier(pool) {
  const { AuditVerifyService } = require(
    path.join(BUILD_DIR, 'audit', 'apps', 'audit', 'src', 'modules', 'logs', 'audit-verify.service.js'),
  );
  return new AuditVerifyService({ query: async (sql, params) => (await pool.query(sql, params)).rows });
}
