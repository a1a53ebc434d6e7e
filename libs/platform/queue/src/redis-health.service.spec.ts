import { HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { resolveQueueOptions } from './queue.config';
import { parseRedisInfo, readRedisMemory, RedisHealthIndicator } from './redis-health.service';

function infoMemory(fields: { used: number; max: number; policy?: string }): string {
  return [
    '# Memory',
    `used_memory:${fields.used}`,
    'used_memory_human:1.00M',
    `maxmemory:${fields.max}`,
    ...(fields.policy ? [`maxmemory_policy:${fields.policy}`] : []),
    '',
  ].join('\r\n');
}

function fakeRedis(memory: { used: number; max: number; policy?: string }, ping: () => Promise<string> = async () => 'PONG') {
  return { ping, info: jest.fn(async () => infoMemory(memory)) } as unknown as Redis;
}

function indicator(redis: Redis, maxMemoryRatio = 0.9): RedisHealthIndicator {
  return new RedisHealthIndicator(
    new HealthIndicatorService(),
    redis,
    resolveQueueOptions({ redisUrl: 'redis://localhost', prefix: 'kh:bull', maxMemoryRatio }),
  );
}

describe('parseRedisInfo', () => {
  it('reads field:value lines and skips section headers', () => {
    const fields = parseRedisInfo('# Memory\r\nused_memory:100\r\nmaxmemory_policy:noeviction\r\n');
    expect(fields.get('used_memory')).toBe('100');
    expect(fields.get('maxmemory_policy')).toBe('noeviction');
    expect(fields.has('# Memory')).toBe(false);
  });
});

describe('readRedisMemory', () => {
  it('returns used and max bytes, their ratio and the policy', async () => {
    await expect(readRedisMemory(fakeRedis({ used: 750, max: 1000, policy: 'noeviction' }))).resolves.toEqual({
      usedBytes: 750,
      maxBytes: 1000,
      ratio: 0.75,
      policy: 'noeviction',
    });
  });

  it('returns a null ratio when maxmemory is 0 (no limit)', async () => {
    await expect(readRedisMemory(fakeRedis({ used: 750, max: 0 }))).resolves.toMatchObject({ maxBytes: 0, ratio: null, policy: null });
  });

  it('rejects when INFO has no used_memory', async () => {
    const redis = { info: async () => '# Memory\r\n' } as unknown as Redis;
    await expect(readRedisMemory(redis)).rejects.toThrow(/used_memory/);
  });
});

describe('RedisHealthIndicator', () => {
  describe('isHealthy', () => {
    it('is up with the memory figures when below the ratio', async () => {
      const result = await indicator(fakeRedis({ used: 500, max: 1000, policy: 'noeviction' })).isHealthy('redis');
      expect(result).toEqual({
        redis: { status: 'up', usedBytes: 500, maxBytes: 1000, ratio: 0.5, threshold: 0.9, policy: 'noeviction' },
      });
    });

    it('is up when there is no memory limit', async () => {
      const result = await indicator(fakeRedis({ used: 10_000_000, max: 0, policy: 'noeviction' })).isHealthy('redis');
      expect(result.redis).toMatchObject({ status: 'up', ratio: null });
    });

    it('is down when used/max reaches the ratio', async () => {
      const result = await indicator(fakeRedis({ used: 900, max: 1000, policy: 'noeviction' })).isHealthy('redis');
      expect(result.redis).toMatchObject({ status: 'down', ratio: 0.9, message: 'Redis memory at 90% of maxmemory' });
    });

    it('honours a configured ratio', async () => {
      const result = await indicator(fakeRedis({ used: 500, max: 1000 }), 0.5).isHealthy('redis');
      expect(result.redis.status).toBe('down');
    });

    it('is down when PING fails', async () => {
      const redis = fakeRedis({ used: 1, max: 0 }, async () => {
        throw new Error('Connection is closed.');
      });
      const result = await indicator(redis).isHealthy('redis');
      expect(result.redis).toEqual({ status: 'down', message: 'Redis did not answer: Connection is closed.' });
    });

    it('is down when Redis does not answer in time', async () => {
      const redis = fakeRedis({ used: 1, max: 0 }, () => new Promise<string>(() => undefined));
      const result = await indicator(redis).isHealthy('redis', 20);
      expect(result.redis).toMatchObject({ status: 'down', message: expect.stringContaining('no answer within 20 ms') });
    });
  });
});
