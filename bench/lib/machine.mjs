import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const quiet = (cmd, args, cwd) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};

/** The machine and software a run measured on: recorded with every result. */
export function machineInfo(root) {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(cpuinfo)?.[1]?.trim() ?? null;
  const version = (pkg) => {
    try {
      return JSON.parse(fs.readFileSync(`${root}/node_modules/${pkg}/package.json`, 'utf8')).version;
    } catch {
      return null;
    }
  };
  const status = quiet('git', ['status', '--porcelain', '--untracked-files=no'], root);
  return {
    nproc: Number(quiet('nproc', []) ?? os.availableParallelism()),
    cpuModel: field('model name'),
    cpuMHz: field('cpu MHz') ? Number(field('cpu MHz')) : null,
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: `${os.type()} ${os.release()}`,
    hostname: os.hostname(),
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
    gitCommit: quiet('git', ['rev-parse', '--short', 'HEAD'], root),
    gitDirty: status === null ? null : status.length > 0,
    packages: {
      ...Object.fromEntries(
        ['@nestjs/core', '@nestjs/platform-fastify', 'fastify', 'nats', 'pg', 'typeorm', 'ioredis', 'jose', 'rate-limiter-flexible'].map(
          (p) => [p, version(p)],
        ),
      ),
      'fastify (used by @nestjs/platform-fastify)': nestedVersion(root, '@nestjs/platform-fastify', 'fastify') ?? version('fastify'),
    },
  };
}

function nestedVersion(root, parent, pkg) {
  try {
    const file = `${root}/node_modules/${parent}/node_modules/${pkg}/package.json`;
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    return null;
  }
}
