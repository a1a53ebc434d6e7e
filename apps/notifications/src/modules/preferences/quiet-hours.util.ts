import { DateTime, IANAZone } from 'luxon';

/** A user's quiet hours: `start` and `end` as local `HH:mm` (end exclusive) in the IANA zone `timeZone`. */
export interface QuietWindow {
  start: string;
  end: string;
  timeZone: string;
}

/** `HH:mm`, 00:00–23:59. */
export const LOCAL_TIME_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;

/** Whether `zone` is an IANA time zone luxon (the ICU data of Node) knows, e.g. `America/New_York`. */
export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

function minutesOf(local: string): number {
  const [hours, minutes] = local.split(':').map(Number);
  return hours * 60 + minutes;
}

/**
 * When the quiet window around the instant `at` ends, or null when `at` is outside it.
 *
 * The window is read on the wall clock of `window.timeZone`: from `start` (inclusive) to `end`
 * (exclusive); `start` after `end` crosses midnight (21:00–07:00: inside from 21:00 to 06:59 the
 * next morning); `start` equal to `end` is an empty window (never quiet). The end is the wall-clock
 * `end` of the day it falls on, converted with luxon, so it follows the zone's offset on that day
 * (a 21:00–07:00 America/New_York window entered at 23:00 EST on the night DST begins ends at
 * 07:00 EDT = 11:00 UTC, one hour earlier in UTC than the night before). A wall-clock end that does
 * not exist that day (inside the spring-forward gap) is moved forward by the gap, as luxon does.
 *
 * @param at the instant (UTC) a delivery would be sent.
 * @returns the window's end as a UTC `Date` (ms precision), or null outside the window.
 * @throws Error when `start`/`end` are not `HH:mm` or the zone is unknown (validated on input).
 */
export function quietHoursEnd(at: Date, window: QuietWindow): Date | null {
  if (!LOCAL_TIME_PATTERN.test(window.start) || !LOCAL_TIME_PATTERN.test(window.end)) {
    throw new Error(`Quiet hours must be HH:mm (got ${window.start}–${window.end})`);
  }
  if (!isValidTimeZone(window.timeZone)) throw new Error(`Unknown time zone ${window.timeZone}`);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start === end) return null;
  const local = DateTime.fromJSDate(at, { zone: window.timeZone });
  const now = local.hour * 60 + local.minute;
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  // The end falls on the next local day when the window crosses midnight and we are in its evening part.
  const endDay = start > end && now >= start ? local.plus({ days: 1 }) : local;
  const [hour, minute] = window.end.split(':').map(Number);
  return endDay.set({ hour, minute, second: 0, millisecond: 0 }).toUTC().toJSDate();
}
