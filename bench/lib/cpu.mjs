/**
 * CPU accounting from /proc (Linux): who used the machine's cores during a measurement. The
 * machine is shared (other engineers run test suites on it), so every figure is stored with the
 * CPU that processes outside the benchmark used meanwhile, and `waitForQuiet` holds a measurement
 * back (bounded) while the machine is busy.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* Linux default */
}

/** Shared infrastructure the benchmark uses (also used by others: reported, not counted as noise). */
const INFRA_LABEL = {
  'nats-server': 'nats-server (shared)',
  'redis-server': 'redis-server (shared)',
  kcat: 'kcat (Kafka mocks)',
  postgres: 'postgres (other databases, background)',
};
const INFRA = new Set(Object.keys(INFRA_LABEL));

function readTicks(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[1] is the parent pid: kernel threads are kthreadd (2) and its children
    const kernel = Number(pid) === 2 || fields[1] === '2';
    return { comm, kernel, ticks: Number(fields[11]) + Number(fields[12]), syscalls: readSyscalls(pid) }; // utime + stime
  } catch {
    return null;
  }
}

/** Read and write system calls of a process so far (/proc/<pid>/io `syscr` + `syscw`; root or own processes only), or null. */
function readSyscalls(pid) {
  try {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    return Number(/syscr: (\d+)/.exec(io)[1]) + Number(/syscw: (\d+)/.exec(io)[1]);
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat "cpu" line). */
function machineTicks() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total, steal: v[7] ?? 0 };
}

/** CPU ticks of every process plus the machine counters, at one instant. */
export function cpuSnapshot() {
  const processes = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const t = readTicks(entry);
    if (t) processes.set(Number(entry), t);
  }
  return { at: performance.now(), machine: machineTicks(), processes };
}

/**
 * CPU used between two snapshots, in cores (1.0 = one core busy the whole time), grouped:
 * `roles` maps pids of the benchmark (children, wrk, Postgres backends of the bench database) to
 * a name; nats-server/redis-server/kcat and other postgres processes get their own group, kernel
 * threads (kworkers: I/O, softirq, also on the benchmark's behalf) theirs; every other process is
 * `other processes`, the noise figure.
 */
export function cpuUsage(before, after, roles) {
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks) => Number((ticks / clockTicks / seconds).toFixed(3));
  const groups = {};
  const add = (group, ticks) => (groups[group] = (groups[group] ?? 0) + ticks);
  const otherTop = new Map();
  const syscalls = {};
  for (const [pid, now] of after.processes) {
    const then = before.processes.get(pid);
    const same = then && then.comm === now.comm;
    const role = roles.get(pid) ?? (INFRA.has(now.comm) ? INFRA_LABEL[now.comm] : null);
    if (role && now.syscalls !== null) syscalls[role] = (syscalls[role] ?? 0) + now.syscalls - (same ? (then.syscalls ?? 0) : 0);
    const delta = now.ticks - (same ? then.ticks : 0);
    if (delta <= 0) continue;
    if (role) add(role, delta);
    else if (now.kernel) add('kernel threads', delta);
    else {
      add('other processes', delta);
      otherTop.set(now.comm, (otherTop.get(now.comm) ?? 0) + delta);
    }
  }
  const machineTotal = after.machine.total - before.machine.total;
  const machineBusy = (after.machine.busy - before.machine.busy) / machineTotal;
  const machineSteal = (after.machine.steal - before.machine.steal) / machineTotal;
  return {
    seconds: Number(seconds.toFixed(2)),
    machineBusyPct: Number((machineBusy * 100).toFixed(1)),
    // time the hypervisor ran something else on our virtual CPUs (included in busy)
    machineStealPct: Number((machineSteal * 100).toFixed(1)),
    coresByGroup: Object.fromEntries(
      Object.entries(groups)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, cores(v)]),
    ),
    otherProcessesTop: [...otherTop]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([comm, t]) => ({ comm, cores: cores(t) })),
    otherCores: cores(groups['other processes'] ?? 0),
    // read + write system calls (sockets included) of the benchmark's processes and the shared infrastructure
    syscallsByGroup: syscalls,
  };
}

/**
 * Waits until user processes outside the benchmark and its infrastructure use less than
 * `maxOtherCores` over a `windowMs` window, for at most `maxWaitMs`. Resolves with what it saw.
 */
export async function waitForQuiet({ roles, maxOtherCores = 0.25, windowMs = 2000, maxWaitMs = 90_000, log }) {
  const started = Date.now();
  let announced = false;
  for (;;) {
    const before = cpuSnapshot();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const usage = cpuUsage(before, cpuSnapshot(), roles);
    const waitedMs = Date.now() - started;
    if (usage.otherCores <= maxOtherCores) return { quiet: true, waitedMs, otherCores: usage.otherCores };
    if (waitedMs >= maxWaitMs) {
      log?.(`machine still busy after ${Math.round(waitedMs / 1000)} s (other processes: ${usage.otherCores} cores); measuring anyway`);
      return { quiet: false, waitedMs, otherCores: usage.otherCores, top: usage.otherProcessesTop };
    }
    if (!announced) {
      announced = true;
      const top = usage.otherProcessesTop.map((p) => `${p.comm} ${p.cores}`).join(', ');
      log?.(`waiting for the machine to quieten (other processes use ${usage.otherCores} cores: ${top})`);
    }
  }
}
