import { v7 as uuidv7, validate, version } from 'uuid';

/** New time-ordered id: UUID version 7 (RFC 9562 §5.7), so inserts stay index-local. */
export function newId(): string {
  return uuidv7();
}

/** True when `value` is a syntactically valid UUID of any version. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && validate(value);
}

/** True when `value` is a UUIDv7. */
export function isUuidV7(value: unknown): value is string {
  return isUuid(value) && version(value) === 7;
}
