import { SetMetadata } from '@nestjs/common';
import type { RequestEnvelope, RpcContract } from '@keyhouse/contracts';
import { RPC_HANDLER_METADATA, RPC_REQUEST_SCHEMA_METADATA } from './nats.constant';

/** A responder method of contract `C`: takes the request envelope, returns (or resolves to) the reply data. */
export type RpcHandlerMethod<TRequest, TResponse> = (envelope: RequestEnvelope<TRequest>) => TResponse | Promise<TResponse>;

/** Options of `@RpcHandler`. */
export interface RpcHandlerOptions {
  /**
   * JSON Schema of the request `data`, for a contract declared outside libs/contracts/src/rpc (a
   * test's own service). Contracts of libs/contracts take theirs from the generated
   * `RPC_REQUEST_SCHEMAS` and give none here.
   */
  requestSchema?: object;
}

/**
 * Marks a provider method (usually the service's own method) as the responder of an RPC contract's
 * subject. The method receives the `RequestEnvelope` and returns the reply data or throws a
 * `DomainException`; a method whose envelope or result does not match the contract's types is a
 * compile error. `RpcServer` subscribes it at bootstrap (queue group = service name) and checks
 * each request's `data` against the contract's request schema before the method runs.
 */
export function RpcHandler<TRequest, TResponse>(contract: RpcContract<TRequest, TResponse>, options: RpcHandlerOptions = {}) {
  return <M extends RpcHandlerMethod<TRequest, TResponse>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    SetMetadata(RPC_HANDLER_METADATA, contract.subject)(target, key, descriptor);
    if (options.requestSchema) SetMetadata(RPC_REQUEST_SCHEMA_METADATA, options.requestSchema)(target, key, descriptor);
  };
}
