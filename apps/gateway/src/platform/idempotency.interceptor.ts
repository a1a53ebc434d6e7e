import {
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { DomainException, PlatformErrorCode } from '@keyhouse/platform/messaging';
import { sha256Hex, stableStringify } from '@keyhouse/util';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { principalOf, type GatewayRequest } from './gateway-request.type';
import { REDIS_CLIENT } from './rate-limit.guard';

export const IDEMPOTENT_ROUTE = 'keyhouse:idempotent-route';

interface StoredEntry {
  state: 'in_progress' | 'completed';
  hash: string;
  status?: number;
  body?: unknown;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on creating POSTs (IETF draft-ietf-httpapi-idempotency-key-header; Stripe's
 * semantics): the first request's status and body are stored for `IDEMPOTENCY_TTL_HOURS`; the same
 * key with the same body (key order ignored) replays them with `Idempotent-Replayed: true`; with a
 * different body → 422; while the first is still running → 409. Keys are scoped to the caller
 * (user, API key, or client IP when anonymous), so one caller never sees another's response. A
 * request that fails is not stored, so the client may retry it with the same key. A running
 * request holds its key on a lease of `IDEMPOTENCY_LEASE_SECONDS`, renewed every third of it: a
 * gateway killed mid-request (SIGKILL, OOM) frees the key within the lease and the retry runs; the
 * services behind it take the same key, so the first attempt's writes are not made twice.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.reflector.get<boolean>(IDEMPOTENT_ROUTE, context.getHandler())) return next.handle();
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    return from(this.handle(request, context.switchToHttp().getResponse<FastifyReply>(), header, next));
  }

  private async handle(request: GatewayRequest, reply: FastifyReply, header: string | string[], next: CallHandler): Promise<unknown> {
    const key = parseKey(header);
    const storeKey = `${this.config.REDIS_KEY_PREFIX}idem:${principalOf(request)}:${sha256Hex(key)}`;
    const hash = sha256Hex(`${request.method} ${request.routeOptions.url ?? request.url}\n${stableStringify(request.body ?? null)}`);
    const ttlSeconds = this.config.IDEMPOTENCY_TTL_HOURS * 3600;
    const leaseSeconds = this.config.IDEMPOTENCY_LEASE_SECONDS;
    const claimed = await this.redis.set(
      storeKey,
      JSON.stringify({ state: 'in_progress', hash } satisfies StoredEntry),
      'EX',
      leaseSeconds,
      'NX',
    );
    if (!claimed) {
      const stored = JSON.parse((await this.redis.get(storeKey)) ?? 'null') as StoredEntry | null;
      if (!stored) return this.handle(request, reply, header, next);
      if (stored.hash !== hash) {
        throw new DomainException(
          'unprocessable',
          PlatformErrorCode.IdempotencyKeyReused,
          'This Idempotency-Key was used with a different request',
          [{ field: 'Idempotency-Key', message: 'was already used with a different body' }],
        );
      }
      if (stored.state === 'in_progress') {
        throw new DomainException(
          'conflict',
          PlatformErrorCode.IdempotencyKeyInFlight,
          'A request with this Idempotency-Key is still running',
        );
      }
      void reply.status(stored.status ?? 200).header('Idempotent-Replayed', 'true');
      return stored.body;
    }
    // Commands on one connection run in order, so a renewal sent before clearInterval lands
    // before the completed entry below and cannot shorten it.
    const renewal = setInterval(() => void this.redis.expire(storeKey, leaseSeconds).catch(() => undefined), (leaseSeconds * 1000) / 3);
    try {
      const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
      clearInterval(renewal);
      const status = reply.statusCode;
      await this.redis.set(storeKey, JSON.stringify({ state: 'completed', hash, status, body } satisfies StoredEntry), 'EX', ttlSeconds);
      return body;
    } catch (error) {
      clearInterval(renewal);
      await this.redis.del(storeKey);
      throw error;
    }
  }
}

function parseKey(header: string | string[]): string {
  const raw = Array.isArray(header) ? null : header.trim();
  const unquoted = raw && raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
  if (!unquoted || !KEY_PATTERN.test(unquoted)) {
    throw new DomainException('validation', PlatformErrorCode.IdempotencyKeyInvalid, 'The Idempotency-Key header is not valid', [
      { field: 'Idempotency-Key', message: 'must be one value of 1 to 255 visible ASCII characters' },
    ]);
  }
  return unquoted;
}

/**
 * Marks a creating POST whose `Idempotency-Key` header is honoured. The interceptor is attached
 * to these routes only, so reads do not pay for it.
 */
export const Idempotent = (): MethodDecorator =>
  applyDecorators(SetMetadata(IDEMPOTENT_ROUTE, true), UseInterceptors(IdempotencyInterceptor));
