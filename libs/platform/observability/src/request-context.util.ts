import { randomFillSync } from 'node:crypto';

/** Correlation ids of a request: the gateway's request object and every NATS envelope carry them. */
export interface RequestContext {
  requestId: string;
  traceparent?: string;
}

/**
 * The fields a log line about a request carries: `requestId`, and `traceId` when the trace
 * context is valid. No AsyncLocalStorage holds them (docs/adr/0025): a line written while
 * handling a request takes them from the request or envelope at hand,
 * `logger.warn({ ...requestLogFields(envelope), fileId }, '…')`.
 */
export function requestLogFields(context: RequestContext): { requestId: string; traceId?: string } {
  const traceId = traceIdOf(context.traceparent);
  return traceId ? { requestId: context.requestId, traceId } : { requestId: context.requestId };
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

/** CSPRNG bytes drawn 4 KiB at a time: one `randomFillSync` per ~170 requests instead of two UUIDs each. */
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomPool = randomFillSync(Buffer.allocUnsafe(RANDOM_POOL_BYTES));
    randomOffset = 0;
  }
  const hex = randomPool.toString('hex', randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  // all-zero ids are invalid (W3C Trace Context §3.2.2.3, §3.2.2.4); a 2^-64 chance, but never send one
  return /^0+$/.test(hex) ? randomHex(bytes) : hex;
}

/**
 * Continues the caller's trace with a new span id, or starts a new sampled trace when the incoming
 * header is absent or malformed (W3C Trace Context §4.3).
 */
export function nextTraceparent(incoming: string | undefined): string {
  const valid = isValidTraceparent(incoming);
  const traceId = valid ? incoming.slice(3, 35) : randomHex(16);
  const flags = valid ? incoming.slice(-2) : '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}
