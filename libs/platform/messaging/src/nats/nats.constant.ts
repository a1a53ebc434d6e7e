export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const NATS_OPTIONS = Symbol('NATS_OPTIONS');
export const RPC_HANDLER_METADATA = 'keyhouse:rpc-handler';

export interface NatsModuleOptions {
  /** Service name: the NATS connection name and the queue group of its responders. */
  serviceName: string;
  servers: string;
  /** Prepended to every subject (`NATS_SUBJECT_PREFIX`). */
  subjectPrefix: string;
  /** Default request timeout in milliseconds (`NATS_REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs: number;
}
/** Metadata key of a schema given on `@RpcHandler(contract, { requestSchema })`. */
export const RPC_REQUEST_SCHEMA_METADATA = 'keyhouse:rpc-request-schema';
