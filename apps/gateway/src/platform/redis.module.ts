import { type DynamicModule, Global, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS_CLIENT } from './rate-limit.guard';

/** The gateway's Redis connection (rate limits, idempotency keys), closed on shutdown. */
@Global()
@Module({})
export class RedisModule {
  static forRoot(url: string): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS_CLIENT,
          // Auto-pipelining batches the commands of concurrent requests into one write per tick.
          useFactory: () => new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, enableAutoPipelining: true }),
        },
        {
          provide: 'REDIS_CLOSER',
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis) => ({ onApplicationShutdown: () => redis.quit().catch(() => redis.disconnect()) }),
        },
      ],
      exports: [REDIS_CLIENT],
    };
  }
}
