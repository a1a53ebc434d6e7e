import type { ColumnType } from 'kysely';

/*
 * The column types kysely-codegen writes into every generated `apps/<svc>/src/database/<svc>.db.ts`
 * (docs/adr/0027), declared once here: `deploy/db-types.js` removes codegen's copies and imports
 * these. A column read as S, inserted as I and updated as U is `ColumnType<S, I, U>`.
 */

/** A column with a database default: optional on insert. */
export type Generated<T> =
  T extends ColumnType<infer S, infer I, infer U> ? ColumnType<S, I | undefined, U> : ColumnType<T, T | undefined, T>;

/** `bigint`: node-postgres reads it as a string (exact beyond 2^53); numbers and bigints are accepted on write. */
export type Int8 = ColumnType<string, bigint | number | string, bigint | number | string>;

/** `timestamptz` / `timestamp`: read as `Date`, written as `Date` or an ISO 8601 string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A Postgres array of a column type. */
export type ArrayType<T> = ArrayTypeImpl<T> extends (infer U)[] ? U[] : ArrayTypeImpl<T>;
export type ArrayTypeImpl<T> = T extends ColumnType<infer S, infer I, infer U> ? ColumnType<S[], I[], U[]> : T[];

/** `json` / `jsonb` without a narrower type (see `JsonColumn` and the services' `*.db-overrides.json`). */
export type Json = JsonValue;
export type JsonArray = JsonValue[];
export type JsonObject = {
  [x: string]: JsonValue | undefined;
};
export type JsonPrimitive = boolean | number | string | null;
export type JsonValue = JsonArray | JsonObject | JsonPrimitive;
