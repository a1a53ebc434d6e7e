import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { waitFor } from './wait-for.util';

const ROOT = path.resolve(__dirname, '../../..');

/** `deploy/supervisor.js`'s Supervisor (what `npm start` runs the services under): restarts a child that dies. */
export interface ServiceSupervisor {
  start(name: string, spawnChild: () => ChildProcess): ChildProcess;
  child(name: string): ChildProcess | null;
  restarts(name: string): number;
  stop(): void;
}

/** A new `deploy/supervisor.js` Supervisor (its log silenced unless `log` is given). */
export function serviceSupervisor(log: (line: string) => void = () => undefined): ServiceSupervisor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Supervisor } = require(path.join(ROOT, 'deploy/supervisor.js')) as {
    Supervisor: new (options?: { log?: (line: string) => void }) => ServiceSupervisor;
  };
  return new Supervisor({ log });
}

/**
 * Starts one service from its TypeScript sources in a child process of its own, so that a SIGKILL
 * kills only it: `apps/<app>/src/main.ts`'s `start` function called with the child's environment
 * (`env`). Its stderr is the test's; a start that throws exits the child with code 1.
 */
export function serviceProcess(app: string, start: string, env: NodeJS.ProcessEnv): ChildProcess {
  const script = [
    `require(${JSON.stringify(path.join(ROOT, 'deploy/db-types.js'))}).registerTypeScript();`,
    `require(${JSON.stringify(path.join(ROOT, 'apps', app, 'src/main.ts'))}).${start}(process.env)`,
    `.catch((error) => { process.stderr.write(String(error && error.stack)); process.exit(1); });`,
  ].join('');
  return spawn(process.execPath, ['-e', script], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A TCP port free on 127.0.0.1 right now (for a child's `PORT` / `HEALTH_PORT`). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Resolves once `url` answers 2xx (a child's `/health/ready`).
 *
 * @throws Error when it has not within `timeoutMs` (default 90 s).
 */
export async function waitUntilReady(url: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(async () => {
    try {
      return (await fetch(url)).ok;
    } catch {
      return false; // not listening yet
    }
  }, timeoutMs);
}
