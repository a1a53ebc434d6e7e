import { addDays, contractDeadlines, isBusinessDay, reminderInstant } from './contract-deadlines.util';

/**
 * Hand-checked against a calendar: 2026-11-20 is a Friday, 2026-11-26 is Thanksgiving (a Thursday),
 * 2026-12-25 a Friday, 2027-01-01 a Friday.
 */
describe('contract deadline arithmetic', () => {
  const none = new Set<string>();
  const holidays = new Set(['2026-11-26', '2026-11-27', '2026-12-25']);

  it('knows weekends and holidays', () => {
    expect(isBusinessDay('2026-11-20', none)).toBe(true); // Friday
    expect(isBusinessDay('2026-11-21', none)).toBe(false); // Saturday
    expect(isBusinessDay('2026-11-22', none)).toBe(false); // Sunday
    expect(isBusinessDay('2026-11-26', holidays)).toBe(false); // Thanksgiving
    expect(isBusinessDay('2026-11-26', none)).toBe(true);
  });

  it('counts business days after the acceptance day, skipping weekends and holidays', () => {
    // Fri 11-20 + 1 business day = Mon 11-23; + 3 = Wed 11-25.
    expect(addDays('2026-11-20', { days: 1, count: 'business' }, none, false)).toBe('2026-11-23');
    expect(addDays('2026-11-20', { days: 3, count: 'business' }, none, false)).toBe('2026-11-25');
    // + 5 without holidays: Mon..Fri → Fri 11-27; with Thu 11-26 and Fri 11-27 off: 23,24,25,30,1 → Tue 12-01.
    expect(addDays('2026-11-20', { days: 5, count: 'business' }, none, false)).toBe('2026-11-27');
    expect(addDays('2026-11-20', { days: 5, count: 'business' }, holidays, false)).toBe('2026-12-01');
    // Accepted on a Saturday: the first business day is Monday.
    expect(addDays('2026-11-21', { days: 1, count: 'business' }, none, false)).toBe('2026-11-23');
    expect(addDays('2026-11-20', { days: 0, count: 'business' }, none, false)).toBe('2026-11-20');
  });

  it('counts calendar days and rolls a weekend or holiday deadline to the next business day when asked', () => {
    // Fri 11-20 + 10 = Mon 11-30 (a business day either way).
    expect(addDays('2026-11-20', { days: 10, count: 'calendar' }, none, true)).toBe('2026-11-30');
    // + 8 = Sat 11-28: kept, or rolled to Mon 11-30.
    expect(addDays('2026-11-20', { days: 8, count: 'calendar' }, none, false)).toBe('2026-11-28');
    expect(addDays('2026-11-20', { days: 8, count: 'calendar' }, none, true)).toBe('2026-11-30');
    // + 6 = Thu 11-26 (Thanksgiving) → Fri 11-27 is a holiday too → Mon 11-30.
    expect(addDays('2026-11-20', { days: 6, count: 'calendar' }, holidays, true)).toBe('2026-11-30');
    // Across the year end: 12-02 + 30 = 2027-01-01 (Friday).
    expect(addDays('2026-12-02', { days: 30, count: 'calendar' }, none, true)).toBe('2027-01-01');
  });

  it('computes the contract dates, skipping contingencies the offer does not carry', () => {
    const settings = {
      rollToBusinessDay: true,
      holidays: ['2026-11-26', '2026-11-27'],
      deadlines: {
        depositDue: { days: 3, count: 'business' as const },
        inspection: { days: 10, count: 'calendar' as const },
        appraisal: { days: 17, count: 'calendar' as const },
        financingContingency: { days: 21, count: 'calendar' as const },
        finalWalkThrough: { days: 29, count: 'calendar' as const },
        closing: { days: 30, count: 'calendar' as const },
      },
    };
    // Accepted Mon 2026-11-23: deposit 24,25,(26,27 off),30 → 11-30; inspection 12-03 (Thu);
    // appraisal 12-10 (Thu); walk-through 12-22 (Tue); closing 12-23 (Wed); no financing (cash).
    expect(contractDeadlines('2026-11-23', ['Inspection', 'appraisal'], settings)).toEqual({
      depositDue: '2026-11-30',
      inspection: '2026-12-03',
      appraisal: '2026-12-10',
      finalWalkThrough: '2026-12-22',
      closing: '2026-12-23',
    });
    // With financing: + 21 = Mon 12-14.
    expect(contractDeadlines('2026-11-23', ['financing'], settings).financingContingency).toBe('2026-12-14');
  });

  it('places reminders before the start of the key date in the organization’s time zone', () => {
    // 2026-12-03 00:00 in Seattle (PST, UTC−8) = 08:00Z; one day before = 2026-12-02T08:00Z.
    expect(reminderInstant('2026-12-03', 1440, 'America/Los_Angeles').toISOString()).toBe('2026-12-02T08:00:00.000Z');
    expect(reminderInstant('2026-12-03', 90, 'UTC').toISOString()).toBe('2026-12-02T22:30:00.000Z');
  });
});
