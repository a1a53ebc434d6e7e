'use strict';
/**
 * The local supervisor of `npm start` (issue 13 item 18): each service runs as a child process;
 * one that exits while the stack is running is started again after a backoff (1 s, doubling to
 * 30 s; back to 1 s once it has run for a minute) instead of taking the other services — and the
 * in-memory local Kafka broker with them — down. Ctrl-C stops everything and restarts nothing.
 */

const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
const HEALTHY_AFTER_MS = 60_000;

/**
 * The backoff before restart number `attempt` (1-based) in milliseconds: 1 s, 2 s, 4 s, ... 30 s.
 */
function backoffMs(attempt, initial = INITIAL_BACKOFF_MS, max = MAX_BACKOFF_MS) {
  return Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
}

class Supervisor {
  /**
   * @param {object} [options]
   * @param {(line: string) => void} [options.log] where restart notices go (stderr)
   * @param {() => number} [options.now] clock in ms (tests)
   * @param {(fn: () => void, ms: number) => unknown} [options.setTimer] timer (tests)
   * @param {number} [options.healthyAfterMs] uptime after which the backoff starts again at 1 s
   */
  constructor(options = {}) {
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
    this.healthyAfterMs = options.healthyAfterMs ?? HEALTHY_AFTER_MS;
    this.stopping = false;
    /** name → { child, spawn, attempts, startedAt, restarts } */
    this.services = new Map();
  }

  /**
   * Starts `name` with `spawnChild()` (which returns a ChildProcess-like object with `exitCode`,
   * `kill(signal)` and an `exit` event) and keeps it running. Returns the first child.
   */
  start(name, spawnChild) {
    const entry = { child: null, spawn: spawnChild, attempts: 0, startedAt: 0, restarts: 0 };
    this.services.set(name, entry);
    this.launch(name, entry);
    return entry.child;
  }

  /** The child currently running `name` (a restarted service has a new one). */
  child(name) {
    return this.services.get(name)?.child ?? null;
  }

  /** How many times `name` was restarted. */
  restarts(name) {
    return this.services.get(name)?.restarts ?? 0;
  }

  /** Stops every service (SIGTERM) and restarts none from now on. */
  stop() {
    this.stopping = true;
    for (const entry of this.services.values()) {
      if (entry.child && entry.child.exitCode === null) entry.child.kill('SIGTERM');
    }
  }

  launch(name, entry) {
    const child = entry.spawn();
    entry.child = child;
    entry.startedAt = this.now();
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (this.now() - entry.startedAt >= this.healthyAfterMs) entry.attempts = 0;
      entry.attempts += 1;
      const wait = backoffMs(entry.attempts);
      this.log(`${name} exited (${signal ?? `code ${code}`}); restarting in ${wait / 1000} s`);
      this.setTimer(() => {
        if (this.stopping) return;
        entry.restarts += 1;
        this.launch(name, entry);
      }, wait);
    });
  }
}

module.exports = { Supervisor, backoffMs, INITIAL_BACKOFF_MS, MAX_BACKOFF_MS };
