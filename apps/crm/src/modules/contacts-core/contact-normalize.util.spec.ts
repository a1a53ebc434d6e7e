import { fullName, normalizeEmails, normalizePhones, phoneSuffixes } from './contact-normalize.util';

describe('normalizePhones', () => {
  it('reads a national US number in the default region as E.164', () => {
    expect(normalizePhones([{ value: '(206) 555-0147', field: 'phone' }], 'US')).toEqual({ phones: ['+12065550147'], errors: [] });
  });

  it('keeps an international number and drops a repeat written differently', () => {
    const result = normalizePhones(
      [
        { value: '+44 20 7946 0958', field: 'phone' },
        { value: '+442079460958', field: 'phones[0]' },
      ],
      'US',
    );
    expect(result.phones).toEqual(['+442079460958']);
  });

  it('names the field of an invalid number', () => {
    expect(normalizePhones([{ value: '12', field: 'phones[1]' }], 'US').errors).toEqual([
      { field: 'phones[1]', message: 'is not a valid phone number', code: 'INVALID_PHONE' },
    ]);
  });
});

describe('normalizeEmails', () => {
  it('lower-cases, trims and removes repeats', () => {
    expect(normalizeEmails([' Ana@Example.COM', 'ana@example.com', null, 'b@x.test'])).toEqual(['ana@example.com', 'b@x.test']);
  });
});

describe('fullName / phoneSuffixes', () => {
  it('joins the name parts lower-cased', () => {
    expect(fullName(' Ana ', 'Lopez')).toBe('ana lopez');
    expect(fullName(null, 'Lopez')).toBe('lopez');
  });

  it('takes the last four digits', () => {
    expect(phoneSuffixes(['+12065550147', '+14255550147'])).toEqual(['0147']);
  });
});
