import { decodeCursor, encodeCursor, pageLimit, type CursorPosition } from './cursor.util';

/** Base64url (RFC 4648 §5) of arbitrary UTF-8 text, built without the code under test. */
const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

describe('encodeCursor', () => {
  it('produces only base64url characters when given any position', () => {
    const cursor = encodeCursor({ v: '2024-05-01T10:00:00.000Z', id: 'id with spaces/+?é' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('decodeCursor', () => {
  it.each<[string, CursorPosition]>([
    ['an ISO time', { v: '2024-05-01T10:00:00.000Z', id: '0190a6f2-8c1e-7c3a-9a51-1f2e3d4c5b6a' }],
    ['an empty string value', { v: '', id: 'a' }],
    ['a positive integer', { v: 42, id: 'a' }],
    ['zero', { v: 0, id: 'a' }],
    ['a negative fraction', { v: -17.25, id: 'b' }],
    ['null', { v: null, id: 'c' }],
    ['non-ASCII text', { v: 'Zoë – 東京 🏠', id: 'ünïcødé' }],
  ])('returns the encoded position when the value is %s', (_label, position) => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('keeps a null value distinct from the string "null" when round-tripping', () => {
    expect(decodeCursor(encodeCursor({ v: 'null', id: 'a' }))).toEqual({ v: 'null', id: 'a' });
    expect(decodeCursor(encodeCursor({ v: null, id: 'a' }))).toEqual({ v: null, id: 'a' });
  });

  it('round-trips 200 generated positions when values and ids vary', () => {
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let i = 0; i < 200; i++) {
      const kind = next() % 3;
      const v =
        kind === 0
          ? null
          : kind === 1
            ? next() / 7 - 1e8
            : String.fromCharCode(...Array.from({ length: next() % 40 }, () => 32 + (next() % 5000)));
      const position = { v, id: `row-${next()}` };
      expect(decodeCursor(encodeCursor(position))).toEqual(position);
    }
  });

  it.each([
    ['an empty string', ''],
    ['text with no base64 characters', '!!!!***%%%'],
    ['plain words', 'not a cursor'],
    ['base64url of non-JSON text', b64url('hello world')],
    ['JSON null', b64url('null')],
    ['a JSON string', b64url('"abc"')],
    ['a JSON number', b64url('12')],
    ['an object with the right fields', b64url('{"v":1,"id":"a"}')],
    ['an empty array', b64url('[]')],
    ['a one-element array', b64url('["a"]')],
    ['a three-element array', b64url('[1,"a","b"]')],
    ['a numeric id', b64url('[1,2]')],
    ['a null id', b64url('[1,null]')],
    ['a boolean value', b64url('[true,"a"]')],
    ['an object value', b64url('[{"x":1},"a"]')],
    ['an array value', b64url('[[1],"a"]')],
    ['a truncated cursor', encodeCursor({ v: 'abcdef', id: 'ghijkl' }).slice(0, -6)],
  ])('returns null when the cursor is %s', (_label, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});

describe('pageLimit', () => {
  // Bounds from the contract (`PageQuery`: "limit is bounded by the service (1..100, default 25)").
  it.each([
    ['undefined', undefined],
    ['NaN', Number.NaN],
  ])('returns the default 25 when the request is %s', (_label, requested) => {
    expect(pageLimit(requested)).toBe(25);
  });

  it.each([
    [0, 1],
    [-1, 1],
    [-1_000_000, 1],
    [1, 1],
    [25, 25],
    [99, 99],
    [100, 100],
    [101, 100],
    [1e9, 100],
  ])('clamps %p to %p when the request is a number', (requested, expected) => {
    expect(pageLimit(requested)).toBe(expected);
  });

  it('returns a whole number within 1..100 when the request is fractional', () => {
    for (const requested of [0.2, 1.5, 10.7, 99.9, 100.4]) {
      const limit = pageLimit(requested);
      expect(Number.isInteger(limit)).toBe(true);
      expect(limit).toBeGreaterThanOrEqual(1);
      expect(limit).toBeLessThanOrEqual(100);
      expect(Math.abs(limit - Math.min(100, Math.max(1, requested)))).toBeLessThan(1);
    }
  });
});
