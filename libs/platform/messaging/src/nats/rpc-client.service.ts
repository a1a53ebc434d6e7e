import { Inject, Injectable } from '@nestjs/common';
import { ErrorCode, headers as natsHeaders, type NatsConnection, type NatsError } from 'nats';
import { RPC_HEADERS, type RequestEnvelope, type RpcReply } from '@keyhouse/contracts';
import { DomainException, PlatformErrorCode } from '../errors/domain.exception';
import { NATS_CONNECTION, NATS_OPTIONS, type NatsModuleOptions } from './nats.constant';

export interface RpcRequestOptions {
  /** Milliseconds before the request fails with `SERVICE_TIMEOUT` (default from configuration). */
  timeoutMs?: number;
  /**
   * Extra attempts after a timeout or a missing responder. Only for idempotent queries: NATS core
   * is at-most-once, so a retried command could run twice unless it carries an idempotency key.
   */
  retries?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Request/reply over NATS core with explicit timeouts. A subject with no responder fails at once
 * with `unavailable` (NATS 503 no-responders status), a slow one with `timeout`; a service error is
 * re-thrown as the `DomainException` it sent.
 */
@Injectable()
export class RpcClient {
  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(NATS_OPTIONS) private readonly options: NatsModuleOptions,
  ) {}

  async request<TResponse, TData = unknown>(
    subject: string,
    envelope: RequestEnvelope<TData>,
    options: RpcRequestOptions = {},
  ): Promise<TResponse> {
    const timeout = options.timeoutMs ?? this.options.requestTimeoutMs;
    const payload = encoder.encode(JSON.stringify(envelope));
    const headers = natsHeaders();
    headers.set(RPC_HEADERS.requestId, envelope.requestId);
    if (envelope.traceparent) headers.set(RPC_HEADERS.traceparent, envelope.traceparent);
    let attempt = 0;
    for (;;) {
      try {
        const message = await this.connection.request(this.options.subjectPrefix + subject, payload, {
          timeout,
          headers,
        });
        const reply = JSON.parse(decoder.decode(message.data)) as RpcReply<TResponse>;
        if (reply.ok) return reply.data;
        throw DomainException.fromBody(reply.error);
      } catch (error) {
        const transport = toTransportError(error, subject);
        if (!transport) throw error;
        if (attempt >= (options.retries ?? 0)) throw transport;
        attempt += 1;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }
}

function toTransportError(error: unknown, subject: string): DomainException | null {
  const code = (error as NatsError | undefined)?.code;
  const service = subject.split('.')[0];
  if (code === ErrorCode.NoResponders) {
    return new DomainException('unavailable', PlatformErrorCode.ServiceUnavailable, `The ${service} service is unavailable`);
  }
  if (code === ErrorCode.Timeout) {
    return new DomainException('timeout', PlatformErrorCode.ServiceTimeout, `The ${service} service did not answer in time`);
  }
  if (code === ErrorCode.ConnectionClosed || code === ErrorCode.Disconnect || code === ErrorCode.ConnectionDraining) {
    return new DomainException('unavailable', PlatformErrorCode.ServiceUnavailable, 'The message bus is unavailable');
  }
  return null;
}
