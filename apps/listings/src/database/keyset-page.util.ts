import { sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { DomainException } from '@keyhouse/platform/messaging';
import { decodeCursor, pageLimit } from '@keyhouse/util';
import { ListingsErrorCode } from '../listings.exception';

/** What a keyset-paginated list is ordered by: `(sort, id)`, which must be indexed. */
export interface KeysetOrder {
  /**
   * The sort expression, e.g. `sql.ref('p.created_at')`. Time columns must be `timestamptz(3)`
   * (millisecond precision, like a JavaScript Date), or a cursor made from the last row would fall
   * short of it and repeat rows.
   */
  sort: Expression<unknown>;
  /** The tie-breaker, e.g. `sql.ref('p.id')`. */
  id: Expression<unknown>;
  direction: 'asc' | 'desc';
}

/**
 * The keyset condition of a page for the query builder: `(sort, id) > (v, id)` ascending, `<`
 * descending, with the cursor's position bound as parameters (the builder form of `keyset` of
 * `@keyhouse/platform/database`); null on the first page (no or empty cursor).
 *
 * @throws DomainException 400 `INVALID_CURSOR` for a cursor this service did not make.
 */
export function keysetAfter(order: KeysetOrder, cursor: string | undefined): Expression<SqlBool> | null {
  if (!cursor) return null;
  const position = decodeCursor(cursor);
  if (!position) {
    throw new DomainException('validation', ListingsErrorCode.InvalidCursor, 'The cursor is not valid for this list', [
      { field: 'cursor', message: 'is not a cursor of this list' },
    ]);
  }
  const op = order.direction === 'asc' ? sql.raw('>') : sql.raw('<');
  return sql<SqlBool>`(${order.sort}, ${order.id}) ${op} (${position.v}, ${position.id})`;
}

/**
 * One keyset ("seek") page of `query`: the condition of `keysetAfter`, `ORDER BY sort, id` in the
 * order's direction and `LIMIT limit + 1` (the extra row tells `toPage` there is a next page). Its
 * cost does not grow with the page number, unlike OFFSET. Returns the query and the page size
 * (1..PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT when absent) for `toPage`.
 *
 * @throws DomainException 400 `INVALID_CURSOR` for a cursor this service did not make.
 */
export function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  order: KeysetOrder,
  page: { cursor?: string; limit?: number },
): { query: SelectQueryBuilder<DB, TB, O>; limit: number } {
  const limit = pageLimit(page.limit);
  const after = keysetAfter(order, page.cursor);
  const filtered = after ? query.where(after) : query;
  return {
    query: filtered
      .orderBy(order.sort, order.direction)
      .orderBy(order.id, order.direction)
      .limit(limit + 1),
    limit,
  };
}
