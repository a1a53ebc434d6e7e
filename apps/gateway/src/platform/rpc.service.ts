import { Injectable } from '@nestjs/common';
import type { RequestEnvelope, RpcContract } from '@keyhouse/contracts';
import { RpcClient, type RpcRequestOptions } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from './gateway-request.type';

/**
 * The gateway's one NATS hop per HTTP request: wraps `data` in the request envelope with the
 * verified actor (never taken from the body), the request id, the trace context and the
 * client's `Idempotency-Key`.
 */
@Injectable()
export class GatewayRpc {
  constructor(private readonly client: RpcClient) {}

  /** One NATS request for `request`: its reply, typed by the contract (see `RpcClient.request` for the errors). */
  call<TRequest, TResponse>(
    contract: RpcContract<TRequest, TResponse>,
    request: GatewayRequest,
    data: TRequest,
    options?: RpcRequestOptions,
  ): Promise<TResponse> {
    const idempotencyKey = request.headers['idempotency-key'];
    const envelope: RequestEnvelope<TRequest> = {
      actor: request.actor ?? null,
      requestId: request.requestId,
      traceparent: request.traceparent,
      idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
      data,
    };
    return this.client.request(contract, envelope, options);
  }

  /** Client address and agent as the gateway sees them (for identity's audit fields). */
  clientOf(request: GatewayRequest): { ip: string; userAgent?: string } {
    const agent = request.headers['user-agent'];
    return { ip: request.ip, ...(typeof agent === 'string' ? { userAgent: agent.slice(0, 512) } : {}) };
  }
}
