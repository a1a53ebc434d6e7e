import { Injectable } from '@nestjs/common';
import type { Actor } from '@keyhouse/contracts';
import { RpcClient, type RpcRequestOptions } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from './gateway-request';

/** JSON of actors seen before: the authentication guard reuses one frozen actor per token and client. */
const actorJsonCache = new WeakMap<Actor, string>();

function actorJson(actor: Actor): string {
  let json = actorJsonCache.get(actor);
  if (json === undefined) {
    json = JSON.stringify(actor);
    // only frozen actors can be cached: a mutable one could change after serialization
    if (Object.isFrozen(actor)) actorJsonCache.set(actor, json);
  }
  return json;
}

/**
 * The gateway's one NATS hop per HTTP request: wraps `data` in the request envelope with the
 * verified actor (never taken from the body), the request id, the trace context and the
 * client's `Idempotency-Key`.
 */
@Injectable()
export class GatewayRpc {
  constructor(private readonly client: RpcClient) {}

  call<TResponse, TData = unknown>(
    subject: string,
    request: GatewayRequest,
    data: TData,
    options?: RpcRequestOptions,
  ): Promise<TResponse> {
    const idempotencyKey = request.headers['idempotency-key'];
    // The JSON of `RequestEnvelope`, written out so that the actor's (reused, frozen) object is
    // serialized once rather than per request; the same text `JSON.stringify(envelope)` gives.
    const actor = request.actor;
    let json = `{"actor":${actor ? actorJson(actor) : 'null'},"requestId":${JSON.stringify(request.requestId)}`;
    if (request.traceparent !== undefined) json += `,"traceparent":${JSON.stringify(request.traceparent)}`;
    if (typeof idempotencyKey === 'string') json += `,"idempotencyKey":${JSON.stringify(idempotencyKey)}`;
    const body = JSON.stringify(data) as string | undefined;
    json += body === undefined ? '}' : `,"data":${body}}`;
    return this.client.requestJson<TResponse>(subject, json, request, options);
  }

  /** Client address and agent as the gateway sees them (for identity's audit fields). */
  clientOf(request: GatewayRequest): { ip: string; userAgent?: string } {
    const agent = request.headers['user-agent'];
    return { ip: request.ip, ...(typeof agent === 'string' ? { userAgent: agent.slice(0, 512) } : {}) };
  }
}
