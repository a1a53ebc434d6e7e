import { DomainException } from '@keyhouse/platform/messaging';
import { nextOccurrence, normalizeRecurrence } from './task-recurrence.util';

function codeOf(rule: string): string | undefined {
  try {
    normalizeRecurrence(rule);
    return undefined;
  } catch (error) {
    return (error as DomainException).errors?.[0]?.field === 'recurrence' ? (error as DomainException).code : 'OTHER';
  }
}

describe('normalizeRecurrence', () => {
  it('accepts common task rules and returns them without the RRULE: prefix, upper case', () => {
    expect(normalizeRecurrence('RRULE:freq=weekly;byday=MO,WE')).toBe('FREQ=WEEKLY;BYDAY=MO,WE');
    expect(normalizeRecurrence('FREQ=DAILY;INTERVAL=2;COUNT=10')).toBe('FREQ=DAILY;INTERVAL=2;COUNT=10');
    expect(normalizeRecurrence('FREQ=MONTHLY;BYDAY=-1FR')).toBe('FREQ=MONTHLY;BYDAY=-1FR');
    expect(normalizeRecurrence('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1')).toBe('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1');
    expect(normalizeRecurrence('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29')).toBe('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29');
    expect(normalizeRecurrence('FREQ=DAILY;UNTIL=20300101T000000Z')).toBe('FREQ=DAILY;UNTIL=20300101T000000Z');
  });

  it.each([
    ['not a rule', 'hello'],
    ['unknown frequency', 'FREQ=BOGUS'],
    ['no frequency', 'INTERVAL=2'],
    ['too fine a frequency', 'FREQ=MINUTELY'],
    ['negative interval (rrule would loop forever)', 'FREQ=DAILY;INTERVAL=-1'],
    ['non-numeric interval', 'FREQ=DAILY;INTERVAL=x'],
    ['zero count', 'FREQ=WEEKLY;COUNT=0'],
    ['unknown weekday', 'FREQ=WEEKLY;BYDAY=XX'],
    ['a month day that never occurs in the month (rrule would search to year 9999)', 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'],
    ['month day 40', 'FREQ=MONTHLY;BYMONTHDAY=40'],
    ['BYSETPOS under WEEKLY (may never match)', 'FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2'],
    ['BYSETPOS with BYMONTHDAY', 'FREQ=MONTHLY;BYDAY=MO;BYMONTHDAY=13;BYSETPOS=4'],
    ['ordinal weekday with month day', 'FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=3'],
    ['ordinal beyond a month', 'FREQ=MONTHLY;BYDAY=6MO'],
    ['DTSTART inside', 'DTSTART:20250101T000000Z\nRRULE:FREQ=DAILY'],
    ['a time-of-day part', 'FREQ=DAILY;BYHOUR=9'],
    ['COUNT and UNTIL together', 'FREQ=DAILY;COUNT=2;UNTIL=20300101T000000Z'],
    ['a repeated part', 'FREQ=DAILY;FREQ=WEEKLY'],
    ['empty', '  '],
  ])('refuses %s with INVALID_RECURRENCE on the recurrence field', (_label, rule) => {
    expect(codeOf(rule)).toBe('INVALID_RECURRENCE');
  });
});

describe('nextOccurrence', () => {
  const monday = new Date('2030-01-07T15:00:00.000Z');

  it('gives the following Monday for a weekly rule started on a Monday', () => {
    expect(nextOccurrence('FREQ=WEEKLY', monday, monday)?.toISOString()).toBe('2030-01-14T15:00:00.000Z');
  });

  it('gives the next listed weekday, keeping the time of day of the series start', () => {
    expect(nextOccurrence('FREQ=WEEKLY;BYDAY=MO,TH', monday, monday)?.toISOString()).toBe('2030-01-10T15:00:00.000Z');
  });

  it('skips occurrences already past when asked from a later time', () => {
    expect(nextOccurrence('FREQ=DAILY', monday, new Date('2030-01-09T16:00:00.000Z'))?.toISOString()).toBe('2030-01-10T15:00:00.000Z');
  });

  it('ends after COUNT occurrences counted from the series start', () => {
    expect(nextOccurrence('FREQ=DAILY;COUNT=2', monday, monday)?.toISOString()).toBe('2030-01-08T15:00:00.000Z');
    expect(nextOccurrence('FREQ=DAILY;COUNT=2', monday, new Date('2030-01-08T15:00:00.000Z'))).toBeNull();
  });
});
