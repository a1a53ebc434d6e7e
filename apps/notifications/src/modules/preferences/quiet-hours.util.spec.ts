import { isValidTimeZone, quietHoursEnd } from './quiet-hours.util';

const NEW_YORK_NIGHT = { start: '21:00', end: '07:00', timeZone: 'America/New_York' };

describe('quietHoursEnd', () => {
  it('ends a midnight-crossing window at the next local morning when entered in the evening (EST, UTC-5)', () => {
    // 2026-01-14 22:30 EST
    expect(quietHoursEnd(new Date('2026-01-15T03:30:00Z'), NEW_YORK_NIGHT)).toEqual(new Date('2026-01-15T12:00:00Z'));
  });

  it('ends the same local morning when entered after midnight', () => {
    // 2026-01-15 05:10 EST
    expect(quietHoursEnd(new Date('2026-01-15T10:10:00Z'), NEW_YORK_NIGHT)).toEqual(new Date('2026-01-15T12:00:00Z'));
  });

  it('follows the offset of the end day on the night DST begins (23:00 EST → 07:00 EDT = 11:00 UTC)', () => {
    // 2026-03-07 23:00 EST; clocks go 02:00 → 03:00 on 2026-03-08
    expect(quietHoursEnd(new Date('2026-03-08T04:00:00Z'), NEW_YORK_NIGHT)).toEqual(new Date('2026-03-08T11:00:00Z'));
  });

  it('follows the offset of the end day on the night DST ends (22:00 EDT → 07:00 EST = 12:00 UTC)', () => {
    // 2026-10-31 22:00 EDT; clocks go 02:00 → 01:00 on 2026-11-01
    expect(quietHoursEnd(new Date('2026-11-01T02:00:00Z'), NEW_YORK_NIGHT)).toEqual(new Date('2026-11-01T12:00:00Z'));
  });

  it('is null outside the window, at its end (exclusive) and for an empty window', () => {
    expect(quietHoursEnd(new Date('2026-01-15T17:00:00Z'), NEW_YORK_NIGHT)).toBeNull(); // 12:00 EST
    expect(quietHoursEnd(new Date('2026-01-15T12:00:00Z'), NEW_YORK_NIGHT)).toBeNull(); // 07:00 EST
    expect(quietHoursEnd(new Date('2026-01-15T03:30:00Z'), { start: '08:00', end: '08:00', timeZone: 'UTC' })).toBeNull();
  });

  it('is inside at the start minute (inclusive) and handles a same-day window', () => {
    expect(quietHoursEnd(new Date('2026-01-15T02:00:00Z'), NEW_YORK_NIGHT)).toEqual(new Date('2026-01-15T12:00:00Z')); // 21:00 EST
    const lunch = { start: '12:00', end: '13:30', timeZone: 'Europe/Paris' };
    // 2026-07-01 12:15 CEST (UTC+2) → 13:30 CEST
    expect(quietHoursEnd(new Date('2026-07-01T10:15:00Z'), lunch)).toEqual(new Date('2026-07-01T11:30:00Z'));
  });

  it('moves an end inside the spring-forward gap forward (02:30 does not exist on 2026-03-08 in New York)', () => {
    const window = { start: '22:00', end: '02:30', timeZone: 'America/New_York' };
    // 2026-03-07 23:00 EST → 03:30 EDT = 07:30 UTC
    expect(quietHoursEnd(new Date('2026-03-08T04:00:00Z'), window)).toEqual(new Date('2026-03-08T07:30:00Z'));
  });

  it('refuses a malformed time or an unknown zone', () => {
    expect(() => quietHoursEnd(new Date(), { start: '9:00', end: '07:00', timeZone: 'UTC' })).toThrow();
    expect(() => quietHoursEnd(new Date(), { start: '21:00', end: '07:00', timeZone: 'Mars/Olympus' })).toThrow();
  });
});

describe('isValidTimeZone', () => {
  it('knows IANA zones and refuses others', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
