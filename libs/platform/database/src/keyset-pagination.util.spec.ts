import { decodeCursor } from '@keyhouse/util';
import { InvalidCursorError, keyset, toPage } from './keyset-pagination.util';

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

describe('keyset', () => {
  it('returns TRUE, no parameters and LIMIT limit+1 when there is no cursor', () => {
    expect(keyset({ sortColumn: 'c.created_at', idColumn: 'c.id', direction: 'DESC', limit: 10, firstParam: 3 })).toEqual({
      where: 'TRUE',
      tail: 'ORDER BY c.created_at DESC, c.id DESC LIMIT 11',
      params: [],
      limit: 10,
    });
  });

  it('treats an empty cursor as no cursor', () => {
    expect(keyset({ sortColumn: 'c.name', idColumn: 'c.id', direction: 'ASC', cursor: '', limit: 5, firstParam: 1 }).where).toBe('TRUE');
  });

  it('compares the (sort, id) row with > from parameter firstParam when ascending', () => {
    const result = keyset({
      sortColumn: 'c.name',
      idColumn: 'c.id',
      direction: 'ASC',
      cursor: cursorOf('Smith', 'id-9'),
      limit: 20,
      firstParam: 1,
    });
    expect(result).toEqual({
      where: '(c.name, c.id) > ($1, $2)',
      tail: 'ORDER BY c.name ASC, c.id ASC LIMIT 21',
      params: ['Smith', 'id-9'],
      limit: 20,
    });
  });

  it('compares the (sort, id) row with < from parameter firstParam when descending', () => {
    const result = keyset({
      sortColumn: 'l.created_at',
      idColumn: 'l.id',
      direction: 'DESC',
      cursor: cursorOf('2024-01-01T00:00:05.000Z', 'id-005'),
      limit: 3,
      firstParam: 4,
    });
    expect(result.where).toBe('(l.created_at, l.id) < ($4, $5)');
    expect(result.params).toEqual(['2024-01-01T00:00:05.000Z', 'id-005']);
    expect(result.tail).toBe('ORDER BY l.created_at DESC, l.id DESC LIMIT 4');
  });

  it('passes numeric and null sort values through as parameters', () => {
    expect(
      keyset({ sortColumn: 'p.price', idColumn: 'p.id', direction: 'ASC', cursor: cursorOf(250000.5, 'p1'), firstParam: 2 }).params,
    ).toEqual([250000.5, 'p1']);
    expect(
      keyset({ sortColumn: 'p.price', idColumn: 'p.id', direction: 'ASC', cursor: cursorOf(null, 'p1'), firstParam: 2 }).params,
    ).toEqual([null, 'p1']);
  });

  it.each([
    [undefined, 25],
    [0, 1],
    [500, 100],
  ])('bounds the limit to 1..100 (default 25) when asked for %p', (limit, expected) => {
    const result = keyset({ sortColumn: 's', idColumn: 'i', direction: 'ASC', limit, firstParam: 1 });
    expect(result.limit).toBe(expected);
    expect(result.tail).toMatch(new RegExp(`LIMIT ${expected + 1}$`));
  });

  it.each([
    ['garbage', 'not-a-cursor!'],
    ['JSON of the wrong shape', Buffer.from('{"v":1,"id":"x"}').toString('base64url')],
    ['a numeric id', Buffer.from('[1,2]').toString('base64url')],
  ])('throws InvalidCursorError when the cursor is %s', (_label, cursor) => {
    expect(() => keyset({ sortColumn: 's', idColumn: 'i', direction: 'ASC', cursor, firstParam: 1 })).toThrow(InvalidCursorError);
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

  it('produces a cursor that keyset accepts and that continues after the last item', () => {
    const page = toPage(rowsOf(11), 10, position, map);
    const next = keyset({
      sortColumn: 't.created_at',
      idColumn: 't.id',
      direction: 'ASC',
      cursor: page.nextCursor!,
      limit: 10,
      firstParam: 2,
    });
    expect(next.where).toBe('(t.created_at, t.id) > ($2, $3)');
    expect(next.params).toEqual(['2024-01-01T00:00:09.000Z', 'id-009']);
  });
});
