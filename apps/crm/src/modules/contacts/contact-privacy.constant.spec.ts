import { CONTACT_STATE_DECLARATIONS } from '../contacts-core/contact.row';
import { CONTACT_DATA_PRIVACY, CONTACT_PERSONAL_COLUMNS, CONTACT_PRIVACY, ERASED_VALUES } from './contact-privacy.constant';

/** Words in a column name that say it holds something about the person. */
const PERSONAL_WORDS = new Set([
  'name',
  'email',
  'emails',
  'phone',
  'phones',
  'suffixes',
  'street',
  'city',
  'state',
  'postal',
  'address',
  'birth',
  'referrer',
  'consent',
  'preferences',
  'custom',
  'tags',
  'tag',
  'note',
  'body',
  'search',
  'answers',
  'utm',
  'payload',
  'data',
  'reasons',
]);

const looksPersonal = (column: string) => column.split('_').some((word) => PERSONAL_WORDS.has(word));

describe('CONTACT_PRIVACY', () => {
  it('classifies every contact column whose name looks personal as personal', () => {
    const misclassified = Object.entries(CONTACT_PRIVACY).filter(([column, privacy]) => looksPersonal(column) && privacy !== 'personal');
    expect(misclassified).toEqual([]);
  });

  it('lists the personal columns, each with an empty declared value to erase to', () => {
    expect(CONTACT_PERSONAL_COLUMNS).toEqual(
      Object.keys(CONTACT_PRIVACY).filter((column) => CONTACT_PRIVACY[column as keyof typeof CONTACT_PRIVACY] === 'personal'),
    );
    const empties = Object.fromEntries(CONTACT_STATE_DECLARATIONS.map(({ column, empty }) => [column, empty]));
    for (const column of CONTACT_PERSONAL_COLUMNS) {
      const empty: unknown = empties[column];
      const isEmpty = empty === null || empty === '' || (typeof empty === 'object' && Object.keys(empty).length === 0);
      expect({ column, isEmpty }).toEqual({ column, isEmpty: true });
    }
  });
});

describe('CONTACT_DATA_PRIVACY', () => {
  it('classifies every column whose name looks personal as personal, and erases each personal column', () => {
    for (const [table, columns] of Object.entries(CONTACT_DATA_PRIVACY)) {
      const entries = Object.entries(columns as Record<string, string>);
      expect({ table, misclassified: entries.filter(([column, privacy]) => looksPersonal(column) && privacy !== 'personal') }).toEqual({
        table,
        misclassified: [],
      });
      const personal = entries.filter(([, privacy]) => privacy === 'personal').map(([column]) => column);
      expect({ table, erased: Object.keys(ERASED_VALUES[table as keyof typeof ERASED_VALUES]).sort() }).toEqual({
        table,
        erased: personal.sort(),
      });
    }
  });
});
