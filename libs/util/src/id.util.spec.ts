import { randomUUID } from 'node:crypto';
import { isUuid, isUuidV7, newId } from './id.util';

/** RFC 9562 §5.7 layout: 48-bit ms timestamp, version 7, variant 10xx. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Unix milliseconds in the first 48 bits of a UUIDv7. */
const timestampOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

// Example values from RFC 9562, Appendix A.
const RFC_V1 = 'c232ab00-9414-11ec-b3c8-9f6bdeced846';
const RFC_V4 = '919108f7-52d1-4320-9bac-f847db4148a8';
const RFC_V7 = '017f22e2-79b0-7cc3-98c4-dc0c0c07398f';

describe('newId', () => {
  it('returns a lower-case RFC 9562 version 7 UUID when called', () => {
    for (let i = 0; i < 100; i++) expect(newId()).toMatch(UUID_V7);
  });

  it('embeds the current Unix time in milliseconds when called', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(timestampOf(id)).toBeGreaterThanOrEqual(before);
    expect(timestampOf(id)).toBeLessThanOrEqual(after);
  });

  it('sorts later ids after earlier ones as strings when created across several milliseconds', () => {
    const ids: string[] = [];
    const start = Date.now();
    while (Date.now() - start < 4 || ids.length < 500) ids.push(newId());
    expect(new Set(ids.map(timestampOf)).size).toBeGreaterThan(1);
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
    expect([...ids].sort()).toEqual(ids);
  });

  it('returns distinct ids when called many times', () => {
    expect(new Set(Array.from({ length: 10_000 }, () => newId())).size).toBe(10_000);
  });
});

describe('isUuid', () => {
  it.each([
    ['the RFC 9562 version 1 example', RFC_V1],
    ['the RFC 9562 version 4 example', RFC_V4],
    ['the RFC 9562 version 7 example', RFC_V7],
    ['a random version 4 UUID', randomUUID()],
    ['an upper-case UUID', RFC_V4.toUpperCase()],
  ])('returns true when given %s', (_label, value) => {
    expect(isUuid(value)).toBe(true);
  });

  it.each([
    ['an empty string', ''],
    ['a word', 'not-a-uuid'],
    ['a UUID without hyphens', RFC_V4.replace(/-/g, '')],
    ['a UUID in braces', `{${RFC_V4}}`],
    ['a UUID with a trailing character', `${RFC_V4}0`],
    ['a UUID with a non-hex character', RFC_V4.replace('f', 'g')],
    ['a number', 123],
    ['null', null],
    ['undefined', undefined],
    ['an object', { id: RFC_V4 }],
  ])('returns false when given %s', (_label, value) => {
    expect(isUuid(value)).toBe(false);
  });
});

describe('isUuidV7', () => {
  it('returns true when given the RFC 9562 version 7 example or a new id', () => {
    expect(isUuidV7(RFC_V7)).toBe(true);
    expect(isUuidV7(newId())).toBe(true);
  });

  it.each([
    ['the RFC 9562 version 1 example', RFC_V1],
    ['the RFC 9562 version 4 example', RFC_V4],
    ['a random version 4 UUID', randomUUID()],
    ['a non-UUID string', '017f22e2-79b0-7cc3-98c4'],
    ['a number', 7],
    ['undefined', undefined],
  ])('returns false when given %s', (_label, value) => {
    expect(isUuidV7(value)).toBe(false);
  });
});
