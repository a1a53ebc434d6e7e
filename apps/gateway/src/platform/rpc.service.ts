import { Injectable } from '@nestjs/common';
import type { RequestEnvelope } from '@keyhouse/contracts';
import { RpcClient, type RpcRequestOptions } from '@keyhouse/platform/messaging';
import type { GatewayRequest } from './gateway-request';

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
    const envelope: RequestEnvelope<TData> = {
      actor: request.actor ?? null,
      requestId: request.requestId,
      traceparent: request.traceparent,
      idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
      data,
    };
    return this.client.request<TResponse, TData>(subject, envelope, options);
  }

  /** Client address and agent as the gateway sees them (for identity's audit fields). */
  clientOf(request: GatewayRequest): { ip: string; userAgent?: string } {
    const agent = request.headers['user-agent'];
    return { ip: request.ip, ...(typeof agent === 'string' ? { userAgent: agent.slice(0, 512) } : {}) };
  }
}
