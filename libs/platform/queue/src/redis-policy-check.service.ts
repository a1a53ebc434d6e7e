import { Inject, Injectable, Logger, type LoggerService, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { QUEUE_OPTIONS, QUEUE_REDIS, REQUIRED_EVICTION_POLICY } from './queue.constant';
import { QueueErrorCode, QueueException } from './queue.exception';
import type { ResolvedQueueOptions } from './queue.config';
import { readRedisMemory } from './redis-health.service';

/** What the check needs from a client: `CONFIG GET`, and `INFO` as a fallback when it has it. */
export type RedisPolicySource = Pick<Redis, 'config'> & Partial<Pick<Redis, 'info'>>;

export interface NoEvictionCheckOptions {
  /** Throw on a wrong policy (true) or only warn (false). */
  enforce: boolean;
  /** Where warnings go (default: Nest `Logger` with context `RedisPolicyCheck`). */
  logger?: Pick<LoggerService, 'warn'>;
}

/** What the check found. `policy` is null when Redis would not say (`checked: false`). */
export interface NoEvictionCheckResult {
  policy: string | null;
  checked: boolean;
  /** Where the policy was read: `CONFIG GET`, or `INFO memory` when CONFIG is refused. */
  source: 'config' | 'info' | null;
}

/** Reply errors meaning "you may not run CONFIG" (renamed/disabled command, ACL, managed Redis). */
const REFUSED = /unknown command|NOPERM|no permission|not allowed|unsupported|disabled/i;

/**
 * REL-18: Bull keeps its jobs in ordinary keys, so under any `maxmemory-policy` other than
 * `noeviction` a full Redis silently evicts jobs and locks. Reads the policy with
 * `CONFIG GET maxmemory-policy`; when CONFIG is refused (managed Redis, ACL), from the
 * `maxmemory_policy` field of `INFO memory`; when neither tells, logs a warning and returns.
 *
 * Throws `QueueException` `QUEUE_REDIS_EVICTION_POLICY` with the one-line message
 * `Redis maxmemory-policy is "allkeys-lru"; Bull needs "noeviction" (REL-18)` when the policy is
 * wrong and `enforce` is true (only warns when false), and `QUEUE_REDIS_UNAVAILABLE` when Redis
 * does not answer at all.
 */
export async function assertNoEviction(redis: RedisPolicySource, options: NoEvictionCheckOptions): Promise<NoEvictionCheckResult> {
  const logger = options.logger ?? new Logger('RedisPolicyCheck');
  let policy: string | null = null;
  let source: NoEvictionCheckResult['source'] = null;
  let refusal: string | null = null;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(reply) && typeof reply[1] === 'string') {
      policy = reply[1];
      source = 'config';
    } else {
      refusal = 'CONFIG GET maxmemory-policy returned nothing';
    }
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (!REFUSED.test(message)) {
      throw new QueueException(
        'unavailable',
        QueueErrorCode.RedisUnavailable,
        `Redis did not answer the maxmemory-policy check (REL-18): ${message}`,
      );
    }
    refusal = `CONFIG GET refused: ${message}`;
  }
  if (policy === null && typeof redis.info === 'function') {
    policy = await readRedisMemory(redis as Pick<Redis, 'info'>).then(
      (memory) => memory.policy,
      () => null,
    );
    if (policy !== null) source = 'info';
  }
  if (policy === null) {
    logger.warn(
      `Cannot read Redis maxmemory-policy (${refusal ?? 'not reported'}); make sure it is "${REQUIRED_EVICTION_POLICY}" (REL-18)`,
    );
    return { policy: null, checked: false, source: null };
  }
  if (policy !== REQUIRED_EVICTION_POLICY) {
    const message = `Redis maxmemory-policy is "${policy}"; Bull needs "${REQUIRED_EVICTION_POLICY}" (REL-18)`;
    if (options.enforce) throw new QueueException('internal', QueueErrorCode.EvictionPolicy, message, { policy });
    logger.warn(`${message}; starting anyway because enforceNoEviction is false`);
  }
  return { policy, checked: true, source };
}

/**
 * Runs `assertNoEviction` once per process, before any Bull queue is built (the options of every
 * queue of `QueueModule.registerQueues` wait for `ensure()`), and on module init (the same
 * memoized promise).
 * A wrong policy therefore stops the service before it takes or adds a single job; the check
 * connection is closed on that failure.
 */
@Injectable()
export class RedisPolicyCheck implements OnModuleInit {
  private readonly logger = new Logger(RedisPolicyCheck.name);
  private running?: Promise<NoEvictionCheckResult>;

  constructor(
    @Inject(QUEUE_REDIS) private readonly redis: Redis,
    @Inject(QUEUE_OPTIONS) private readonly options: ResolvedQueueOptions,
  ) {}

  ensure(): Promise<NoEvictionCheckResult> {
    this.running ??= assertNoEviction(this.redis, { enforce: this.options.enforceNoEviction, logger: this.logger }).catch(
      (error: unknown) => {
        // The start is failing and Nest runs no shutdown hooks then: close the check connection
        // so that nothing keeps the process (or a test runner) alive.
        this.redis.disconnect();
        throw error;
      },
    );
    return this.running;
  }

  async onModuleInit(): Promise<void> {
    await this.ensure();
  }
}
