import { splitCsv } from './csv-chunks.util';

describe('splitCsv', () => {
  it('repeats the header in every chunk and counts the records before each chunk', () => {
    const chunks = splitCsv('a,b\n1,2\n3,4\n5,6\n', 1000, 2);
    expect(chunks).toEqual([
      { csv: 'a,b\n1,2\n3,4\n', rowOffset: 0, rows: 2 },
      { csv: 'a,b\n5,6\n', rowOffset: 2, rows: 1 },
    ]);
  });

  it('keeps a line break inside double quotes within its record, strips CR and the BOM, skips blank lines', () => {
    const chunks = splitCsv('\ufeffa,b\r\n"x\ny",2\r\n\r\n3,"q""\n"\r\n', 1000, 10);
    expect(chunks).toEqual([{ csv: 'a,b\n"x\ny",2\n3,"q""\n"\n', rowOffset: 0, rows: 2 }]);
  });

  it('cuts by size, giving an oversized record a chunk of its own', () => {
    const big = 'z'.repeat(50);
    const chunks = splitCsv(`h\n1\n${big}\n2\n`, 20, 100);
    expect(chunks.map((c) => c.rows)).toEqual([1, 1, 1]);
    expect(chunks[1].csv).toBe(`h\n${big}\n`);
    expect(chunks.map((c) => c.rowOffset)).toEqual([0, 1, 2]);
  });

  it('returns nothing for a header alone or an empty text', () => {
    expect(splitCsv('a,b\n', 100, 10)).toEqual([]);
    expect(splitCsv('', 100, 10)).toEqual([]);
  });
});
