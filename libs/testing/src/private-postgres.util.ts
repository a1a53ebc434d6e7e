import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * A Postgres server of the test's own — a fresh cluster (`initdb`) on a free port, trust auth for
 * local connections — for tests that stop or restart the database (issue 13 item 18), which would
 * break every other test file if they did it to the shared server. Same binaries (and so the same
 * extensions, PostGIS included) as the machine's server.
 */
export interface PrivatePostgres {
  port: number;
  /** `PGHOST`/`PGPORT`/`PGUSER` of the cluster's superuser, for `createTestIsolation` and deploy/infra.js. */
  env: { PGHOST: string; PGPORT: string; PGUSER: string };
  /** `pg_ctl restart -m fast`: every connection is terminated (57P01) and the server is back when this resolves. */
  restart(): void;
  /** Stops the server and deletes the cluster. */
  stop(): void;
}

/** The directory of the machine's Postgres binaries (`/usr/lib/postgresql/<major>/bin`, the newest). */
function postgresBinaries(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((name) => existsSync(path.join(root, name, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) throw new Error(`No Postgres binaries under ${root}`);
  return path.join(root, majors[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Creates and starts a private cluster. As root, the server runs as the `postgres` user (Postgres
 * refuses to run as root).
 *
 * @throws when the binaries are missing or the server does not start.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinaries();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'kh-private-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o777);
    execFileSync('chown', ['postgres', dir]);
  }
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args]] : [path.join(bin, command), args];
    const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`${command} failed (${result.status}): ${result.stderr || result.stdout}`);
  };
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', 'start']);
  return {
    port,
    env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres' },
    restart: () => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-m', 'fast', '-w', 'restart']),
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
