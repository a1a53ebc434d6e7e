import { Inject, Injectable } from '@nestjs/common';
import { createInbox, ErrorCode, headers as natsHeaders, NatsError, type Msg, type NatsConnection, type Subscription } from 'nats';
import { RPC_HEADERS, type RequestEnvelope, type RpcContract, type RpcReply } from '@keyhouse/contracts';
import { DomainException, PlatformErrorCode } from '../errors/domain.exception';
import { requestEnvelopeJson } from './request-envelope.codec';
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

interface PendingReply {
  resolve: (message: Msg) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Request/reply over NATS core with explicit timeouts. A subject with no responder fails at once
 * with `unavailable` (NATS 503 no-responders status), a slow one with `timeout`; a service error is
 * re-thrown as the `DomainException` it sent.
 *
 * Replies arrive on one wildcard inbox subscription per process (`_INBOX.<nuid>.<token>`), as with
 * `NatsConnection.request()`, but matched to their callers here: nats.js builds two `Error`s with
 * stack traces, a timeout promise and a `Promise.race` for every request, the largest per-request
 * cost of the gateway after the socket writes (docs/performance.md, ADR 0023). Errors are built
 * only when a request fails.
 */
@Injectable()
export class RpcClient {
  private inbox: string | null = null;
  private readonly pending = new Map<string, PendingReply>();
  private nextToken = 0;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(NATS_OPTIONS) private readonly options: NatsModuleOptions,
  ) {}

  /**
   * Sends `envelope` to the contract's subject (with the configured prefix) in its wire form
   * (`requestEnvelopeJson`: the actor's permissions as their code, docs/adr/0024) and the request
   * id and trace context as NATS headers; resolves with the reply's `data`, typed by the contract.
   *
   * @throws DomainException: the service's own error as it sent it; `unavailable` (503) when no
   *   service answers the subject or the connection is closed; `timeout` (504) after `timeoutMs`.
   */
  async request<TRequest, TResponse>(
    contract: RpcContract<TRequest, TResponse>,
    envelope: RequestEnvelope<TRequest>,
    options: RpcRequestOptions = {},
  ): Promise<TResponse> {
    const subject = contract.subject;
    const timeout = options.timeoutMs ?? this.options.requestTimeoutMs;
    const payload = encoder.encode(requestEnvelopeJson(envelope));
    const headers = natsHeaders();
    headers.set(RPC_HEADERS.requestId, envelope.requestId);
    if (envelope.traceparent) headers.set(RPC_HEADERS.traceparent, envelope.traceparent);
    let attempt = 0;
    for (;;) {
      try {
        const message = await this.send(this.options.subjectPrefix + subject, payload, headers, timeout);
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

  /** Publishes with a reply subject of the shared inbox; settles with the reply or a `NatsError`. */
  private send(subject: string, payload: Uint8Array, headers: ReturnType<typeof natsHeaders>, timeoutMs: number): Promise<Msg> {
    if (this.connection.isClosed()) return Promise.reject(NatsError.errorForCode(ErrorCode.ConnectionClosed));
    if (this.connection.isDraining()) return Promise.reject(NatsError.errorForCode(ErrorCode.ConnectionDraining));
    const inbox = this.inbox ?? this.subscribeInbox();
    const token = (this.nextToken++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(NatsError.errorForCode(ErrorCode.Timeout));
      }, timeoutMs);
      this.pending.set(token, { resolve, reject, timer });
      try {
        this.connection.publish(subject, payload, { reply: inbox + token, headers });
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(token);
        reject(error);
      }
    });
  }

  private subscribeInbox(): string {
    const inbox = `${createInbox()}.`;
    const subscription: Subscription = this.connection.subscribe(`${inbox}*`, {
      callback: (error, message) => {
        if (error) return; // subscription-level errors (permissions): the requests time out
        const entry = this.pending.get(message.subject.slice(inbox.length));
        if (!entry) return; // late reply after a timeout
        this.pending.delete(message.subject.slice(inbox.length));
        clearTimeout(entry.timer);
        // NATS answers a request with an empty 503 status message when no one subscribes to it
        if (message.data.length === 0 && message.headers?.code === 503) entry.reject(NatsError.errorForCode(ErrorCode.NoResponders));
        else entry.resolve(message);
      },
    });
    this.inbox = inbox;
    // The connection closed: nothing will answer the requests in flight (as nats.js: a timeout).
    void subscription.closed.then(() => {
      if (this.inbox === inbox) this.inbox = null;
      for (const [token, entry] of this.pending) {
        this.pending.delete(token);
        clearTimeout(entry.timer);
        entry.reject(NatsError.errorForCode(ErrorCode.Timeout));
      }
    });
    return inbox;
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
