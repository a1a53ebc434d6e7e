import type { ErrorKind, FieldError, RpcErrorBody } from '@keyhouse/contracts';

/**
 * The one exception type services throw for an expected failure. `kind` decides the HTTP status at
 * the gateway (`ERROR_KIND_STATUS`), `code` is the stable machine-readable reason that tests and
 * clients assert (each module has its own code enum), `errors` names invalid fields.
 */
export class DomainException extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainException';
  }

  toBody(): RpcErrorBody {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      ...(this.errors?.length ? { errors: this.errors } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }

  static fromBody(body: RpcErrorBody): DomainException {
    return new DomainException(body.kind, body.code, body.message, body.errors, body.details);
  }

  static notFound(code: string, what: string): DomainException {
    return new DomainException('not_found', code, `${what} not found`);
  }

  static forbidden(code = 'FORBIDDEN', message = 'You do not have permission to do this'): DomainException {
    return new DomainException('forbidden', code, message);
  }

  /** 400 `INVALID_CURSOR` naming the field `cursor`: a list's cursor it did not make. */
  static invalidCursor(): DomainException {
    return new DomainException('validation', PlatformErrorCode.InvalidCursor, 'The cursor is not valid for this list', [
      { field: 'cursor', message: 'is not a cursor of this list' },
    ]);
  }

  static validation(errors: FieldError[], code = 'VALIDATION_FAILED'): DomainException {
    return new DomainException('validation', code, 'The request has invalid fields', errors);
  }
}

/** Codes used by the platform itself (transport and generic failures). */
export enum PlatformErrorCode {
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  ServiceTimeout = 'SERVICE_TIMEOUT',
  /** The service's database is unreachable or restarting (503 with Retry-After; issue 13 item 18). */
  DatabaseUnavailable = 'DATABASE_UNAVAILABLE',
  Internal = 'INTERNAL_ERROR',
  ValidationFailed = 'VALIDATION_FAILED',
  /** A list's `cursor` that the list did not make (`InvalidCursorError` of keyset pagination). */
  InvalidCursor = 'INVALID_CURSOR',
  MalformedJson = 'MALFORMED_JSON',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  NotFound = 'NOT_FOUND',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  /** A user-self operation (own profile, password, 2FA, logout) called with an API key or as the system. */
  UserSessionRequired = 'USER_SESSION_REQUIRED',
  RateLimited = 'RATE_LIMITED',
  IdempotencyKeyReused = 'IDEMPOTENCY_KEY_REUSED',
  IdempotencyKeyInFlight = 'IDEMPOTENCY_KEY_IN_FLIGHT',
  IdempotencyKeyInvalid = 'IDEMPOTENCY_KEY_INVALID',
}
