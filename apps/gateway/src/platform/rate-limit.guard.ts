import { type CanActivate, type ExecutionContext, Inject, Injectable, type OnApplicationShutdown, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { BatchedWindowCounter } from './batched-window-counter.service';
import { principalOf, type GatewayRequest } from './gateway-request.type';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export const RATE_LIMIT_CLASS = 'keyhouse:rate-limit-class';

/** `auth`: login, register, reset (per IP, strict); `public`: unauthenticated forms; default: the rest. */
export type RateLimitClass = 'auth' | 'public' | 'default';
export const RateLimit = (kind: RateLimitClass): MethodDecorator & ClassDecorator => SetMetadata(RATE_LIMIT_CLASS, kind);

/**
 * Fixed-window rate limits shared by every gateway replica through Redis: per client IP on auth
 * and public routes (stricter, counted exactly in Redis per request with rate-limiter-flexible),
 * per IP for other anonymous calls (exact too), and per user or API key when authenticated
 * (counted locally and synchronised with Redis every 200 ms by `BatchedWindowCounter`, so the hot
 * path makes no Redis round trip). The IP comes from Fastify's `trustProxy` handling, so a client
 * cannot pick it with `X-Forwarded-For` unless a trusted proxy set it (RELIABILITY.md SEC-AU-06).
 * Over the limit: 429 with `Retry-After` in seconds.
 */
@Injectable()
export class RateLimitGuard implements CanActivate, OnApplicationShutdown {
  private readonly limiters: Record<'auth' | 'public' | 'ip', RateLimiterRedis>;
  private readonly perPrincipal: BatchedWindowCounter;
  /** Each route's class (read once per controller class and handler: metadata is static). */
  private readonly classes = new WeakMap<object, WeakMap<object, RateLimitClass | undefined>>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(REDIS_CLIENT) redis: Redis,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    const make = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.REDIS_KEY_PREFIX}rl:${keyPrefix}`,
        points,
        duration: 60,
        // While Redis is unreachable, limit per replica in memory rather than fail every request.
        insuranceLimiter: new RateLimiterMemory({ points, duration: 60 }),
      });
    this.limiters = {
      auth: make('auth', config.RATE_LIMIT_AUTH_PER_MINUTE),
      public: make('public', config.RATE_LIMIT_PUBLIC_PER_MINUTE),
      ip: make('ip', config.RATE_LIMIT_IP_PER_MINUTE),
    };
    this.perPrincipal = new BatchedWindowCounter(redis, `${config.REDIS_KEY_PREFIX}rl:principal:`, config.RATE_LIMIT_USER_PER_MINUTE);
    this.perPrincipal.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.perPrincipal.stop();
  }

  /** Synchronous for authenticated callers (no promise on the hot path); Redis otherwise. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<GatewayRequest>();
    const reply = http.getResponse<FastifyReply>();
    const kind = this.classOf(context.getClass(), context.getHandler());
    if (kind !== 'auth' && kind !== 'public' && request.actor) {
      const decision = this.perPrincipal.consume(principalOf(request));
      if (!decision.allowed) throw rateLimited(decision.retryAfterMs);
      void reply.header('RateLimit-Remaining', String(decision.remaining));
      return true;
    }
    return this.consumeExact(kind === 'auth' || kind === 'public' ? this.limiters[kind] : this.limiters.ip, request.ip, reply);
  }

  private async consumeExact(limiter: RateLimiterRedis, key: string, reply: FastifyReply): Promise<boolean> {
    try {
      const result = await limiter.consume(key);
      void reply.header('RateLimit-Remaining', String(result.remainingPoints));
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw rateLimited(rejection.msBeforeNext);
      throw rejection;
    }
  }

  private classOf(type: object, handler: object): RateLimitClass | undefined {
    let byHandler = this.classes.get(type);
    if (!byHandler) this.classes.set(type, (byHandler = new WeakMap()));
    if (!byHandler.has(handler)) {
      const targets = [handler, type] as Array<() => void>;
      byHandler.set(handler, this.reflector.getAllAndOverride<RateLimitClass | undefined>(RATE_LIMIT_CLASS, targets));
    }
    return byHandler.get(handler);
  }
}

function rateLimited(retryAfterMs: number): DomainException {
  return new DomainException('too_many_requests', PlatformErrorCode.RateLimited, 'Too many requests; slow down', undefined, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
  });
}
