import { inputProblems } from './input-hygiene.util';

describe('inputProblems', () => {
  it('accepts ordinary JSON, emoji (paired surrogates) included', () => {
    expect(inputProblems({ name: 'Zoë 🏡', tags: ['a', 'b'], nested: { deep: [{ x: 1 }] } })).toEqual([]);
  });

  it('names a NUL character in a value and in a key by its path', () => {
    expect(inputProblems({ a: [{ b: 'x\u0000y' }] })).toEqual([{ field: 'a[0].b', code: 'nulCharacter', message: expect.any(String) }]);
    expect(inputProblems({ ['k\u0000']: 1 })).toEqual([
      { field: 'k\uFFFD', code: 'nulCharacter', message: expect.stringMatching(/^name /) },
    ]);
  });

  it('names lone high and low surrogates but not a pair', () => {
    expect(inputProblems({ a: '\ud800', b: 'x\udc00', c: '\ud83c\udfe1' }).map((problem) => [problem.field, problem.code])).toEqual([
      ['a', 'unpairedSurrogate'],
      ['b', 'unpairedSurrogate'],
    ]);
  });

  it('reports nesting deeper than the limit once, at the first path too deep, without recursion', () => {
    let deep: unknown = [];
    for (let level = 0; level < 100_000; level++) deep = [deep];
    const problems = inputProblems({ a: deep }, '', 3);
    expect(problems).toEqual([{ field: 'a[0][0]', code: 'maxDepth', message: 'nests deeper than 3 levels' }]);
  });

  it('checks the objects of a parsed query string (no prototype) and skips buffers', () => {
    const query = Object.assign(Object.create(null) as object, { q: 'a\u0000' });
    expect(inputProblems(query)).toEqual([expect.objectContaining({ field: 'q', code: 'nulCharacter' })]);
    expect(inputProblems({ file: Buffer.from([0, 0xd8, 0]) })).toEqual([]);
  });

  it('stops at the limit', () => {
    const body = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, '\u0000']));
    expect(inputProblems(body, '', 32, 5)).toHaveLength(5);
  });
});
