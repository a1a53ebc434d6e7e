import type { Redis } from 'ioredis';
import { QueueErrorCode } from './queue.exception';
import { resolveQueueOptions } from './queue.config';
import { assertNoEviction, RedisPolicyCheck, type RedisPolicySource } from './redis-policy-check.service';

function redisWithPolicy(policy: string): RedisPolicySource {
  return { config: jest.fn(async () => ['maxmemory-policy', policy]), disconnect: jest.fn() } as unknown as RedisPolicySource;
}

function redisRefusingConfig(message: string, infoPolicy?: string): RedisPolicySource {
  return {
    config: jest.fn(async () => {
      throw new Error(message);
    }),
    ...(infoPolicy === undefined
      ? {}
      : { info: jest.fn(async () => `# Memory\r\nused_memory:1\r\nmaxmemory:0\r\nmaxmemory_policy:${infoPolicy}\r\n`) }),
  } as unknown as RedisPolicySource;
}

const logger = () => ({ warn: jest.fn() });

describe('assertNoEviction', () => {
  it('passes when the policy is noeviction', async () => {
    await expect(assertNoEviction(redisWithPolicy('noeviction'), { enforce: true })).resolves.toEqual({
      policy: 'noeviction',
      checked: true,
      source: 'config',
    });
  });

  it('throws a one-line error naming the setting when the policy evicts', async () => {
    const check = assertNoEviction(redisWithPolicy('allkeys-lru'), { enforce: true });
    await expect(check).rejects.toThrow('Redis maxmemory-policy is "allkeys-lru"; Bull needs "noeviction" (REL-18)');
    await expect(check).rejects.toMatchObject({ code: QueueErrorCode.EvictionPolicy });
  });

  it('only warns about a wrong policy when not enforcing', async () => {
    const log = logger();
    await expect(assertNoEviction(redisWithPolicy('volatile-lru'), { enforce: false, logger: log })).resolves.toMatchObject({
      policy: 'volatile-lru',
    });
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('maxmemory-policy is "volatile-lru"'));
  });

  it.each([
    "ERR unknown command 'CONFIG', with args beginning with: 'GET'",
    "NOPERM this user has no permissions to run the 'config|get' command",
  ])('warns and returns when CONFIG is refused (%s) and INFO does not tell', async (message) => {
    const log = logger();
    await expect(assertNoEviction(redisRefusingConfig(message), { enforce: true, logger: log })).resolves.toEqual({
      policy: null,
      checked: false,
      source: null,
    });
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining('Cannot read Redis maxmemory-policy'));
  });

  it('falls back to INFO memory when CONFIG is refused', async () => {
    const redis = redisRefusingConfig('ERR unknown command', 'volatile-lru');
    await expect(assertNoEviction(redis, { enforce: true })).rejects.toMatchObject({ code: QueueErrorCode.EvictionPolicy });
    await expect(assertNoEviction(redisRefusingConfig('ERR unknown command', 'noeviction'), { enforce: true })).resolves.toEqual({
      policy: 'noeviction',
      checked: true,
      source: 'info',
    });
  });

  it('throws QUEUE_REDIS_UNAVAILABLE when Redis does not answer', async () => {
    const redis = redisRefusingConfig('Reached the max retries per request limit (which is 1).');
    await expect(assertNoEviction(redis, { enforce: true, logger: logger() })).rejects.toMatchObject({
      code: QueueErrorCode.RedisUnavailable,
    });
  });
});

describe('RedisPolicyCheck', () => {
  describe('onModuleInit', () => {
    it('checks once however often it is asked', async () => {
      const redis = redisWithPolicy('noeviction');
      const check = new RedisPolicyCheck(
        redis as unknown as Redis,
        resolveQueueOptions({ redisUrl: 'redis://localhost', prefix: 'kh:bull' }),
      );
      await check.ensure();
      await check.onModuleInit();
      expect(redis.config).toHaveBeenCalledTimes(1);
    });

    it('rejects and closes its connection when enforcing and the policy evicts', async () => {
      const redis = redisWithPolicy('allkeys-lru') as unknown as Redis;
      const check = new RedisPolicyCheck(redis, resolveQueueOptions({ redisUrl: 'redis://localhost', prefix: 'kh:bull' }));
      await expect(check.onModuleInit()).rejects.toMatchObject({ code: QueueErrorCode.EvictionPolicy });
      expect(redis.disconnect).toHaveBeenCalled();
    });

    it('starts when enforceNoEviction is false', async () => {
      const check = new RedisPolicyCheck(
        redisWithPolicy('allkeys-lru') as unknown as Redis,
        resolveQueueOptions({ redisUrl: 'redis://localhost', prefix: 'kh:bull', enforceNoEviction: false }),
      );
      jest.spyOn(check['logger'], 'warn').mockImplementation(() => undefined);
      await expect(check.onModuleInit()).resolves.toBeUndefined();
    });
  });
});
