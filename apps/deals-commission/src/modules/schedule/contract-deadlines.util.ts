import { DateTime } from 'luxon';
import type { DealDeadlineRule, DealSettingsView, TransactionKeyDate } from '@keyhouse/contracts';

/**
 * Contract deadline arithmetic (pure; dates are `YYYY-MM-DD` in the organization's calendar).
 *
 * - Day 0 is the acceptance date itself; `days` counts the days after it.
 * - `business` days skip Saturdays, Sundays and the organization's holidays.
 * - `calendar` days count every day; when `rollToBusinessDay`, a deadline falling on a weekend or
 *   holiday moves to the next business day (the usual purchase-agreement rule).
 */
export function isBusinessDay(date: string, holidays: ReadonlySet<string>): boolean {
  const day = DateTime.fromISO(date, { zone: 'UTC' });
  return day.weekday <= 5 && !holidays.has(date);
}

export function addDays(start: string, rule: DealDeadlineRule, holidays: ReadonlySet<string>, rollToBusinessDay: boolean): string {
  let day = DateTime.fromISO(start, { zone: 'UTC' });
  if (!day.isValid) throw new RangeError(`not a date: ${start}`);
  if (rule.count === 'calendar') {
    day = day.plus({ days: rule.days });
    if (rollToBusinessDay) while (!isBusinessDay(day.toISODate()!, holidays)) day = day.plus({ days: 1 });
    return day.toISODate()!;
  }
  let remaining = rule.days;
  while (remaining > 0) {
    day = day.plus({ days: 1 });
    if (isBusinessDay(day.toISODate()!, holidays)) remaining -= 1;
  }
  return day.toISODate()!;
}

/** Key dates a purchase contract sets; `depositDue` is the earnest-money deadline. */
export const CONTRACT_DEADLINE_KEYS: TransactionKeyDate[] = [
  'depositDue',
  'inspection',
  'appraisal',
  'financingContingency',
  'finalWalkThrough',
  'closing',
];

/** Contingency deadlines that exist only when the offer carries that contingency (`contingencies` names). */
export const CONTINGENCY_OF: Partial<Record<TransactionKeyDate, string>> = {
  inspection: 'inspection',
  appraisal: 'appraisal',
  financingContingency: 'financing',
};

/**
 * The contract's key dates from the acceptance date: every deadline of the settings, except a
 * contingency deadline (inspection, appraisal, financing) the offer does not carry.
 */
export function contractDeadlines(
  acceptedOn: string,
  contingencies: readonly string[],
  settings: Pick<DealSettingsView, 'deadlines' | 'holidays' | 'rollToBusinessDay'>,
): Partial<Record<TransactionKeyDate, string>> {
  const holidays = new Set(settings.holidays);
  const carried = new Set(contingencies.map((name) => name.trim().toLowerCase()));
  const dates: Partial<Record<TransactionKeyDate, string>> = {};
  for (const key of CONTRACT_DEADLINE_KEYS) {
    const contingency = CONTINGENCY_OF[key];
    if (contingency && !carried.has(contingency)) continue;
    dates[key] = addDays(acceptedOn, settings.deadlines[key], holidays, settings.rollToBusinessDay);
  }
  return dates;
}

/** The instant a reminder `offsetMinutes` before the start (00:00) of `date` in `timeZone` falls on. */
export function reminderInstant(date: string, offsetMinutes: number, timeZone: string): Date {
  return DateTime.fromISO(date, { zone: timeZone }).startOf('day').minus({ minutes: offsetMinutes }).toJSDate();
}

/** Today's date in `timeZone`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  return DateTime.fromJSDate(now, { zone: timeZone }).toISODate()!;
}
