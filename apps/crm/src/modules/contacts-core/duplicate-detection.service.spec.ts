import { namePartOf, nicknamesOf } from './duplicate-detection.service';

describe('duplicate detection name helpers', () => {
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
