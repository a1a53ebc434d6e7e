import { DomainException, PlatformErrorCode } from './domain.exception';

/**
 * SQLSTATEs that mean the database, not the request, failed (PostgreSQL Appendix A): class 08
 * (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
 * 53300 too_many_connections.
 */
const OUTAGE_SQLSTATES = /^(08...|57P0[123]|53300)$/;

/** Node socket errors and node-postgres messages of a lost or refused connection. */
const OUTAGE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
const OUTAGE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
];

/** How long a client should wait before retrying a request refused during a database outage (seconds). */
export const DATABASE_OUTAGE_RETRY_AFTER_SECONDS = 2;

/**
 * Whether `error` (a TypeORM `QueryFailedError`, a node-postgres error, or either inside `cause` /
 * `driverError`) says the database is unreachable or restarting rather than that the statement
 * was wrong: the request may succeed if retried (issue 13 item 18).
 */
export function isDatabaseOutage(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const candidate = error as { name?: unknown; code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
  // TypeORM releases a transaction's query runner when its connection fails; the next statement
  // of that transaction (or its COMMIT) then throws this instead of the connection error.
  if (candidate.name === 'QueryRunnerAlreadyReleasedError') return true;
  if (typeof candidate.code === 'string' && (OUTAGE_SQLSTATES.test(candidate.code) || OUTAGE_ERRNOS.has(candidate.code))) return true;
  if (typeof candidate.message === 'string' && OUTAGE_MESSAGES.some((pattern) => pattern.test(candidate.message as string))) return true;
  return isDatabaseOutage(candidate.driverError, depth + 1) || isDatabaseOutage(candidate.cause, depth + 1);
}

/**
 * The refusal for a request that met a database outage: kind `unavailable` (HTTP 503) with
 * `retryAfterSeconds` (the gateway sends it as `Retry-After`), code `DATABASE_UNAVAILABLE`.
 */
export function databaseUnavailable(): DomainException {
  return new DomainException(
    'unavailable',
    PlatformErrorCode.DatabaseUnavailable,
    'The service cannot reach its database right now; retry shortly',
    undefined,
    { retryAfterSeconds: DATABASE_OUTAGE_RETRY_AFTER_SECONDS },
  );
}
