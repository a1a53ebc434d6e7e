import { sql, type Expression, type SqlBool } from 'kysely';
import { InvalidCursorError } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { decodeCursor, pageLimit, type CursorPosition } from '@keyhouse/util';
import { CrmErrorCode } from '../../crm.exception';

/** Escapes `%`, `_` and `\` so that user text is matched literally inside a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}

/** Runs a keyset builder, turning a bad cursor into a 400 `INVALID_CURSOR` naming the `cursor` field. */
export function pageOrThrow<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidCursorError) throw invalidCursor(error.message);
    throw error;
  }
}

/** Where a keyset page starts: its size (`pageLimit`) and the position of the previous page's last row (`null` on the first page). */
export interface KeysetStart {
  limit: number;
  after: CursorPosition | null;
}

/**
 * Decodes a list request's `cursor` and `limit` for a keyset page (fetch `limit + 1` rows to know
 * whether there is a next page; `toPage` cuts it and makes the next cursor).
 *
 * @throws DomainException 400 `INVALID_CURSOR` (field `cursor`) for a cursor this list did not make.
 */
export function keysetStart(cursor: string | undefined, limit: number | undefined): KeysetStart {
  if (!cursor) return { limit: pageLimit(limit), after: null };
  const after = decodeCursor(cursor);
  if (!after) throw invalidCursor(new InvalidCursorError().message);
  return { limit: pageLimit(limit), after };
}

/**
 * The keyset condition `(sortKey, idKey) > (v, id)` (`asc`) or `<` (`desc`): rows after `after` in
 * the list's order (`ORDER BY sortKey, idKey` in `direction`). Values are bound parameters; their
 * types come from the compared columns.
 */
export function keysetAfter(
  sortKey: Expression<unknown>,
  idKey: Expression<unknown>,
  direction: 'asc' | 'desc',
  after: CursorPosition,
): Expression<SqlBool> {
  return sql<SqlBool>`(${sortKey}, ${idKey}) ${sql.raw(direction === 'asc' ? '>' : '<')} (${after.v}, ${after.id})`;
}

function invalidCursor(message: string): DomainException {
  return new DomainException('validation', CrmErrorCode.InvalidCursor, message, [
    { field: 'cursor', message: 'is not a cursor of this list' },
  ]);
}
