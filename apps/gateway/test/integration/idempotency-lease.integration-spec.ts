import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { lastValueFrom, Observable } from 'rxjs';
import type { GatewayConfig } from '../../src/config/gateway.config';
import { IDEMPOTENT_ROUTE, IdempotencyInterceptor } from '../../src/platform/idempotency.interceptor';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The lease of a running request's `Idempotency-Key` (real Redis): short while nothing renews it,
 * so a gateway killed mid-request frees the key; renewed while the request runs, so a slow
 * request longer than the lease still answers a concurrent retry with 409 and runs once.
 */
describe('Idempotency-Key lease (real Redis)', () => {
  let redis: Redis;
  const prefix = `kh-test-${randomBytes(4).toString('hex')}:`;
  const route = () => undefined;
  Reflect.defineMetadata(IDEMPOTENT_ROUTE, true, route);
  let interceptor: IdempotencyInterceptor;

  /** One POST /v1/teams by user u1 through the interceptor; the handler takes `ms` and counts its runs. */
  const post = (key: string, ms: number, runs: { count: number }) => {
    const reply = { statusCode: 201, status: jest.fn().mockReturnThis(), header: jest.fn().mockReturnThis() };
    const context = {
      getHandler: () => route,
      switchToHttp: () => ({
        getRequest: () => ({
          headers: { 'idempotency-key': key },
          method: 'POST',
          url: '/v1/teams',
          routeOptions: { url: '/v1/teams' },
          body: { name: 'Lease' },
          actor: { userId: 'u1' },
        }),
        getResponse: () => reply,
      }),
    } as unknown as ExecutionContext;
    const next: CallHandler = {
      handle: () =>
        new Observable((subscriber) => {
          runs.count += 1;
          const timer = setTimeout(() => {
            subscriber.next({ id: `team-${runs.count}` });
            subscriber.complete();
          }, ms);
          return () => clearTimeout(timer);
        }),
    };
    return lastValueFrom(interceptor.intercept(context, next));
  };
  const claimKey = async () => (await redis.keys(`${prefix}idem:user:u1:*`))[0];

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    interceptor = new IdempotencyInterceptor(new Reflector(), redis, {
      REDIS_KEY_PREFIX: prefix,
      IDEMPOTENCY_TTL_HOURS: 24,
      IDEMPOTENCY_LEASE_SECONDS: 1,
    } as GatewayConfig);
  });

  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  afterAll(async () => {
    await redis.quit();
  });

  // Unrenewed, the claim expires with its lease: that is what frees the key of a gateway killed
  // mid-request (the kill -9 test in faults/service-crash shows the retry then running).
  it('claims the key for the lease only (not the 24-hour answer lifetime) while the request runs', async () => {
    const runs = { count: 0 };
    const first = post('lease-a', 300, runs);
    await sleep(100);
    const ttl = await redis.ttl(await claimKey());
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1);
    await first;
    expect(await redis.ttl(await claimKey())).toBeGreaterThan(23 * 3600);
  });

  it('renews the claim while a request outlives its lease: a retry meanwhile gets 409, the handler runs once and the retry afterwards replays', async () => {
    const runs = { count: 0 };
    const first = post('lease-b', 2500, runs);
    await sleep(1800);
    await expect(post('lease-b', 0, runs)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_FLIGHT' });
    expect(await first).toEqual({ id: 'team-1' });
    expect(await post('lease-b', 0, runs)).toEqual({ id: 'team-1' });
    expect(runs.count).toBe(1);
  });
});
