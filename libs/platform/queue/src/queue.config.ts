import type { JobOptions } from 'bull';
import type { RedisOptions } from 'ioredis';
import { MAX_MEMORY_RATIO_DEFAULT } from './queue.constant';
import { QueueErrorCode, QueueException } from './queue.exception';

/** Configuration of `QueueModule.forRoot` (one per service process). */
export interface QueueModuleOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` for TLS. */
  redisUrl: string;
  /**
   * Bull key prefix, e.g. `kh:bull`: every key of every queue is `<prefix>:<queue>:<suffix>`, so
   * one prefix per environment (or per test run) keeps their keys apart.
   */
  prefix: string;
  /**
   * REL-18: refuse to start when Redis `maxmemory-policy` is not `noeviction` (default true).
   * When false a wrong policy is only logged as a warning.
   */
  enforceNoEviction?: boolean;
  /** Used/max memory ratio (0 < r ≤ 1) from which the health check is `down` (default 0.9). */
  maxMemoryRatio?: number;
}

/** `QueueModuleOptions` with every default applied and checked. */
export type ResolvedQueueOptions = Required<QueueModuleOptions>;

const HOUR_SECONDS = 60 * 60;
const DAY_SECONDS = 24 * HOUR_SECONDS;

/**
 * Job options every queue starts from (a job may override any of them in `queue.add`; Bull
 * merges them shallowly, so an override of `removeOnComplete` replaces both of its bounds):
 * - 5 attempts, exponential backoff from 1 000 ms (1 s, 2 s, 4 s, 8 s between attempts);
 * - completed jobs kept at most 24 h and at most 1 000 per queue;
 * - failed jobs kept at most 7 days and at most 5 000 per queue (the failed-jobs view).
 * Both retention bounds are applied by Bull when a job finishes, so Redis memory stays bounded
 * by age and by count: a full Redis would otherwise stall every queue of the platform.
 * A fresh object on each call: callers may mutate it.
 */
export function defaultJobOptions(): JobOptions {
  return {
    attempts: 5,
    backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: { age: DAY_SECONDS, count: 1_000 },
    removeOnFail: { age: 7 * DAY_SECONDS, count: 5_000 },
  };
}

/** Queue names are `<service>.<purpose>` in lower-case kebab words, e.g. `identity.email`. */
export const QUEUE_NAME_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/;

/** Throws `QUEUE_NAME_INVALID` unless `name` is `<service>.<purpose>` (see `QUEUE_NAME_PATTERN`). */
export function assertQueueName(name: string): void {
  if (!QUEUE_NAME_PATTERN.test(name)) {
    throw new QueueException(
      'internal',
      QueueErrorCode.QueueNameInvalid,
      `Queue name "${name}" is not <service>.<purpose> (e.g. "identity.email")`,
      { queue: name },
    );
  }
}

/** Applies the defaults and rejects impossible values (throws `QUEUE_OPTIONS_INVALID`). */
export function resolveQueueOptions(options: QueueModuleOptions): ResolvedQueueOptions {
  const resolved: ResolvedQueueOptions = {
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    enforceNoEviction: options.enforceNoEviction ?? true,
    maxMemoryRatio: options.maxMemoryRatio ?? MAX_MEMORY_RATIO_DEFAULT,
  };
  const invalid = (message: string): never => {
    throw new QueueException('internal', QueueErrorCode.OptionsInvalid, message);
  };
  if (!resolved.prefix || resolved.prefix.endsWith(':')) invalid('Queue prefix must be non-empty without a trailing ":"');
  if (!(resolved.maxMemoryRatio > 0 && resolved.maxMemoryRatio <= 1)) invalid('maxMemoryRatio must be in (0, 1]');
  redisOptionsFromUrl(resolved.redisUrl);
  return resolved;
}

/**
 * Connection part of ioredis options from a Redis URL: host, port (default 6379), username,
 * password (percent-decoded), db (path `/N`, default 0) and `tls: {}` for `rediss:`.
 * Throws `QUEUE_OPTIONS_INVALID` for anything else (the message never repeats the password).
 */
export function redisOptionsFromUrl(redisUrl: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    throw new QueueException('internal', QueueErrorCode.OptionsInvalid, 'Redis URL is not a valid URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new QueueException('internal', QueueErrorCode.OptionsInvalid, `Redis URL scheme must be redis: or rediss:, not ${url.protocol}`);
  }
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) {
    throw new QueueException('internal', QueueErrorCode.OptionsInvalid, `Redis URL database must be a number, not "${dbText}"`);
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    db: dbText === '' ? 0 : Number(dbText),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * ioredis options for Bull's connections. Bull 4 refuses a `bclient`/`subscriber` connection
 * that has a ready check or a bounded `maxRetriesPerRequest` (OptimalBits/bull#1873, PR #2185):
 * a blocked command must survive a reconnect instead of failing after N retries, which would
 * stop the worker for good. Bull creates all three connections from these options, so
 * `queue.add` also waits through a Redis outage (reconnecting) instead of failing: a producer on
 * a request path should bound that wait itself (e.g. a timeout around `add`).
 */
export function bullRedisOptions(redisUrl: string): RedisOptions {
  return { ...redisOptionsFromUrl(redisUrl), maxRetriesPerRequest: null, enableReadyCheck: false };
}

/** Host and port of a Redis URL, safe to log (no credentials). */
export function describeRedis(redisUrl: string): string {
  const { host, port } = redisOptionsFromUrl(redisUrl);
  return `${host}:${port}`;
}
