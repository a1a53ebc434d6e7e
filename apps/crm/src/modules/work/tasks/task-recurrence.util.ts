import { Frequency, RRule, type Options } from 'rrule';
import { DomainException } from '@keyhouse/platform/messaging';
import { CrmWorkErrorCode } from '../crm-work.exception';

/** Frequencies a task may recur at (finer ones would flood an agent's list). */
const ALLOWED_FREQUENCIES = new Set([Frequency.YEARLY, Frequency.MONTHLY, Frequency.WEEKLY, Frequency.DAILY]);
/** RRULE parts accepted (RFC 5545 §3.3.10). The time of day comes from the task's `dueAt`. */
const ALLOWED_PARTS = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'WKST']);
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export const RECURRENCE_MAX_LENGTH = 200;

function invalid(message: string): DomainException {
  return new DomainException('validation', CrmWorkErrorCode.InvalidRecurrence, 'The recurrence rule is not valid', [
    { field: 'recurrence', message, code: CrmWorkErrorCode.InvalidRecurrence },
  ]);
}

function integers(value: unknown): number[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as number[];
}

function checkRange(name: string, values: number[], min: number, max: number, allowNegative: boolean): void {
  for (const value of values) {
    const magnitude = Math.abs(value);
    const ok = Number.isInteger(value) && magnitude >= min && magnitude <= max && (allowNegative || value > 0);
    if (!ok) throw invalid(`${name} must be ${allowNegative ? '±' : ''}${min}..${max}`);
  }
}

/**
 * Validates an RFC 5545 RRULE for a task and returns it in canonical form (`FREQ=...;...`, no
 * `RRULE:` prefix). Parsed with the rrule library, then restricted so that every accepted rule
 * has a next occurrence computable in bounded time: rrule iterates up to year 9999 looking for a
 * match, so a rule that can never match (`FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`) or a negative
 * INTERVAL (which never ends) would tie up the service. Hence: FREQ DAILY..YEARLY only; INTERVAL
 * and COUNT 1..1000; BYMONTHDAY possible in at least one of the BYMONTH months; BYSETPOS only
 * ±1..4 with BYDAY and no BYMONTHDAY under MONTHLY/YEARLY (every month has at least four of each
 * weekday); no DTSTART (the series starts at the first task's `dueAt`), BYHOUR/BYMINUTE/BYSECOND,
 * BYYEARDAY or BYWEEKNO. Throws a 400 `INVALID_RECURRENCE` naming the `recurrence` field.
 */
export function normalizeRecurrence(input: string): string {
  const text = input
    .trim()
    .replace(/^RRULE:/i, '')
    .toUpperCase();
  if (!text || text.length > RECURRENCE_MAX_LENGTH) throw invalid(`must be an RRULE of 1..${RECURRENCE_MAX_LENGTH} characters`);
  if (/[\r\n]/.test(text)) throw invalid('must be one RRULE line without DTSTART');
  const parts = text.split(';');
  for (const part of parts) {
    const [name, value] = part.split('=');
    if (!name || value === undefined || value === '') throw invalid(`"${part}" is not NAME=VALUE`);
    if (!ALLOWED_PARTS.has(name)) throw invalid(`${name} is not supported (allowed: ${[...ALLOWED_PARTS].join(', ')})`);
  }
  if (new Set(parts.map((part) => part.split('=')[0])).size !== parts.length) throw invalid('repeats a part');
  let options: Partial<Options>;
  try {
    options = RRule.parseString(text);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  if (options.freq === undefined || !ALLOWED_FREQUENCIES.has(options.freq)) throw invalid('FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY');
  for (const name of ['interval', 'count'] as const) {
    const value = options[name];
    if (value !== undefined && value !== null && !(Number.isInteger(value) && value >= 1 && value <= 1000)) {
      throw invalid(`${name.toUpperCase()} must be an integer 1..1000`);
    }
  }
  if (options.count && options.until) throw invalid('COUNT and UNTIL cannot both be given');
  const weekdays = integers(options.byweekday) as unknown as Array<{ n?: number } | number | null>;
  if (weekdays.some((day) => day === null || day === undefined)) throw invalid('BYDAY must list MO, TU, WE, TH, FR, SA or SU');
  const months = integers(options.bymonth);
  checkRange('BYMONTH', months, 1, 12, false);
  const monthDays = integers(options.bymonthday);
  const ordinals = weekdays
    .map((day) => (typeof day === 'object' && day ? day.n : undefined))
    .filter((n): n is number => typeof n === 'number' && n !== 0);
  if (ordinals.length > 0) {
    const yearWide = options.freq === Frequency.YEARLY && months.length === 0;
    if (options.freq !== Frequency.MONTHLY && options.freq !== Frequency.YEARLY)
      throw invalid('BYDAY ordinals (2MO, -1FR) need FREQ=MONTHLY or YEARLY');
    if (monthDays.length > 0) throw invalid('BYDAY ordinals cannot be combined with BYMONTHDAY');
    checkRange('BYDAY ordinal', ordinals, 1, yearWide ? 53 : 5, true);
  }
  checkRange('BYMONTHDAY', monthDays, 1, 31, true);
  const longest = Math.max(...(months.length ? months : DAYS_IN_MONTH.map((_, i) => i + 1)).map((month) => DAYS_IN_MONTH[month - 1]));
  if (monthDays.some((day) => Math.abs(day) > longest)) throw invalid('BYMONTHDAY never occurs in the BYMONTH months');
  const positions = integers(options.bysetpos);
  if (positions.length > 0) {
    checkRange('BYSETPOS', positions, 1, 4, true);
    const monthlyOrYearly = options.freq === Frequency.MONTHLY || options.freq === Frequency.YEARLY;
    if (!monthlyOrYearly || weekdays.length === 0 || monthDays.length > 0) {
      throw invalid('BYSETPOS needs FREQ=MONTHLY or YEARLY with BYDAY and without BYMONTHDAY');
    }
  }
  return text;
}

/**
 * The next occurrence of a validated rule strictly after `after`, for a series that started at
 * `seriesStart` (the rule's DTSTART: COUNT and UNTIL count from it), or null when the series has
 * ended. Occurrences are computed in UTC, so a local wall-clock time moves by an hour across a
 * daylight-saving change (docs/adr/0010).
 */
export function nextOccurrence(rule: string, seriesStart: Date, after: Date): Date | null {
  const options = RRule.parseString(rule);
  return new RRule({ ...options, dtstart: seriesStart }).after(after, false);
}
