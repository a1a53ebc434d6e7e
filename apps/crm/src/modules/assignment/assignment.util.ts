import { DateTime } from 'luxon';
import type { CrmAssignmentConditions } from '@keyhouse/contracts';
import type { WorkingHoursValue } from '../../database/crm-work-json.type';

/**
 * True when `now` falls within the agent's working hours in the agent's own time zone (luxon),
 * both ends inclusive to the minute (`09:00`–`17:59` covers 17:59:59). No working hours set means
 * always available; an unknown zone is read as UTC.
 */
export function withinWorkingHours(hours: WorkingHoursValue | null | undefined, now: Date = new Date()): boolean {
  if (!hours || !hours.days) return true;
  let local = DateTime.fromJSDate(now).setZone(hours.timezone || 'UTC');
  if (!local.isValid) local = DateTime.fromJSDate(now).setZone('UTC');
  const minute = local.toFormat('HH:mm');
  const intervals = hours.days[String(local.weekday)] ?? [];
  return intervals.some((interval) => interval.start <= minute && minute <= interval.end);
}

/** What rule conditions are evaluated against. Prices in cents. */
export interface RoutableContact {
  source: string | null;
  postalCode: string | null;
  city: string | null;
  type: string | null;
  preferredPostalCodes: string[];
  preferredAreas: string[];
  /** The contact's budget: preferred maximum price, else minimum, else null. */
  priceCents: number | null;
}

/**
 * True when every condition given holds: source in `sources`; ZIP (address or preferred) in
 * `postalCodes`; city (address or preferred areas, case-insensitive) in `cities`; type in `types`;
 * budget within [`minPrice`, `maxPrice`] (a contact with no budget fails a price condition).
 */
export function matchesConditions(conditions: CrmAssignmentConditions, contact: RoutableContact): boolean {
  if (conditions.sources?.length && !(contact.source && conditions.sources.includes(contact.source as never))) return false;
  if (conditions.postalCodes?.length) {
    const zips = [contact.postalCode, ...contact.preferredPostalCodes].filter(Boolean) as string[];
    if (!zips.some((zip) => conditions.postalCodes!.includes(zip))) return false;
  }
  if (conditions.cities?.length) {
    const wanted = conditions.cities.map((city) => city.trim().toLowerCase());
    const cities = [contact.city, ...contact.preferredAreas].filter(Boolean).map((city) => city!.trim().toLowerCase());
    if (!cities.some((city) => wanted.includes(city))) return false;
  }
  if (conditions.types?.length && !(contact.type && conditions.types.includes(contact.type as never))) return false;
  if (conditions.minPrice !== undefined && conditions.minPrice !== null) {
    if (contact.priceCents === null || contact.priceCents < conditions.minPrice) return false;
  }
  if (conditions.maxPrice !== undefined && conditions.maxPrice !== null) {
    if (contact.priceCents === null || contact.priceCents > conditions.maxPrice) return false;
  }
  return true;
}

/**
 * Round-robin over the rule's agents in their configured order, starting at `position` (a counter
 * advanced under the rule's row lock) and skipping ineligible agents. Returns the agent and the
 * next position, or null when nobody is eligible.
 */
export function pickRoundRobin(
  agentIds: string[],
  position: number,
  eligible: (agentId: string) => boolean,
): { agentId: string; next: number; index: number } | null {
  const n = agentIds.length;
  for (let step = 0; step < n; step += 1) {
    const index = (position + step) % n;
    if (eligible(agentIds[index])) return { agentId: agentIds[index], next: position + step + 1, index };
  }
  return null;
}

export interface LoadCandidate {
  agentId: string;
  activeLeads: number;
  capacity: number;
  lastAssignedAt: Date | null;
}

/**
 * Load balancing: among agents under capacity (`activeLeads < capacity`), the one with the fewest
 * active leads; ties go to the one assigned longest ago (never first), then by id.
 */
export function pickLoadBalanced(candidates: LoadCandidate[]): LoadCandidate | null {
  const open = candidates.filter((candidate) => candidate.activeLeads < candidate.capacity);
  open.sort(
    (a, b) =>
      a.activeLeads - b.activeLeads ||
      (a.lastAssignedAt?.getTime() ?? 0) - (b.lastAssignedAt?.getTime() ?? 0) ||
      a.agentId.localeCompare(b.agentId),
  );
  return open[0] ?? null;
}
