import { REDACTED } from './queue.constant';

/** Keys whose values are never shown in the failed-jobs view. */
export const SECRET_KEY_PATTERN = /password|token|secret|key/i;

const MAX_DEPTH = 8;

/**
 * Copy of job data fit for an admin screen: the value of every property whose key matches
 * `SECRET_KEY_PATTERN` becomes `"[redacted]"`. Nested objects and arrays are walked too (up to 8
 * levels, deeper values become `"[redacted]"`): a token one level down is as secret as one at
 * the top. Primitives are returned as they are; the input is not modified.
 */
export function redactJobData(data: unknown): unknown {
  return redact(data, 0);
}

function redact(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    copy[key] = SECRET_KEY_PATTERN.test(key) ? REDACTED : redact(item, depth + 1);
  }
  return copy;
}
