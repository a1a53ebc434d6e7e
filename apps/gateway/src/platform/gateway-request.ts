import type { FastifyRequest } from 'fastify';
import type { Actor } from '@keyhouse/contracts';

/** What the gateway attaches to each Fastify request. */
export interface GatewayRequest extends FastifyRequest {
  actor?: Actor;
  requestId: string;
  traceparent: string;
}
