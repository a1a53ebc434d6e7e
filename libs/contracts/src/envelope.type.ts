/**
 * Wire formats shared by the gateway and every service. Plain types only: no Nest runtime, ORM or
 * broker client may be imported from this library (enforced by the module-boundary lint rule).
 */

/** Kind of principal behind a request or an event. */
export type ActorType = 'user' | 'api_key' | 'system';

/**
 * Who is asking. Set by the gateway from a verified access token or API key, never from the client
 * body; services re-check authorization with it (OWASP ASVS 5.0 8.3.3).
 */
export interface Actor {
  type: ActorType;
  /** User id (UUIDv7) for users; the creating user for API keys; absent for `system`. */
  userId?: string;
  /** API key id when `type` is `api_key`. */
  apiKeyId?: string;
  /** Organization (brokerage) the actor acts within. Every query is scoped to it. */
  orgId: string;
  /** Role key: `owner`, `admin`, `manager`, `agent`, `client` or a custom role key. */
  role: string;
  /** Teams the user belongs to (or manages). */
  teamIds: string[];
  /**
   * Permissions as `resource:action:scope`, scope one of `own | team | org`. Read-only: services
   * receive lists shared between requests (over NATS they travel as a compact code, see
   * `encodePermissions` and docs/adr/0024).
   */
  permissions: readonly string[];
  /** Client IP and user agent as seen by the gateway (for audit). */
  ip?: string;
  userAgent?: string;
  /** Session (refresh-token family) id of the access token, when there is one. */
  sessionId?: string;
}

/**
 * The envelope of every NATS request. `traceparent` follows W3C Trace Context
 * (`00-<trace-id>-<span-id>-<flags>`). On the wire it is this JSON with the actor's permissions as
 * their code (`requestEnvelopeJson` / `parseRequestEnvelope` of the messaging library).
 */
export interface RequestEnvelope<TData = unknown> {
  actor: Actor | null;
  requestId: string;
  traceparent?: string;
  /** The client's `Idempotency-Key`, forwarded for services that dedupe in their own transaction. */
  idempotencyKey?: string;
  data: TData;
}

/** A field that failed validation: `field` is a dotted path (`agent.capacity`). */
export interface FieldError {
  field: string;
  message: string;
  code?: string;
}

/**
 * Class of a failure, which the gateway maps to an HTTP status (see `ERROR_KIND_STATUS`).
 * Services pick the kind; the stable machine-readable `code` says precisely what happened.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'too_many_requests'
  | 'payload_too_large'
  | 'unavailable'
  | 'timeout'
  | 'internal';

/** HTTP status for each error kind (RFC 9110 semantics). */
export const ERROR_KIND_STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

/** Error part of an RPC reply. */
export interface RpcErrorBody {
  kind: ErrorKind;
  code: string;
  message: string;
  errors?: FieldError[];
  /** Extra machine-readable facts (e.g. `retryAfterSeconds`). Never secrets or stack traces. */
  details?: Record<string, unknown>;
}

/** What a NATS responder sends back. */
export type RpcReply<TData = unknown> = { ok: true; data: TData } | { ok: false; error: RpcErrorBody };

/** Names of NATS headers set on every request. */
export const RPC_HEADERS = {
  requestId: 'x-request-id',
  traceparent: 'traceparent',
} as const;
