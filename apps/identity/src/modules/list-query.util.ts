import { sql, type Expression } from 'kysely';
import { DomainException } from '@keyhouse/platform/messaging';
import { decodeCursor, pageLimit } from '@keyhouse/util';
import { IdentityErrorCode } from '../identity.exception';

/** Escapes `%`, `_` and `\` so that user text is matched literally inside a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}

/**
 * One keyset ("seek") page of a list sorted by `(created_at, id)`: its cost does not grow with the
 * page number, unlike OFFSET (ARCHITECTURE.md). The list's query compares the row tuple with
 * `after` (`eb(eb.refTuple('t.created_at', 't.id'), '>', eb.tuple(after.createdAt, after.id))`,
 * `<` when newest first), orders by both columns and fetches `limit + 1` rows; `toPage` then cuts
 * the extra row and makes the next cursor.
 */
export interface CreatedAtPage {
  /** Rows the page shows (1..PAGE_LIMIT_MAX, the default when none was asked). */
  limit: number;
  /** The position of the previous page's last row (from the cursor), or null on the first page. */
  after: { createdAt: Expression<Date>; id: string } | null;
}

/**
 * Decodes the cursor and clamps the page size of a list sorted by `(created_at, id)`. The cursor's
 * time is bound as the cursor carries it (ISO 8601 text, which Postgres reads as the `timestamptz`
 * it is compared with), and its id as text.
 *
 * @throws DomainException 400 `INVALID_CURSOR` (field `cursor`) for a cursor this service did not make.
 */
export function createdAtPage(cursor: string | undefined, limit: number | undefined): CreatedAtPage {
  const size = pageLimit(limit);
  if (!cursor) return { limit: size, after: null };
  const position = decodeCursor(cursor);
  if (!position) {
    throw new DomainException('validation', IdentityErrorCode.InvalidCursor, 'The cursor is not valid for this list', [
      { field: 'cursor', message: 'is not a cursor of this list' },
    ]);
  }
  return { limit: size, after: { createdAt: sql<Date>`${position.v}`, id: position.id } };
}
