import { SetMetadata } from '@nestjs/common';
import type { RequestEnvelope, RpcContract } from '@keyhouse/contracts';
import { RPC_HANDLER_METADATA } from './nats.constant';

/** A responder method of contract `C`: takes the request envelope, returns (or resolves to) the reply data. */
export type RpcHandlerMethod<TRequest, TResponse> = (envelope: RequestEnvelope<TRequest>) => TResponse | Promise<TResponse>;

/**
 * Marks a provider method (usually the service's own method) as the responder of an RPC contract's
 * subject. The method receives the `RequestEnvelope` and returns the reply data or throws a
 * `DomainException`; a method whose envelope or result does not match the contract's types is a
 * compile error. `RpcServer` subscribes it at bootstrap (queue group = service name).
 */
export function RpcHandler<TRequest, TResponse>(contract: RpcContract<TRequest, TResponse>) {
  return <M extends RpcHandlerMethod<TRequest, TResponse>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    SetMetadata(RPC_HANDLER_METADATA, contract.subject)(target, key, descriptor);
  };
}
