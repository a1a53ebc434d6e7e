import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import type { GatewayRequest } from './gateway-request';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export const RATE_LIMIT_CLASS = 'keyhouse:rate-limit-class';

/** `auth`: login, register, reset (per IP, strict); `public`: unauthenticated forms; default: the rest. */
export type RateLimitClass = 'auth' | 'public' | 'default';
export const RateLimit = (kind: RateLimitClass): MethodDecorator & ClassDecorator => SetMetadata(RATE_LIMIT_CLASS, kind);

/**
 * Fixed-window rate limits in Redis (rate-limiter-flexible), shared by every gateway replica:
 * per client IP on auth and public routes (stricter), per user or API key when authenticated,
 * per IP otherwise. The IP comes from Fastify's `trustProxy` handling, so a client cannot pick it
 * with `X-Forwarded-For` unless a trusted proxy set it (RELIABILITY.md SEC-AU-06). Over the limit:
 * 429 with `Retry-After` in seconds.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiters: Record<'auth' | 'public' | 'user' | 'ip', RateLimiterRedis>;

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
      user: make('user', config.RATE_LIMIT_USER_PER_MINUTE),
      ip: make('ip', config.RATE_LIMIT_IP_PER_MINUTE),
    };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const kind = this.reflector.getAllAndOverride<RateLimitClass | undefined>(RATE_LIMIT_CLASS, [
      context.getHandler(),
      context.getClass(),
    ]);
    const actor = request.actor;
    const principal = actor ? (actor.apiKeyId ? `key:${actor.apiKeyId}` : `user:${actor.userId}`) : null;
    const [limiter, key] =
      kind === 'auth' || kind === 'public'
        ? [this.limiters[kind], request.ip]
        : principal
          ? [this.limiters.user, principal]
          : [this.limiters.ip, request.ip];
    try {
      const result = await limiter.consume(key);
      void reply.header('RateLimit-Remaining', String(result.remainingPoints));
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new DomainException('too_many_requests', PlatformErrorCode.RateLimited, 'Too many requests; slow down', undefined, {
          retryAfterSeconds: seconds,
        });
      }
      throw rejection;
    }
  }
}
