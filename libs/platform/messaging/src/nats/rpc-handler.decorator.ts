import { SetMetadata } from '@nestjs/common';
import { RPC_HANDLER_METADATA } from './nats.constant';

/**
 * Marks a provider method as the responder of a NATS subject. The method receives the
 * `RequestEnvelope` and returns the reply data (or throws a `DomainException`).
 */
export const RpcHandler = (subject: string): MethodDecorator => SetMetadata(RPC_HANDLER_METADATA, subject);
