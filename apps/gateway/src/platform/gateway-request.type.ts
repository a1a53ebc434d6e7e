import type { FastifyRequest } from 'fastify';
import type { Actor } from '@keyhouse/contracts';

/** What the gateway attaches to each Fastify request. */
export interface GatewayRequest extends FastifyRequest {
  actor?: Actor;
  requestId: string;
  traceparent: string;
}

/**
 * Who a request counts against for rate limits and idempotency keys: the API key, else the user,
 * else (anonymous) the client IP.
 */
export function principalOf(request: GatewayRequest): string {
  const actor = request.actor;
  if (!actor) return `ip:${request.ip}`;
  return actor.apiKeyId ? `key:${actor.apiKeyId}` : `user:${actor.userId}`;
}
