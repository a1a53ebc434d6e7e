import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { onCleanup } from './cleanup.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `node <script> ...args` as a child process (its own process, like a production
 * container), stdout and stderr appended to `<logDir>/<name>.log`. The child is stopped by the
 * cleanup registry if the run ends early. `ipc: true` opens an IPC channel (used to drive the
 * CPU profiler preload). `wrapper` runs node under another program (e.g. `['valgrind', '--tool=callgrind']`:
 * the child's pid is then node's, since valgrind runs its tool in the same process).
 */
export function startNode(name, script, { args = [], nodeArgs = [], env, cwd, logDir, ipc = false, wrapper = [] }) {
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  let child;
  try {
    const [command, ...prefix] = wrapper.length ? [...wrapper, process.execPath] : [process.execPath];
    child = spawn(command, [...prefix, ...nodeArgs, script, ...args], {
      cwd,
      env,
      stdio: ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  const handle = { name, child, pid: child.pid, logFile, exited: null };
  child.once('exit', (code, signal) => (handle.exited = signal ?? `exit ${code}`));
  child.once('error', (error) => (handle.exited = error.message));
  handle.unregister = onCleanup(`stop ${name}`, () => stopProcess(handle));
  return handle;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(handle, graceMs = 8000) {
  const { child } = handle;
  handle.unregister?.();
  if (handle.exited !== null || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, graceMs);
  await gone;
  clearTimeout(timer);
}

/** Last `lines` lines of a child's log, for error messages. */
export function tailLog(handle, lines = 30) {
  try {
    return fs.readFileSync(handle.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `url` until it answers 2xx; fails early when the child exits. */
export async function waitHttpOk(url, handle, { timeoutMs = 90_000, headers } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (handle.exited !== null) {
      throw new Error(`${handle.name} exited (${handle.exited}) before ${url} was ready; ${handle.logFile}:\n${tailLog(handle)}`);
    }
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      if (response.ok) {
        await response.arrayBuffer();
        return;
      }
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(250);
  }
  throw new Error(
    `${handle.name} not ready at ${url} within ${timeoutMs / 1000} s (last: ${last}); ${handle.logFile}:\n${tailLog(handle)}`,
  );
}

/** Throws when a TCP port on 127.0.0.1 already accepts connections (another run, another app). */
export async function assertPortFree(port, what) {
  const inUse = await new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (inUse)
    throw new Error(
      `Port ${port} (${what}) is already in use: is another benchmark running? Pick other ports with the BENCH_*_PORT variables.`,
    );
}

/** Sends an IPC message and waits for the child's answer of the same `type` (profiler control). */
export function ipcRequest(handle, message, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      handle.child.off('message', onMessage);
      reject(new Error(`${handle.name}: no IPC answer to ${message.type} within ${timeoutMs} ms`));
    }, timeoutMs);
    function onMessage(answer) {
      if (answer?.type !== message.type) return;
      clearTimeout(timer);
      handle.child.off('message', onMessage);
      if (answer.error) reject(new Error(`${handle.name}: ${answer.error}`));
      else resolve(answer);
    }
    handle.child.on('message', onMessage);
    handle.child.send(message);
  });
}

/**
 * Runs `node <script> <args>` to completion and parses the last stdout line as JSON (stderr goes
 * to `<logDir>/<name>.log`). `onStart(pid)` is called once it runs. Bounded by `timeoutMs`.
 */
export function runNodeForJson(name, script, { args = [], env, cwd, logDir, timeoutMs, onStart }) {
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  let child;
  try {
    child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', fd] });
  } finally {
    fs.closeSync(fd);
  }
  const unregister = onCleanup(`stop ${name}`, () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('spawn', () => onStart?.(child.pid));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      unregister();
      if (code !== 0) {
        const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
        reject(new Error(`${name} exited with ${signal ?? code}: ${log}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (error) {
        reject(new Error(`${name}: unreadable result ${JSON.stringify(out.slice(-500))}: ${error.message}`));
      }
    });
  });
}
