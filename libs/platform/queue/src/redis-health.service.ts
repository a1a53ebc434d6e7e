import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { QUEUE_OPTIONS, QUEUE_REDIS } from './queue.constant';
import type { ResolvedQueueOptions } from './queue.config';
import { withTimeout } from '@keyhouse/util';

/** Memory figures from Redis `INFO memory`. */
export interface RedisMemory {
  /** `used_memory`: bytes allocated by Redis. */
  usedBytes: number;
  /** `maxmemory`: the configured limit in bytes; 0 means no limit. */
  maxBytes: number;
  /** usedBytes / maxBytes rounded to 4 decimals, or null when there is no limit (maxBytes 0). */
  ratio: number | null;
  /** `maxmemory_policy` (e.g. `noeviction`), or null when the server does not report it. */
  policy: string | null;
}

/** Parses `INFO` text (`field:value` lines) into a map. */
export function parseRedisInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * Reads `INFO memory` (`used_memory`, `maxmemory`, `maxmemory_policy`). Rejects with the
 * client's error when Redis does not answer, and with an `Error` when `used_memory` is missing.
 */
export async function readRedisMemory(redis: Pick<Redis, 'info'>): Promise<RedisMemory> {
  const fields = parseRedisInfo(await redis.info('memory'));
  const used = fields.get('used_memory');
  if (used === undefined) throw new Error('Redis INFO memory has no used_memory field');
  const usedBytes = Number(used);
  const maxBytes = Number(fields.get('maxmemory') ?? 0);
  return {
    usedBytes,
    maxBytes,
    ratio: maxBytes > 0 ? Math.round((usedBytes / maxBytes) * 10_000) / 10_000 : null,
    policy: fields.get('maxmemory_policy') ?? null,
  };
}

/** Outcome of one Redis probe, in the shape `HealthCheckDefinition.probe` of the observability lib returns. */
export interface RedisProbe {
  healthy: boolean;
  details: Record<string, unknown>;
}

/**
 * Redis health for `/health/ready`: PING, then `INFO memory`. Down when Redis does not answer
 * within `timeoutMs` (default 1 000 ms) or when a memory limit is set (maxmemory > 0) and
 * used/max ≥ `maxMemoryRatio` (default 0.9): under `noeviction` a full Redis refuses writes,
 * which stalls every queue. Details: usedBytes, maxBytes, ratio, threshold, policy.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(QUEUE_REDIS) private readonly redis: Redis,
    @Inject(QUEUE_OPTIONS) private readonly options: ResolvedQueueOptions,
  ) {}

  /** Terminus result `{ [key]: { status: 'up' | 'down', ...details } }`; never throws. */
  async isHealthy<const Key extends string>(key: Key, timeoutMs = 1_000): Promise<HealthIndicatorResult<Key>> {
    const session = this.indicators.check(key);
    const probe = await this.probe(timeoutMs);
    return probe.healthy ? session.up(probe.details) : session.down(probe.details);
  }

  /** The same check as a plain result; never throws (a failure is `{ healthy: false, details: { message } }`). */
  async probe(timeoutMs = 1_000): Promise<RedisProbe> {
    try {
      const memory = await withTimeout(
        (async () => {
          await this.redis.ping();
          return readRedisMemory(this.redis);
        })(),
        timeoutMs,
      );
      const threshold = this.options.maxMemoryRatio;
      const full = memory.ratio !== null && memory.ratio >= threshold;
      return {
        healthy: !full,
        details: {
          ...memory,
          threshold,
          ...(full ? { message: `Redis memory at ${Math.round((memory.ratio ?? 0) * 100)}% of maxmemory` } : {}),
        },
      };
    } catch (error) {
      return { healthy: false, details: { message: `Redis did not answer: ${(error as Error).message}` } };
    }
  }
}
