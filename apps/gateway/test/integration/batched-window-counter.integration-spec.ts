import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { BatchedWindowCounter } from '../../src/platform/batched-window-counter.service';

describe('BatchedWindowCounter (real Redis)', () => {
  let redis: Redis;
  const prefix = `kh-test-${randomBytes(4).toString('hex')}:rl:`;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  describe('consume', () => {
    it('refuses once one replica reaches the limit, with the time left in the window', () => {
      const counter = new BatchedWindowCounter(redis, `${prefix}a:`, 3, 60_000);
      const now = 1_800_000_000_000 + 15_000;
      expect([1, 2, 3].map(() => counter.consume('user:1', now).allowed)).toEqual([true, true, true]);
      const refused = counter.consume('user:1', now);
      expect(refused).toEqual({ allowed: false, retryAfterMs: 45_000 });
      expect(counter.consume('user:2', now).allowed).toBe(true);
      expect(counter.consume('user:1', now + 45_000).allowed).toBe(true);
    });
  });

  describe('flush', () => {
    it('shares counts between replicas through Redis, so their sum respects the limit after a flush', async () => {
      const now = Date.now();
      const a = new BatchedWindowCounter(redis, `${prefix}b:`, 10, 60_000);
      const b = new BatchedWindowCounter(redis, `${prefix}b:`, 10, 60_000);
      for (let i = 0; i < 6; i += 1) expect(a.consume('user:1', now).allowed).toBe(true);
      await a.flush(now);
      for (let i = 0; i < 4; i += 1) expect(b.consume('user:1', now).allowed).toBe(true);
      await b.flush(now);
      expect(b.consume('user:1', now).allowed).toBe(false);
      expect(a.consume('user:1', now).allowed).toBe(true);
      await a.flush(now);
      expect(a.consume('user:1', now).allowed).toBe(false);
      const stored = Number(await redis.get(`${prefix}b:user:1:${Math.floor(now / 60_000)}`));
      expect(stored).toBe(11);
      expect(await redis.pttl(`${prefix}b:user:1:${Math.floor(now / 60_000)}`)).toBeGreaterThan(60_000);
    });
  });
});
