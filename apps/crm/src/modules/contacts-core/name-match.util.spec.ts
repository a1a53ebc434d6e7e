import {
  areKeyboardNeighbours,
  editDistance,
  nameScore,
  namePartOf,
  nicknamesOf,
  partScore,
  typoDistance,
  type NameWord,
} from './name-match.util';

/** A name word with Double Metaphone codes as Postgres fuzzystrmatch gives them (written out by hand). */
const w = (word: string, primary = '', alternate = ''): NameWord => ({ word, metaphone: [primary, alternate] });

describe('name match (duplicate detection by name)', () => {
  describe('areKeyboardNeighbours', () => {
    it('knows touching QWERTY keys, across rows too, and nothing else', () => {
      expect(areKeyboardNeighbours('s', 'z')).toBe(true);
      expect(areKeyboardNeighbours('q', 'a')).toBe(true);
      expect(areKeyboardNeighbours('n', 'b')).toBe(true);
      expect(areKeyboardNeighbours('t', 'b')).toBe(false);
      expect(areKeyboardNeighbours('w', 'r')).toBe(false);
      expect(areKeyboardNeighbours('a', 'a')).toBe(false);
      expect(areKeyboardNeighbours('a', '-')).toBe(false);
    });
  });

  describe('typoDistance', () => {
    it('charges half an edit for the slips of typing', () => {
      expect(typoDistance('mary', 'mary')).toBe(0);
      expect(typoDistance('sarah', 'sarrah')).toBe(0.5); // doubled letter
      expect(typoDistance('william', 'wiliam')).toBe(0.5); // dropped double
      expect(typoDistance('jennifer', 'jnenifer')).toBe(0.5); // transposition
      expect(typoDistance('lopez', 'lopes')).toBe(0.5); // z and s touch
      expect(typoDistance('mary', 'mqey')).toBe(1); // two neighbour keys
    });

    it('charges a dropped letter 1 and an unrelated letter 1.25', () => {
      expect(typoDistance('maria', 'mariah')).toBe(1);
      expect(typoDistance('terry', 'berry')).toBe(1.25);
      expect(typoDistance('lawson', 'larson')).toBe(1.25);
    });

    it('is symmetric', () => {
      expect(typoDistance('vincent', 'vncebt')).toBe(typoDistance('vncebt', 'vincent'));
      expect(typoDistance('vincent', 'vncebt')).toBe(1.5);
    });
  });

  describe('editDistance', () => {
    it('is Levenshtein with an adjacent transposition counted 1', () => {
      expect(editDistance('lopez', 'lopes')).toBe(1);
      expect(editDistance('asndra', 'sandra')).toBe(1);
      expect(editDistance('katherine', 'kathryn')).toBe(3);
    });
  });

  describe('partScore', () => {
    it('scores equal words and nicknames 1', () => {
      expect(partScore(w('robert'), w('robert'))).toBe(1);
      expect(partScore(w('bob'), w('robert'))).toBe(1);
    });

    it('scores one slip 0.9, sound-alike spellings 0.8 and a slip on a nickname 0.8', () => {
      expect(partScore(w('mariah'), w('maria'))).toBe(0.9);
      expect(partScore(w('stephen', 'STFN', 'STFN'), w('steven', 'STFN', 'STFN'))).toBe(0.8);
      expect(partScore(w('ilam'), w('william'))).toBe(0.8); // "liam" with two letters swapped
    });

    it('scores 1.5 edits of slips 0.7 on long words only', () => {
      expect(partScore(w('vncebt'), w('vincent'))).toBe(0.7);
      expect(partScore(w('brnez'), w('barnes'))).toBe(0); // 1.5 on six letters
    });

    it('scores other first names of one family 0', () => {
      expect(partScore(w('sean', 'XN', 'SN'), w('susan', 'SSN', 'SSN'))).toBe(0);
      expect(partScore(w('lisa', 'LS', 'LS'), w('linda', 'LNT', 'LNT'))).toBe(0);
      expect(partScore(w('terry', 'TR', 'TR'), w('berry', 'PR', 'PR'))).toBe(0);
      expect(partScore(w(''), w('mary'))).toBe(0);
    });
  });

  describe('nameScore', () => {
    const name = (first: string, last: string) => ({ first: w(first), last: w(last) });

    it('takes the weaker part of the better alignment', () => {
      expect(nameScore(name('mariah', 'lopes'), name('maria', 'lopez'))).toBe(0.9);
      expect(nameScore(name('carlos', 'lopez'), name('maria', 'lopez'))).toBe(0);
    });

    it('accepts a swapped name only when both crossed parts score 0.8 or more', () => {
      expect(nameScore(name('okafor', 'robert'), name('bob', 'okafor'))).toBe(1);
      expect(nameScore(name('lopez', 'vincent'), name('vncebt', 'lopez'))).toBe(0);
    });
  });

  describe('nicknamesOf', () => {
    it('gives the other names of every group the name is in, lower-cased, without the name', () => {
      expect(nicknamesOf('Bob')).toEqual(expect.arrayContaining(['robert', 'bobby', 'rob']));
      expect(nicknamesOf('Bob')).not.toContain('bob');
      expect(nicknamesOf('steve')).toEqual(expect.arrayContaining(['steven', 'stephen']));
    });

    it('gives nothing for a name of no group', () => {
      expect(nicknamesOf('priya')).toEqual([]);
    });
  });

  describe('namePartOf', () => {
    it('takes the first word, trimmed and lower-cased, or empty when missing', () => {
      expect(namePartOf('  Lopez  Garcia ')).toBe('lopez');
      expect(namePartOf('Mary Ann')).toBe('mary');
      expect(namePartOf(null)).toBe('');
      expect(namePartOf('   ')).toBe('');
    });
  });
});
