'use strict';

/**
 * Makes this machine ready to run Keyhouse: Debian packages, Postgres (database, extensions,
 * one schema and one login role per service), Redis, NATS and a Kafka-protocol broker.
 * Used by `npm start` and `npm test` (and Jest setup files); safe to run again and again.
 *
 * Run directly: `node deploy/infra.js` prints the resulting `KEY=value` lines and a summary.
 *
 * Only node built-ins at load time; `pg`, `ioredis` and `nats` are required lazily.
 */

const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');
const { spawn, execFileSync } = require('node:child_process');
const { SERVICES } = require('./services');

const REPO_ROOT = path.resolve(__dirname, '..');
const DEFAULT_STATE_DIR = path.join(REPO_ROOT, 'tmp');
const CHECK_TIMEOUT_MS = 3000;
const EXTENSIONS = ['postgis', 'pg_trgm', 'citext', 'fuzzystrmatch'];
const KAFKA_STATE_FILE = 'kafka-mock.json';
const KAFKA_LOG_FILE = 'kafka-mock.log';
const KAFKA_KEEPALIVE_TOPIC = 'keyhouse.mock-keepalive';
// Advisory-lock keys (arbitrary constants). Role changes are taken in the `postgres` database so
// they are serialised cluster-wide; per-database work is serialised inside that database.
const LOCK_ROLES = 0x4b480001;
const LOCK_DATABASE = 0x4b480002;

// ---------------------------------------------------------------------------------------------
// small helpers

/** 'deals-commission' -> 'DEALS_COMMISSION' */
function upperSnake(name) {
  return String(name)
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_|_$/g, '')
    .toUpperCase();
}

/** Quotes a Postgres identifier ("a""b"). */
function quoteIdent(name) {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) {
    throw new Error(`Invalid SQL identifier: ${JSON.stringify(name)}`);
  }
  return '"' + name.replace(/"/g, '""') + '"';
}

/** Quotes a Postgres string literal; uses E'' when backslashes are present (like pg's escapeLiteral). */
function quoteLiteral(value) {
  const s = String(value);
  if (s.includes('\0')) throw new Error('NUL byte in SQL literal');
  const body = s.replace(/'/g, "''");
  return s.includes('\\') ? `E'${body.replace(/\\/g, '\\\\')}'` : `'${body}'`;
}

function pgConfig(env) {
  return {
    host: env.PGHOST || '127.0.0.1',
    port: Number(env.PGPORT || 5432),
    user: env.PGUSER || 'postgres',
    password: env.PGPASSWORD || undefined,
  };
}

function isLocalHost(host) {
  return ['127.0.0.1', 'localhost', '::1', ''].includes(host) || host.startsWith('/');
}

function hostForUrl(host) {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => {
        const e = new Error(`${what}: timeout after ${ms} ms`);
        e.code = 'ETIMEDOUT';
        reject(e);
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function errCode(err) {
  if (!err) return 'unknown error';
  if (err.code === 'ETIMEDOUT' || /timeout/i.test(err.message || '')) return `timeout after ${CHECK_TIMEOUT_MS} ms`;
  if (err.code && !/^\d/.test(String(err.code))) return String(err.code);
  // aggregated connection errors (node tries IPv4 and IPv6 for "localhost")
  if (Array.isArray(err.errors) && err.errors[0] && err.errors[0].code) return err.errors[0].code;
  return err.code ? `${err.code}: ${err.message}` : err.message;
}

/** TCP connect test. Resolves true/false, never throws. */
function canConnect(host, port, timeoutMs = CHECK_TIMEOUT_MS) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: Number(port) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function parseHostPort(url, defPort) {
  try {
    const u = new URL(url);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || defPort) };
  } catch {
    return { host: String(url), port: defPort };
  }
}

/**
 * Finds the local Postgres cluster (major version and cluster name) for hints and package names.
 * Prefers Debian's `pg_lsclusters` (matches PGPORT), then /usr/lib/postgresql/<N>, then
 * `pg_config --version` (which reports the libpq version, not necessarily the server's), then 15.
 */
function detectPgCluster(env = process.env) {
  const port = Number(env.PGPORT || 5432);
  if (env.PG_MAJOR) return { major: String(env.PG_MAJOR), cluster: env.PG_CLUSTER || 'main', known: true };
  try {
    const out = execFileSync('pg_lsclusters', ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const rows = out
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((r) => r.length >= 3 && /^\d+$/.test(r[0]));
    const row = rows.find((r) => Number(r[2]) === port) || rows[0];
    if (row) return { major: row[0], cluster: row[1], known: true };
  } catch {
    /* not Debian's postgresql-common, or not installed */
  }
  try {
    const majors = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((d) => /^\d+$/.test(d) && fs.existsSync(`/usr/lib/postgresql/${d}/bin/postgres`))
      .sort((a, b) => Number(b) - Number(a));
    if (majors.length) return { major: majors[0], cluster: 'main', known: true };
  } catch {
    /* no server installed */
  }
  try {
    const out = execFileSync('pg_config', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const m = /PostgreSQL (\d+)/.exec(out);
    if (m) return { major: m[1], cluster: 'main', known: false };
  } catch {
    /* no pg_config */
  }
  return { major: '15', cluster: 'main', known: false };
}

function aptCommand(packages) {
  return `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages.join(' ')}`;
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 2, 2], ...opts });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${signal || `exit ${code}`})`)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Debian packages

/**
 * Installs the Debian packages Keyhouse needs when they are missing: `kcat` (the local Kafka
 * broker; skipped when KAFKA_BROKERS is set) and PostGIS for the local Postgres major version
 * (`postgresql-<N>-postgis-3`, checked via /usr/share/postgresql/<N>/extension/postgis.control;
 * skipped when PGHOST is not local).
 *
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @param {{ log?: (line: string) => void }} [options] log: receives the one-line note (default: stderr)
 * @returns {Promise<{ installed: string[] }>} the packages that were installed (empty when none were missing)
 * @throws {Error} when packages are missing and the process is not root (the message holds the
 *   exact apt-get command to run), or when apt-get fails.
 */
async function ensureDebianPackages(env = process.env, { log = (l) => console.error(l) } = {}) {
  const missing = [];
  const pg = pgConfig(env);
  if (isLocalHost(pg.host)) {
    const { major } = detectPgCluster(env);
    if (!fs.existsSync(`/usr/share/postgresql/${major}/extension/postgis.control`)) {
      missing.push(`postgresql-${major}-postgis-3`);
    }
  }
  if (!env.KAFKA_BROKERS && !which('kcat')) missing.push('kcat');
  if (missing.length === 0) return { installed: [] };

  const cmd = aptCommand(missing);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(`Missing Debian packages: ${missing.join(', ')}. Install them as root: sudo sh -c '${cmd}'`);
  }
  if (!which('apt-get')) {
    throw new Error(`Missing packages ${missing.join(', ')} and apt-get is not available; install them by hand.`);
  }
  log(`[infra] installing missing Debian packages: ${missing.join(' ')}`);
  await run('apt-get', ['update', '-qq']);
  await run('apt-get', ['install', '-y', '-qq', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return { installed: missing };
}

// ---------------------------------------------------------------------------------------------
// service checks

async function checkPostgres(env) {
  const { Client } = require('pg');
  const cfg = pgConfig(env);
  const client = new Client({ ...cfg, database: 'postgres', connectionTimeoutMillis: CHECK_TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), CHECK_TIMEOUT_MS + 500, 'postgres connect');
    const { rows } = await withTimeout(client.query('SHOW server_version_num'), CHECK_TIMEOUT_MS, 'postgres query');
    return { serverVersionNum: Number(rows[0].server_version_num) };
  } catch (err) {
    const where = `${cfg.host}:${cfg.port}`;
    if (err.code === '28000' || err.code === '28P01') {
      throw new Error(
        `Postgres at ${where} refused login as "${cfg.user}" (${err.code}: ${err.message}). Set PGUSER/PGPASSWORD to a superuser.`,
      );
    }
    let hint;
    if (!isLocalHost(cfg.host)) hint = 'Check PGHOST/PGPORT and that the server is up.';
    else {
      const { major, cluster } = detectPgCluster(env);
      const start = `pg_ctlcluster --skip-systemctl-redirect ${major} ${cluster} start`;
      hint = fs.existsSync(`/usr/lib/postgresql/${major}/bin/postgres`)
        ? `Start it: ${start}`
        : `Install it: ${aptCommand([`postgresql-${major}`, `postgresql-${major}-postgis-3`])}; then start it: ${start}`;
    }
    throw new Error(`Postgres is not reachable at ${where} (${errCode(err)}). ${hint}`);
  } finally {
    client.end().catch(() => {});
  }
}

async function checkRedis(env) {
  const Redis = require('ioredis');
  const url = env.REDIS_URL || 'redis://127.0.0.1:6379';
  const { host, port } = parseHostPort(url, 6379);
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CHECK_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  let lastError = null;
  redis.on('error', (err) => (lastError = err));
  try {
    await withTimeout(redis.connect(), CHECK_TIMEOUT_MS + 500, 'redis connect');
    const pong = await withTimeout(redis.ping(), CHECK_TIMEOUT_MS, 'redis ping');
    if (pong !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(pong)}`);
    let maxmemoryPolicy = null;
    try {
      const reply = await withTimeout(redis.config('GET', 'maxmemory-policy'), CHECK_TIMEOUT_MS, 'redis config');
      maxmemoryPolicy = Array.isArray(reply) && reply.length >= 2 ? String(reply[1]) : null;
    } catch {
      /* CONFIG may be disabled on managed Redis; not fatal */
    }
    return { maxmemoryPolicy };
  } catch (err) {
    const hint = isLocalHost(host)
      ? `Start it: redis-server --daemonize yes --bind 127.0.0.1 --port ${port} --save "" --appendonly no` +
        (which('redis-server') ? '' : ` (install first: ${aptCommand(['redis-server'])})`)
      : 'Check REDIS_URL and that the server is up.';
    // ioredis rejects with "Connection is closed."; the socket error came through the 'error' event
    const cause = lastError && /closed/i.test(err.message || '') ? lastError : err;
    throw new Error(`Redis is not reachable at ${host}:${port} (${errCode(cause)}). ${hint}`);
  } finally {
    // after a failed connect the socket is gone; disconnect() would arm a 2 s timer that waits
    // for a 'close' event that never comes and keeps the process alive
    if (redis.status !== 'end') redis.disconnect();
  }
}

async function checkNats(env) {
  const { connect } = require('nats');
  const url = env.NATS_URL || 'nats://127.0.0.1:4222';
  const { host, port } = parseHostPort(url, 4222);
  let nc;
  try {
    nc = await withTimeout(
      connect({ servers: url, timeout: CHECK_TIMEOUT_MS, reconnect: false, maxReconnectAttempts: 0 }),
      CHECK_TIMEOUT_MS + 500,
      'nats connect',
    );
    await withTimeout(nc.flush(), CHECK_TIMEOUT_MS, 'nats flush');
    return { server: nc.info ? { version: nc.info.version, jetstream: !!nc.info.jetstream } : null };
  } catch (err) {
    const hint = isLocalHost(host)
      ? `Start it: start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p ${port} -js` +
        (fs.existsSync('/usr/sbin/nats-server') ? '' : ` (install first: ${aptCommand(['nats-server'])})`)
      : 'Check NATS_URL and that the server is up.';
    throw new Error(`NATS is not reachable at ${host}:${port} (${errCode(err)}). ${hint}`);
  } finally {
    if (nc) await nc.close().catch(() => {});
  }
}

/**
 * Checks that Postgres (superuser login to database `postgres`), Redis (PING) and NATS (connect +
 * flush) are reachable, each with a 3 s timeout, all in parallel. Also reads Redis'
 * `maxmemory-policy` and warns (does not fail) when it is not `noeviction` (Bull needs it).
 *
 * Env: PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), PGPASSWORD (optional),
 * REDIS_URL (redis://127.0.0.1:6379), NATS_URL (nats://127.0.0.1:4222).
 *
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @param {{ warn?: (line: string) => void }} [options] warn: receives warning lines (default: stderr)
 * @returns {Promise<{ postgres: { serverVersionNum: number }, redis: { maxmemoryPolicy: string|null },
 *   nats: { server: object|null }, warnings: string[] }>}
 * @throws {Error} naming every unreachable service, one line each, with the command that starts it
 *   on Debian; `err.missing` lists the names ('Postgres', 'Redis', 'NATS').
 */
async function checkServices(env = process.env, { warn = (l) => console.error(l) } = {}) {
  const names = ['Postgres', 'Redis', 'NATS'];
  const results = await Promise.allSettled([checkPostgres(env), checkRedis(env), checkNats(env)]);
  const failed = results.map((r, i) => [names[i], r]).filter(([, r]) => r.status === 'rejected');
  if (failed.length) {
    const err = new Error(failed.map(([, r]) => r.reason.message).join('\n'));
    err.missing = failed.map(([n]) => n);
    throw err;
  }
  const [postgres, redis, nats] = results.map((r) => r.value);
  const warnings = [];
  if (redis.maxmemoryPolicy && redis.maxmemoryPolicy !== 'noeviction') {
    warnings.push(
      `[infra] warning: Redis maxmemory-policy is "${redis.maxmemoryPolicy}", Bull needs "noeviction" ` +
        '(redis-cli config set maxmemory-policy noeviction)',
    );
  }
  warnings.forEach((w) => warn(w));
  return { postgres, redis, nats, warnings };
}

// ---------------------------------------------------------------------------------------------
// Postgres

async function adminClient(env, database = 'postgres') {
  const { Client } = require('pg');
  const client = new Client({ ...pgConfig(env), database, connectionTimeoutMillis: 10000 });
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function step(what, fn) {
  try {
    return await fn();
  } catch (err) {
    const e = new Error(`${what} failed: ${err.message}${err.code ? ` (${err.code})` : ''}`);
    e.code = err.code;
    e.cause = err;
    throw e;
  }
}

/**
 * Prepares one Postgres database for Keyhouse (idempotent, safe against concurrent callers):
 * creates `database` if missing; creates extensions postgis, pg_trgm, citext and fuzzystrmatch in schema public;
 * `REVOKE CREATE ON SCHEMA public FROM PUBLIC`; and for every service with a schema: a LOGIN role
 * (NOSUPERUSER, no CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS; password from `<NAME>_DB_PASSWORD`
 * when set, e.g. IDENTITY_DB_PASSWORD; an existing password is kept when unset), its schema owned
 * by that role with no rights for PUBLIC nor for the other service roles, CONNECT on the database,
 * and `search_path = <schema>, public` for that role in that database. A service with a
 * `dbOwnerRole` (audit) gets a second LOGIN role (password from `<NAME>_DB_OWNER_PASSWORD`) that
 * owns the schema (objects the service role owned are reassigned to it) and runs the migrations;
 * the service role then has only USAGE on the schema plus what the migrations grant, and is never
 * a member of the owner role (docs/adr/0020).
 *
 * @param {string} database database name (any characters; it is quoted)
 * @param {NodeJS.ProcessEnv} [env=process.env] PGHOST/PGPORT/PGUSER/PGPASSWORD of a superuser
 * @returns {Promise<{ database: string, created: boolean, roles: string[], schemas: string[] }>}
 * @throws {Error} "<step> failed: <Postgres message> (<SQLSTATE>)"; `err.code` is the SQLSTATE.
 */
async function prepareDatabase(database, env = process.env) {
  if (!database || typeof database !== 'string') throw new Error('prepareDatabase: database name required');
  const dbIdent = quoteIdent(database);
  const services = SERVICES.filter((s) => s.schema && s.dbRole);
  let created = false;

  const admin = await step(`Connecting to Postgres at ${pgConfig(env).host}:${pgConfig(env).port}`, () => adminClient(env));
  try {
    // 1. database
    await step(`CREATE DATABASE ${dbIdent}`, async () => {
      for (let attempt = 0; ; attempt++) {
        const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (rowCount) return;
        try {
          await admin.query(`CREATE DATABASE ${dbIdent}`);
          created = true;
          return;
        } catch (err) {
          if (err.code === '42P04' || err.code === '23505') return; // a concurrent creator won
          if (err.code === '55006' && attempt < 10) {
            await sleep(300); // "source database template1 is being accessed by other users"
            continue;
          }
          throw err;
        }
      }
    });

    // 2. roles (cluster-wide objects; serialised in the `postgres` database)
    await step('Creating service roles', async () => {
      await admin.query('SELECT pg_advisory_lock($1)', [LOCK_ROLES]);
      try {
        const logins = services.flatMap((s) => [
          { name: s.dbRole, passwordVar: `${upperSnake(s.name)}_DB_PASSWORD` },
          ...(s.dbOwnerRole ? [{ name: s.dbOwnerRole, passwordVar: `${upperSnake(s.name)}_DB_OWNER_PASSWORD` }] : []),
        ]);
        for (const login of logins) {
          const role = quoteIdent(login.name);
          const password = env[login.passwordVar];
          const attrs = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
          const pw = password ? ` PASSWORD ${quoteLiteral(password)}` : '';
          const { rowCount } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [login.name]);
          if (!rowCount) {
            try {
              await admin.query(`CREATE ROLE ${role} ${attrs}${pw}`);
              continue;
            } catch (err) {
              if (err.code !== '42710' && err.code !== '23505') throw err; // concurrent creator
            }
          }
          await admin.query(`ALTER ROLE ${role} ${attrs}${pw}`);
        }
        // A service role must never be able to SET ROLE to its schema's owner (docs/adr/0020).
        for (const s of services.filter((x) => x.dbOwnerRole)) {
          const { rowCount } = await admin.query(
            `SELECT 1 FROM pg_auth_members m JOIN pg_roles o ON o.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
              WHERE o.rolname = $1 AND r.rolname = $2`,
            [s.dbOwnerRole, s.dbRole],
          );
          if (rowCount) await admin.query(`REVOKE ${quoteIdent(s.dbOwnerRole)} FROM ${quoteIdent(s.dbRole)}`);
        }
      } finally {
        await admin.query('SELECT pg_advisory_unlock($1)', [LOCK_ROLES]);
      }
    });
  } finally {
    await admin.end().catch(() => {});
  }

  // 3. inside the database
  const db = await step(`Connecting to database ${dbIdent}`, () => adminClient(env, database));
  try {
    await db.query('SELECT pg_advisory_lock($1)', [LOCK_DATABASE]);
    for (const ext of EXTENSIONS) {
      await step(`CREATE EXTENSION ${ext} in ${dbIdent}`, async () => {
        try {
          await db.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(ext)} WITH SCHEMA public`);
        } catch (err) {
          if (err.code === '23505' || err.code === '42710') return; // concurrent creator
          if (ext === 'postgis' && /control file|not available/i.test(err.message)) {
            const { major } = detectPgCluster(env);
            err.message += `. Install PostGIS: ${aptCommand([`postgresql-${major}-postgis-3`])}`;
          }
          throw err;
        }
      });
    }
    await step('REVOKE CREATE ON SCHEMA public FROM PUBLIC', () => db.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC'));
    for (const s of services) {
      const role = quoteIdent(s.dbRole);
      const owner = quoteIdent(s.dbOwnerRole ?? s.dbRole);
      const schema = quoteIdent(s.schema);
      await step(`Preparing schema ${s.schema} for ${s.dbRole}`, async () => {
        await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${owner}`);
        await db.query(`ALTER SCHEMA ${schema} OWNER TO ${owner}`); // in case it pre-existed with another owner
        if (s.dbOwnerRole) {
          // Objects the service role created before it had a separate owner (an older database)
          // move to the owner; the owner's migrations then grant the service role what it needs.
          await db.query(`REASSIGN OWNED BY ${role} TO ${owner}`);
        }
        await db.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
        for (const other of services) {
          if (other === s) continue;
          await db.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${quoteIdent(other.dbRole)}`);
          if (other.dbOwnerRole) await db.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${quoteIdent(other.dbOwnerRole)}`);
        }
        if (s.dbOwnerRole) {
          await db.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${role}`);
          await db.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`); // no CREATE
        }
        for (const login of s.dbOwnerRole ? [role, owner] : [role]) {
          await db.query(`GRANT CONNECT ON DATABASE ${dbIdent} TO ${login}`);
          await db.query(`ALTER ROLE ${login} IN DATABASE ${dbIdent} SET search_path = ${schema}, public`);
          // Short OLTP queries: JIT compilation cost ~50 ms on the listings' spatial queries and
          // never pays back at this size (docs/performance/listings.md).
          await db.query(`ALTER ROLE ${login} IN DATABASE ${dbIdent} SET jit = off`);
        }
      });
    }
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_DATABASE]).catch(() => {});
    await db.end().catch(() => {});
  }
  return { database, created, roles: services.map((s) => s.dbRole), schemas: services.map((s) => s.schema) };
}

/**
 * Drops a database, disconnecting its sessions (`DROP DATABASE IF EXISTS ... WITH (FORCE)`).
 * The service roles are cluster-wide and stay; their per-database settings go with the database.
 *
 * @param {string} database
 * @param {NodeJS.ProcessEnv} [env=process.env] PGHOST/PGPORT/PGUSER/PGPASSWORD of a superuser
 * @returns {Promise<void>}
 * @throws {Error} for the system databases (postgres, template0, template1) or a Postgres error.
 */
async function dropDatabase(database, env = process.env) {
  if (!database || ['postgres', 'template0', 'template1'].includes(database)) {
    throw new Error(`dropDatabase: refusing to drop ${JSON.stringify(database)}`);
  }
  const admin = await adminClient(env);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  } finally {
    await admin.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// local Kafka (librdkafka mock cluster inside kcat)

function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    // guard against pid reuse and zombies (Linux)
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('test.mock.num.brokers');
  } catch (err) {
    return err.code !== 'ENOENT' || !fs.existsSync('/proc/self');
  }
}

async function brokersReachable(brokers) {
  const results = await Promise.all(
    brokers.split(',').map((b) => {
      const i = b.lastIndexOf(':');
      return canConnect(b.slice(0, i), Number(b.slice(i + 1)));
    }),
  );
  return results.every(Boolean);
}

function readKafkaState(stateDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, KAFKA_STATE_FILE), 'utf8'));
  } catch {
    return null;
  }
}

/** Exclusive lock via mkdir (atomic); a lock older than staleMs is considered abandoned. */
async function withDirLock(lockDir, fn, { timeoutMs = 30000, staleMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - fs.statSync(lockDir).mtimeMs > staleMs) {
          fs.rmSync(lockDir, { recursive: true, force: true });
          continue;
        }
      } catch {
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for lock ${lockDir}`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

const BOOTSTRAP_RE = /(?:bootstrap\.servers=|ignored and replaced with )([^\s,]+:\d+(?:,[^\s,]+:\d+)*)/;

/**
 * Spawns kcat's mock cluster detached, stderr to the log file, and waits for its address.
 * Without `-d mock` librdkafka still logs (level 5, NOTICE) "Mock cluster enabled: ... replaced
 * with 127.0.0.1:NNNN", so the log stays a few hundred bytes; `debug` adds `-d mock` (the line
 * `bootstrap.servers=` of the design), which logs every request and grows without bound.
 */
async function spawnKafkaMock(kcat, stateDir, { debug, timeoutMs }) {
  const logFile = path.join(stateDir, KAFKA_LOG_FILE);
  const args = ['-b', '127.0.0.1:1', '-X', 'test.mock.num.brokers=1'];
  if (debug) args.push('-d', 'mock');
  args.push('-C', '-t', KAFKA_KEEPALIVE_TOPIC);
  const fd = fs.openSync(logFile, 'w'); // truncates the log of a previous broker
  let child;
  try {
    child = spawn(kcat, args, { detached: true, stdio: ['ignore', 'ignore', fd] });
  } finally {
    fs.closeSync(fd);
  }
  let exited = null;
  child.once('exit', (code, signal) => (exited = signal || `exit ${code}`));
  child.once('error', (err) => (exited = err.message));
  child.unref();

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(50);
    const log = fs.readFileSync(logFile, 'utf8');
    const m = BOOTSTRAP_RE.exec(log);
    if (m) return { pid: child.pid, brokers: m[1], args, logFile };
    if (exited) {
      throw new Error(`kcat mock broker exited (${exited}) before printing its address; ${logFile}: ${log.slice(-500)}`);
    }
  }
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  return null;
}

/**
 * Returns the Kafka bootstrap servers to use. When KAFKA_BROKERS is set it is returned unchanged.
 * Otherwise starts (or reuses) a local Kafka-protocol broker: librdkafka's in-memory mock cluster
 * inside Debian's kcat (`kcat -b 127.0.0.1:1 -X test.mock.num.brokers=1 -C -t keyhouse.mock-keepalive`,
 * detached, in its own session, outliving this process). State goes to `<stateDir>/kafka-mock.json`
 * ({ pid, brokers, startedAt, logFile }) and its log to `<stateDir>/kafka-mock.log`. A later call
 * reuses the broker if that pid is still a kcat mock and its port accepts connections.
 * Concurrent callers are serialised by a lock directory in stateDir.
 *
 * @param {string} [stateDir='<repo>/tmp']
 * @param {NodeJS.ProcessEnv} [env=process.env]
 * @returns {Promise<string>} brokers, e.g. '127.0.0.1:40123'
 * @throws {Error} when kcat is missing, exits early, prints no address within 10 s, or its port
 *   does not accept connections.
 */
async function startLocalKafka(stateDir = DEFAULT_STATE_DIR, env = process.env) {
  if (env.KAFKA_BROKERS) return env.KAFKA_BROKERS;
  fs.mkdirSync(stateDir, { recursive: true });
  return withDirLock(path.join(stateDir, 'kafka-mock.lock'), async () => {
    const state = readKafkaState(stateDir);
    if (state && pidAlive(state.pid) && (await brokersReachable(state.brokers))) return state.brokers;
    if (state && pidAlive(state.pid)) {
      try {
        process.kill(state.pid, 'SIGKILL'); // alive but not answering: replace it
      } catch {
        /* gone */
      }
    }

    const kcat = which('kcat');
    if (!kcat) {
      throw new Error(
        `kcat is not installed (needed for the local Kafka broker; or set KAFKA_BROKERS). Install it as root: ${aptCommand(['kcat'])}`,
      );
    }
    // Quiet first (small log); fall back to `-d mock` for a librdkafka that lacks the NOTICE line.
    const started =
      (await spawnKafkaMock(kcat, stateDir, { debug: false, timeoutMs: 5000 })) ||
      (await spawnKafkaMock(kcat, stateDir, { debug: true, timeoutMs: 10000 }));
    if (!started) {
      throw new Error(`kcat mock broker printed no bootstrap.servers within 10 s (see ${path.join(stateDir, KAFKA_LOG_FILE)})`);
    }
    if (!(await brokersReachable(started.brokers))) {
      try {
        process.kill(-started.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      throw new Error(`kcat mock broker announced ${started.brokers} but it does not accept TCP connections`);
    }
    const newState = {
      pid: started.pid,
      brokers: started.brokers,
      startedAt: new Date().toISOString(),
      logFile: started.logFile,
      command: ['kcat', ...started.args].join(' '),
    };
    const file = path.join(stateDir, KAFKA_STATE_FILE);
    fs.writeFileSync(`${file}.${process.pid}`, JSON.stringify(newState, null, 2) + '\n');
    fs.renameSync(`${file}.${process.pid}`, file);
    return started.brokers;
  });
}

/**
 * Stops the local mock broker recorded in `<stateDir>/kafka-mock.json` (SIGTERM to its process
 * group, SIGKILL after 3 s) and removes the state file. No-op when nothing is recorded or running.
 *
 * @param {string} [stateDir='<repo>/tmp']
 * @returns {Promise<boolean>} true when a running broker was stopped
 */
async function stopLocalKafka(stateDir = DEFAULT_STATE_DIR) {
  const state = readKafkaState(stateDir);
  let stopped = false;
  if (state && pidAlive(state.pid)) {
    const kill = (sig) => {
      try {
        process.kill(-state.pid, sig);
      } catch {
        try {
          process.kill(state.pid, sig);
        } catch {
          /* gone */
        }
      }
    };
    kill('SIGTERM');
    const deadline = Date.now() + 3000;
    while (pidAlive(state.pid) && Date.now() < deadline) await sleep(50);
    if (pidAlive(state.pid)) kill('SIGKILL');
    stopped = true;
  }
  fs.rmSync(path.join(stateDir, KAFKA_STATE_FILE), { force: true });
  return stopped;
}

// ---------------------------------------------------------------------------------------------
// everything

/**
 * Makes the machine ready: ensureDebianPackages, checkServices, prepareDatabase, startLocalKafka.
 * Writes `<stateDir>/infra.env` (KEY=value lines, mode 0600) and returns the same values.
 *
 * @param {{ database?: string, stateDir?: string, env?: NodeJS.ProcessEnv,
 *   log?: (line: string) => void }} [options]
 *   database defaults to env.POSTGRES_DB || 'keyhouse'; stateDir to '<repo>/tmp'; log to stderr.
 * @returns {Promise<Record<string, string>>} { PGHOST, PGPORT, POSTGRES_DB, KAFKA_BROKERS, REDIS_URL,
 *   NATS_URL, and for every service with a schema <NAME>_DATABASE_URL
 *   (postgres://<dbRole>[:<url-encoded password>]@<host>:<port>/<db>) and <NAME>_DATABASE_SCHEMA },
 *   NAME being the upper-snake service name (IDENTITY, DEALS_COMMISSION, ...).
 * @throws {Error} from any step (messages say what is missing and how to fix it).
 */
async function prepareInfrastructure({
  env = process.env,
  database = env.POSTGRES_DB || 'keyhouse',
  stateDir = DEFAULT_STATE_DIR,
  log = (l) => console.error(l),
} = {}) {
  await ensureDebianPackages(env, { log });
  await checkServices(env, { warn: log });
  await prepareDatabase(database, env);
  const kafkaBrokers = await startLocalKafka(stateDir, env);

  const pg = pgConfig(env);
  const out = {
    PGHOST: pg.host,
    PGPORT: String(pg.port),
    POSTGRES_DB: database,
    KAFKA_BROKERS: kafkaBrokers,
    REDIS_URL: env.REDIS_URL || 'redis://127.0.0.1:6379',
    NATS_URL: env.NATS_URL || 'nats://127.0.0.1:4222',
  };
  for (const s of SERVICES) {
    if (!s.schema || !s.dbRole) continue;
    const name = upperSnake(s.name);
    const password = env[`${name}_DB_PASSWORD`];
    const auth = encodeURIComponent(s.dbRole) + (password ? `:${encodeURIComponent(password)}` : '');
    out[`${name}_DATABASE_URL`] = `postgres://${auth}@${hostForUrl(pg.host)}:${pg.port}/${encodeURIComponent(database)}`;
    out[`${name}_DATABASE_SCHEMA`] = s.schema;
  }

  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, 'infra.env');
  const body =
    Object.entries(out)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n';
  fs.writeFileSync(`${file}.${process.pid}`, body, { mode: 0o600 });
  fs.renameSync(`${file}.${process.pid}`, file);
  return out;
}

module.exports = {
  checkServices,
  ensureDebianPackages,
  prepareDatabase,
  dropDatabase,
  startLocalKafka,
  stopLocalKafka,
  prepareInfrastructure,
  // helpers, exported for tests and other deploy scripts
  upperSnake,
  quoteIdent,
  DEFAULT_STATE_DIR,
};

if (require.main === module) {
  const t0 = Date.now();
  prepareInfrastructure()
    .then((out) => {
      for (const [k, v] of Object.entries(out)) console.log(`${k}=${v}`);
      const schemas = SERVICES.filter((s) => s.schema).length;
      const kafka = readKafkaState(DEFAULT_STATE_DIR);
      const kafkaNote = kafka && kafka.brokers === out.KAFKA_BROKERS ? ` (local kcat mock, pid ${kafka.pid})` : '';
      console.log(
        `# infra ready in ${((Date.now() - t0) / 1000).toFixed(1)}s: postgres ${out.PGHOST}:${out.PGPORT}/${out.POSTGRES_DB} ` +
          `(${schemas} schemas), redis ${out.REDIS_URL}, nats ${out.NATS_URL}, kafka ${out.KAFKA_BROKERS}${kafkaNote}; ` +
          `written to ${path.relative(process.cwd(), path.join(DEFAULT_STATE_DIR, 'infra.env')) || 'infra.env'}`,
      );
    })
    .catch((err) => {
      console.error(err && err.message ? err.message : String(err));
      process.exit(1);
    });
}
