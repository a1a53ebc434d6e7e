import { execFileSync, spawn } from 'node:child_process';
import { onCleanup } from './cleanup.mjs';

/** wrk's version line ("wrk 4.1.0 [epoll] ..."), or throws with the install command. */
export function wrkVersion() {
  try {
    // `wrk -v` prints the version and usage, and exits 1
    execFileSync('wrk', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    if (error.code === 'ENOENT') {
      throw new Error('wrk is not installed: apt-get update && apt-get install -y wrk');
    }
    const out = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    const line = out.split('\n').find((l) => l.startsWith('wrk '));
    if (line) return line.trim();
    throw error;
  }
  return 'wrk (unknown version)';
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1.23ms" → 1.23, "850.00us" → 0.85, "1.02s" → 1020 */
export function parseDurationMs(text) {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk: unreadable duration "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Parses the report of `wrk --latency`. */
export function parseWrkOutput(out) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in ([\d.]+\w+),/.exec(out);
  const p = (pct) => {
    const m = new RegExp(`^\\s+${pct}%\\s+(\\S+)`, 'm').exec(out);
    return m ? parseDurationMs(m[1]) : null;
  };
  const latencyAvg = /^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!rps || !total) throw new Error(`wrk: unexpected output:\n${out}`);
  const socketErrors = socket
    ? { connect: +socket[1], read: +socket[2], write: +socket[3], timeout: +socket[4] }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    durationMs: parseDurationMs(total[2]),
    latencyMs: {
      avg: latencyAvg ? parseDurationMs(latencyAvg[1]) : null,
      stdev: latencyAvg ? parseDurationMs(latencyAvg[2]) : null,
      max: latencyAvg ? parseDurationMs(latencyAvg[3]) : null,
      p50: p(50),
      p75: p(75),
      p90: p(90),
      p99: p(99),
    },
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors,
  };
}

/**
 * Runs `wrk -t<threads> -c<connections> -d<seconds>s --latency [-H ...] <url>` against a
 * 127.0.0.1 URL and resolves with the parsed report plus the raw output. `onStart(pid)` is called
 * once wrk runs (CPU accounting). Bounded: killed 30 s after its duration.
 */
export function runWrk({ url, threads = 2, connections, seconds, headers = {}, timeoutSeconds = 5, onStart }) {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error(`wrk target must be 127.0.0.1, not ${target.hostname}`);
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, `--timeout`, `${timeoutSeconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const unregister = onCleanup('stop wrk', () => child.kill('SIGKILL'));
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.once('spawn', () => onStart?.(child.pid));
    child.once('error', (error) => {
      clearTimeout(timer);
      unregister();
      reject(error.code === 'ENOENT' ? new Error('wrk is not installed: apt-get update && apt-get install -y wrk') : error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      unregister();
      if (code !== 0) {
        reject(new Error(`wrk exited with ${signal ?? code}: ${err || out}`));
        return;
      }
      try {
        const command = ['wrk', ...args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a))].join(' ');
        resolve({ ...parseWrkOutput(out), command, raw: out });
      } catch (error) {
        reject(error);
      }
    });
  });
}
