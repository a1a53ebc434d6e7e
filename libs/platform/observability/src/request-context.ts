import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Correlation ids of the request being handled, read by the logger on every line. */
export interface RequestContext {
  requestId: string;
  traceparent?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** True for a well-formed version-00 `traceparent` whose trace id and parent id are not all zero. */
function isValidTraceparent(traceparent: string | undefined): traceparent is string {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  return !!match && !/^0+$/.test(match[1]) && !/^0+$/.test(match[2]);
}

/** Trace id of a W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/), or undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return isValidTraceparent(traceparent) ? traceparent.slice(3, 35) : undefined;
}

/**
 * Continues the caller's trace with a new span id, or starts a new sampled trace when the incoming
 * header is absent or malformed (W3C Trace Context §4.3).
 */
export function nextTraceparent(incoming: string | undefined): string {
  const valid = isValidTraceparent(incoming);
  // randomUUID draws from Node's pooled CSPRNG buffer: much cheaper per request than randomBytes.
  const traceId = valid ? incoming.slice(3, 35) : randomUUID().replace(/-/g, '');
  const flags = valid ? incoming.slice(-2) : '01';
  return `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-${flags}`;
}
