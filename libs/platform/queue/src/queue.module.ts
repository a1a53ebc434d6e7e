import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { BullModule, getQueueToken } from '@nestjs/bull';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';
import { Redis } from 'ioredis';
import { FailedJobsService } from './failed-jobs.service';
import { QueueRegistry } from './queue-registry.service';
import { QUEUE_OPTIONS, QUEUE_REDIS } from './queue.constant';
import { QueueErrorCode, QueueException } from './queue.exception';
import {
  assertQueueName,
  bullRedisOptions,
  defaultJobOptions,
  describeRedis,
  redisOptionsFromUrl,
  resolveQueueOptions,
  type QueueModuleOptions,
  type ResolvedQueueOptions,
} from './queue.config';
import { RedisHealthIndicator } from './redis-health.service';
import { RedisPolicyCheck } from './redis-policy-check.service';

/**
 * The platform's ioredis client for checks (not used by Bull): commands fail after one
 * reconnect attempt instead of queueing forever, so a probe answers "down" rather than hang.
 * Connection errors are logged once per outage.
 */
export function createQueueRedisClient(options: ResolvedQueueOptions): Redis {
  const logger = new Logger('QueueRedis');
  const client = new Redis({
    ...redisOptionsFromUrl(options.redisUrl),
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    connectionName: 'keyhouse-queue-checks',
  });
  let reported = false;
  client.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    logger.warn(`Redis ${describeRedis(options.redisUrl)}: ${error.message}`);
  });
  client.on('ready', () => {
    reported = false;
  });
  return client;
}

async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  await client.quit().catch(() => client.disconnect());
}

/**
 * Bull on Redis for one service (ARCHITECTURE.md, "Jobs: Bull on Redis").
 *
 * `forRoot(options)` (global, once per process): Bull's shared configuration (Redis from
 * `redisUrl`, key `prefix`, `defaultJobOptions()` — 5 attempts, exponential backoff, retention
 * bounded by age and count), `FailedJobsService`, `RedisHealthIndicator`, and the REL-18
 * `RedisPolicyCheck`, which runs before any queue is built: with `enforceNoEviction` (default)
 * a Redis whose `maxmemory-policy` is not `noeviction` stops the start with a one-line error.
 *
 * `registerQueues(...names)` (in each feature module): the named queues (`<service>.<purpose>`),
 * injectable with `@InjectQueue(name)` and listed by `FailedJobsService`.
 */
@Module({})
export class QueueModule {
  static forRoot(options: QueueModuleOptions): DynamicModule {
    const resolved = resolveQueueOptions(options);
    const providers: Provider[] = [
      { provide: QUEUE_OPTIONS, useValue: resolved },
      { provide: QUEUE_REDIS, useFactory: () => createQueueRedisClient(resolved) },
      {
        provide: 'QUEUE_REDIS_CLOSER',
        inject: [QUEUE_REDIS],
        useFactory: (client: Redis) => ({ onApplicationShutdown: () => closeRedis(client) }),
      },
      HealthIndicatorService,
      QueueRegistry,
      RedisPolicyCheck,
      FailedJobsService,
      RedisHealthIndicator,
    ];
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRoot({ redis: bullRedisOptions(resolved.redisUrl), prefix: resolved.prefix, defaultJobOptions: defaultJobOptions() }),
      ],
      providers,
      exports: [QUEUE_OPTIONS, QUEUE_REDIS, QueueRegistry, RedisPolicyCheck, FailedJobsService, RedisHealthIndicator],
    };
  }

  /**
   * Registers Bull queues named `<service>.<purpose>` (throws `QUEUE_NAME_INVALID` otherwise)
   * and re-exports them for `@InjectQueue(name)`. Needs `QueueModule.forRoot` in the application.
   */
  static registerQueues(...names: string[]): DynamicModule {
    if (names.length === 0) {
      throw new QueueException('internal', QueueErrorCode.QueueNameInvalid, 'QueueModule.registerQueues needs at least one queue name');
    }
    names.forEach(assertQueueName);
    // Each queue's options wait for the REL-18 check, so no queue is built (and no Bull
    // connection opened) before it passes. A failed check fails the start. (Not through the
    // shared configuration: @nestjs/bull injects that as optional, and a failed factory there
    // would silently build the queues with Bull's defaults.)
    const bull = BullModule.registerQueueAsync(
      ...names.map((name) => ({
        name,
        inject: [RedisPolicyCheck],
        useFactory: async (check: RedisPolicyCheck) => {
          await check.ensure();
          return { name };
        },
      })),
    );
    return {
      module: QueueModule,
      imports: [bull],
      providers: [
        {
          provide: `QUEUE_REGISTRATION(${names.join(',')})`,
          inject: [QueueRegistry, ...names.map((name) => getQueueToken(name))],
          useFactory: (registry: QueueRegistry, ...queues: Queue[]) => {
            for (const queue of queues) registry.add(queue);
            return names;
          },
        },
      ],
      exports: [bull],
    };
  }
}
