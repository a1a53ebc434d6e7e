import { decodeCursor } from '@keyhouse/util';
import { sql } from 'kysely';
import { InvalidCursorError, keysetAfter, keysetPage, toPage } from './keyset-pagination.util';
import { sqlCompiler } from './kysely.util';

/** A cursor built by hand: base64url of the JSON pair [value, id]. */
const cursorOf = (v: string | number | null, id: string): string => Buffer.from(JSON.stringify([v, id])).toString('base64url');

interface Row {
  id: string;
  created_at: Date;
  name: string;
}

const rowsOf = (count: number): Row[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `id-${String(i).padStart(3, '0')}`,
    created_at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)),
    name: `Row ${i}`,
  }));

interface TestDb {
  c: { id: string; name: string; created_at: Date; price: number };
}

/** The SQL and parameters of a page of table `c` ordered by `sort`. */
function pageOf(sort: 'name' | 'created_at' | 'price', direction: 'asc' | 'desc', page: { cursor?: string; limit?: number }) {
  const db = sqlCompiler<TestDb>();
  const { query, limit } = keysetPage(
    db.selectFrom('c').select(['id']).where('c.name', '!=', 'x'),
    { sort: sql.ref(`c.${sort}`), id: sql.ref('c.id'), direction },
    page,
  );
  const compiled = query.compile();
  return { sql: compiled.sql, parameters: compiled.parameters, limit };
}

describe('keysetPage', () => {
  it('adds no condition, orders by (sort, id) and fetches limit+1 rows when there is no cursor', () => {
    expect(pageOf('created_at', 'desc', { limit: 10 })).toEqual({
      sql: 'select "id" from "c" where "c"."name" != $1 order by "c"."created_at" desc, "c"."id" desc limit $2',
      parameters: ['x', 11],
      limit: 10,
    });
  });

  it('treats an empty cursor as no cursor', () => {
    expect(pageOf('name', 'asc', { cursor: '', limit: 5 }).sql).not.toContain(') > (');
  });

  it('compares the (sort, id) row with > after the other conditions when ascending', () => {
    expect(pageOf('name', 'asc', { cursor: cursorOf('Smith', 'id-9'), limit: 20 })).toEqual({
      sql: 'select "id" from "c" where "c"."name" != $1 and ("c"."name", "c"."id") > ($2, $3) order by "c"."name" asc, "c"."id" asc limit $4',
      parameters: ['x', 'Smith', 'id-9', 21],
      limit: 20,
    });
  });

  it('compares the (sort, id) row with < when descending', () => {
    const result = pageOf('created_at', 'desc', { cursor: cursorOf('2024-01-01T00:00:05.000Z', 'id-005'), limit: 3 });
    expect(result.sql).toContain('("c"."created_at", "c"."id") < ($2, $3) order by "c"."created_at" desc, "c"."id" desc limit $4');
    expect(result.parameters).toEqual(['x', '2024-01-01T00:00:05.000Z', 'id-005', 4]);
  });

  it('passes numeric and null sort values through as parameters', () => {
    expect(pageOf('price', 'asc', { cursor: cursorOf(250000.5, 'p1') }).parameters.slice(1, 3)).toEqual([250000.5, 'p1']);
    expect(pageOf('price', 'asc', { cursor: cursorOf(null, 'p1') }).parameters.slice(1, 3)).toEqual([null, 'p1']);
  });

  it.each([
    [undefined, 25],
    [0, 1],
    [500, 100],
  ])('bounds the limit to 1..100 (default 25) when asked for %p', (limit, expected) => {
    const result = pageOf('name', 'asc', { limit });
    expect(result.limit).toBe(expected);
    expect(result.parameters.at(-1)).toBe(expected + 1);
  });

  it.each([
    ['garbage', 'not-a-cursor!'],
    ['JSON of the wrong shape', Buffer.from('{"v":1,"id":"x"}').toString('base64url')],
    ['a numeric id', Buffer.from('[1,2]').toString('base64url')],
  ])('throws InvalidCursorError when the cursor is %s', (_label, cursor) => {
    expect(() => pageOf('name', 'asc', { cursor })).toThrow(InvalidCursorError);
    expect(() => keysetAfter({ sort: sql.ref('c.name'), id: sql.ref('c.id'), direction: 'asc' }, cursor)).toThrow(InvalidCursorError);
  });
});

describe('toPage', () => {
  const position = (row: Row) => ({ v: row.created_at, id: row.id });
  const map = (row: Row) => ({ id: row.id, name: row.name });

  it('cuts the extra row and returns a cursor for the last kept row when there is one more row', () => {
    const rows = rowsOf(4);
    const page = toPage(rows, 3, position, map);
    expect(page.items).toEqual([
      { id: 'id-000', name: 'Row 0' },
      { id: 'id-001', name: 'Row 1' },
      { id: 'id-002', name: 'Row 2' },
    ]);
    expect(page.nextCursor).not.toBeNull();
    expect(decodeCursor(page.nextCursor!)).toEqual({ v: '2024-01-01T00:00:02.000Z', id: 'id-002' });
  });

  it('returns no cursor when there is no extra row', () => {
    expect(toPage(rowsOf(3), 3, position, map)).toEqual({ items: rowsOf(3).map(map), nextCursor: null });
    expect(toPage(rowsOf(1), 3, position, map).nextCursor).toBeNull();
    expect(toPage([], 3, position, map)).toEqual({ items: [], nextCursor: null });
  });

  it('keeps string, numeric and null sort values as they are in the cursor', () => {
    const rows = rowsOf(2);
    expect(decodeCursor(toPage(rows, 1, (r) => ({ v: r.name, id: r.id }), map).nextCursor!)).toEqual({ v: 'Row 0', id: 'id-000' });
    expect(decodeCursor(toPage(rows, 1, (r) => ({ v: 42.5, id: r.id }), map).nextCursor!)).toEqual({ v: 42.5, id: 'id-000' });
    expect(decodeCursor(toPage(rows, 1, (r) => ({ v: null, id: r.id }), map).nextCursor!)).toEqual({ v: null, id: 'id-000' });
  });

  it('produces a cursor that keysetPage accepts and that continues after the last item', () => {
    const page = toPage(rowsOf(11), 10, position, map);
    const next = pageOf('created_at', 'asc', { cursor: page.nextCursor!, limit: 10 });
    expect(next.sql).toContain('("c"."created_at", "c"."id") > ($2, $3)');
    expect(next.parameters.slice(1, 3)).toEqual(['2024-01-01T00:00:09.000Z', 'id-009']);
  });
});
