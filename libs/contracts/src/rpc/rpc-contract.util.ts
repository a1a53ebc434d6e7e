import requestSchemas from '../generated/rpc-request-schemas.json';

/**
 * One NATS request/reply operation as a value: its subject and, as phantom types, the request's
 * `data` and the reply's `data`. The gateway's call (`GatewayRpc.call`), a service-to-service
 * call (`RpcClient.request`) and the responder (`@RpcHandler`) all take the contract object, so a
 * request or response that does not match is a compile error rather than a 500 at run time.
 *
 * ```ts
 * export const CrmContactRpc = {
 *   get: defineRpc<{ id: string }, CrmContactView>('crm.contacts.get'),
 * };
 * ```
 */
export interface RpcContract<TRequest = unknown, TResponse = unknown> {
  /** `<service>.<aggregate>.<verb>` (STYLE.md), without `NATS_SUBJECT_PREFIX`. */
  readonly subject: string;
  /** Phantom: never set at run time; carries the request and response types for inference. */
  readonly types?: { readonly request: TRequest; readonly response: TResponse };
}

/** The request `data` type of a contract. */
export type RpcRequestOf<C> = C extends RpcContract<infer TRequest, unknown> ? TRequest : never;
/** The reply `data` type of a contract. */
export type RpcResponseOf<C> = C extends RpcContract<unknown, infer TResponse> ? TResponse : never;

const SUBJECT = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/;

/**
 * Declares an RPC contract. Throws (at module load, so at start-up and in every test) when the
 * subject is not `<service>.<aggregate>.<verb>` in lower-case kebab segments.
 */
export function defineRpc<TRequest, TResponse>(subject: string): RpcContract<TRequest, TResponse> {
  if (!SUBJECT.test(subject)) throw new Error(`defineRpc: "${subject}" is not <service>.<aggregate>.<verb>`);
  return Object.freeze({ subject });
}

/**
 * JSON Schemas (draft-07, as ts-json-schema-generator writes them) of the request `data` of every
 * contract declared with `defineRpc` in libs/contracts/src/rpc: `subjects[subject]` is the schema
 * of that contract's `Req` type; it refers to the shared named types with `#/definitions/<Type>`.
 * Interfaces are closed (`additionalProperties: false`).
 */
export interface RpcRequestSchemas {
  subjects: Record<string, object>;
  definitions: Record<string, object>;
}

/**
 * The request schemas of every contract, generated from the contracts' TypeScript types by
 * `npm run docs:api` (libs/contracts/src/generated/rpc-request-schemas.json; `npm test` fails when
 * it is stale). `RpcServer` validates each request against its subject's schema.
 */
export const RPC_REQUEST_SCHEMAS: RpcRequestSchemas = requestSchemas;
