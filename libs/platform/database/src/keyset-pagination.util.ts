import type { Page } from '@keyhouse/contracts';
import { decodeCursor, encodeCursor, pageLimit } from '@keyhouse/util';

export class InvalidCursorError extends Error {
  constructor() {
    super('The cursor is not valid for this list');
  }
}

export interface KeysetQuery {
  /** SQL expression sorted by, e.g. `u.created_at`; `(sortColumn, idColumn)` must be indexed. */
  sortColumn: string;
  /** Tie-breaker column, e.g. `u.id`. */
  idColumn: string;
  direction: 'ASC' | 'DESC';
  cursor?: string;
  limit?: number;
  /** Number of the first SQL parameter this helper may use (`$n`). */
  firstParam: number;
}

/**
 * Keyset ("seek") pagination for raw SQL: `WHERE (sort, id) > ($n, $n+1) ORDER BY sort, id LIMIT
 * limit+1`. Its cost does not grow with the page number, unlike OFFSET (ARCHITECTURE.md: 650 ms vs
 * 4 ms at 500k rows). Returns the condition (or `TRUE`), the ORDER BY/LIMIT tail and parameters.
 * Throws `InvalidCursorError` for a cursor this helper did not make. Time sort columns must be
 * `timestamptz(3)` (millisecond precision, like a JavaScript Date), or a cursor made from the
 * last row would fall short of it and repeat rows.
 */
export function keyset(query: KeysetQuery): { where: string; tail: string; params: unknown[]; limit: number } {
  const limit = pageLimit(query.limit);
  const op = query.direction === 'ASC' ? '>' : '<';
  const tail = `ORDER BY ${query.sortColumn} ${query.direction}, ${query.idColumn} ${query.direction} LIMIT ${limit + 1}`;
  if (!query.cursor) return { where: 'TRUE', tail, params: [], limit };
  const position = decodeCursor(query.cursor);
  if (!position) throw new InvalidCursorError();
  const n = query.firstParam;
  return {
    where: `(${query.sortColumn}, ${query.idColumn}) ${op} ($${n}, $${n + 1})`,
    tail,
    params: [position.v, position.id],
    limit,
  };
}

/** Cuts the extra row fetched by `keyset` and builds the next cursor from the last item. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  position: (row: Row) => { v: string | number | Date | null; id: string },
  map: (row: Row) => Item,
): Page<Item> {
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  let nextCursor: string | null = null;
  if (hasMore && last) {
    const { v, id } = position(last);
    nextCursor = encodeCursor({ v: v instanceof Date ? v.toISOString() : v, id });
  }
  return { items: kept.map(map), nextCursor };
}
