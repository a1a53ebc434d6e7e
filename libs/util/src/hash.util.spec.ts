import { randomToken, safeEqual, sha256Hex, stableStringify } from './hash.util';

/** Small deterministic PRNG (mulberry32) so generated cases reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('sha256Hex', () => {
  // FIPS 180-2, Appendix B (SHA-256 examples) and the well-known empty-message digest.
  it.each([
    ['"abc" (FIPS 180-2 B.1)', 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'the 448-bit message (FIPS 180-2 B.2)',
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    ['one million "a" (FIPS 180-2 B.3)', 'a'.repeat(1_000_000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
    ['the empty string', '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ])('returns the published digest when hashing %s', (_label, input, digest) => {
    expect(sha256Hex(input)).toBe(digest);
  });

  it('returns the same digest when given the bytes instead of the string', () => {
    expect(sha256Hex(Buffer.from('abc', 'ascii'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the UTF-8 encoding when the string is not ASCII', () => {
    expect(sha256Hex('é')).toBe(sha256Hex(Buffer.from([0xc3, 0xa9])));
    expect(sha256Hex('é')).not.toBe(sha256Hex(Buffer.from([0xe9])));
  });
});

describe('randomToken', () => {
  it('encodes 32 random bytes as unpadded base64url when no size is given', () => {
    const token = randomToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('encodes the requested number of bytes when a size is given', () => {
    expect(Buffer.from(randomToken(16), 'base64url')).toHaveLength(16);
  });

  it('returns distinct values when called repeatedly', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
  });
});

describe('safeEqual', () => {
  it.each([
    ['identical strings', 'secret-value', 'secret-value', true],
    ['two empty strings', '', '', true],
    ['identical non-ASCII strings', 'clé-🔑', 'clé-🔑', true],
    ['strings differing in the last character', 'secret-value', 'secret-valuf', false],
    ['strings differing in the first character', 'secret-value', 'Secret-value', false],
    ['a string and its prefix', 'secret-value', 'secret', false],
    ['a string and the empty string', 'a', '', false],
    ['composed and decomposed forms of é', '\u00e9', 'e\u0301', false],
  ])('compares %s', (_label, a, b, expected) => {
    expect(safeEqual(a, b)).toBe(expected);
    expect(safeEqual(b, a)).toBe(expected);
  });
});

describe('stableStringify', () => {
  it('serializes identically when only key order differs, at every depth', () => {
    const a = { b: { z: null, c: [3, { e: 5, d: 4 }] }, a: 1 };
    const b = { a: 1, b: { c: [3, { d: 4, e: 5 }], z: null } };
    expect(stableStringify(a)).toBe(stableStringify(b));
    expect(stableStringify(a)).toBe('{"a":1,"b":{"c":[3,{"d":4,"e":5}],"z":null}}');
  });

  it('keeps array order when elements are swapped', () => {
    expect(stableStringify([1, 2])).toBe('[1,2]');
    expect(stableStringify([1, 2])).not.toBe(stableStringify([2, 1]));
    expect(stableStringify({ x: [{ a: 1 }, { b: 2 }] })).not.toBe(stableStringify({ x: [{ b: 2 }, { a: 1 }] }));
  });

  it('drops undefined object values and writes undefined array elements as null, like JSON.stringify', () => {
    const value = { a: undefined, b: 1, c: [undefined, 2], d: { e: undefined } };
    expect(stableStringify(value)).toBe('{"b":1,"c":[null,2],"d":{}}');
    expect(stableStringify(value)).toBe(JSON.stringify(value));
  });

  it.each([
    ['a string with quotes and control characters', 'a "quoted"\n\t\\ value'],
    ['a non-ASCII string', 'Zoë 東京 🏠'],
    ['an integer', 42],
    ['a negative fraction', -0.125],
    ['true', true],
    ['null', null],
  ])('matches JSON.stringify when the value is %s', (_label, value) => {
    expect(stableStringify(value)).toBe(JSON.stringify(value));
  });

  it('distinguishes bodies that differ in a nested value', () => {
    expect(stableStringify({ a: { b: 1 } })).not.toBe(stableStringify({ a: { b: '1' } }));
    expect(stableStringify({ a: { b: null } })).not.toBe(stableStringify({ a: {} }));
  });

  describe('on 300 generated JSON values', () => {
    const random = prng(20240501);
    const keyPool = ['a', 'b', 'c', 'id', 'name', 'Z', 'é', 'x_y', 'k-1', '10', '2'];
    const generate = (depth: number): unknown => {
      const r = random();
      if (depth > 3 || r < 0.35) {
        const p = random();
        if (p < 0.25) return null;
        if (p < 0.5) return Math.round(random() * 1e6) / 100;
        if (p < 0.65) return random() < 0.5;
        return keyPool[Math.floor(random() * keyPool.length)] + String(Math.floor(random() * 100));
      }
      if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => generate(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 5); i > 0; i--) {
        object[keyPool[Math.floor(random() * keyPool.length)]] = random() < 0.1 ? undefined : generate(depth + 1);
      }
      return object;
    };
    /** Rebuilds every object with its keys inserted in a shuffled order. */
    const shuffleKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(shuffleKeys);
      if (value === null || typeof value !== 'object') return value;
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [keys[i], keys[j]] = [keys[j], keys[i]];
      }
      const copy: Record<string, unknown> = {};
      for (const key of keys) copy[key] = shuffleKeys((value as Record<string, unknown>)[key]);
      return copy;
    };
    const values = Array.from({ length: 300 }, () => generate(0));

    it('is unchanged when keys are inserted in another order', () => {
      for (const value of values) expect(stableStringify(shuffleKeys(value))).toBe(stableStringify(value));
    });

    it('parses back to the same data as JSON.stringify would give', () => {
      for (const value of values) expect(JSON.parse(stableStringify(value))).toEqual(JSON.parse(JSON.stringify(value)));
    });
  });
});
