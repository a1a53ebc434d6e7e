import { Injectable } from '@nestjs/common';
import { type RawBuilder, sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import type { CrmContactDuplicate } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { CrmDb } from '../../database/crm.db';
import type { ContactRow } from './contact.row';
import type { ContactState } from './contact-state.util';

/**
 * Name score (0..1) from which two names corroborated by the same ZIP code or the same last four
 * phone digits are "the same person" (docs/adr/0008, issue 13 item 15). The score of a stored
 * contact against the probe (`nameScoreSql`):
 *
 * - both names have a first and a last name: compare the first word of each part (middle names
 *   and second surnames are left out), straight (first/first, last/last) or swapped
 *   (first/last, last/first); the score is the weaker part of the better alignment, and a swapped
 *   alignment needs both parts ≥ 0.8. A part scores 1 when equal or nicknames of each other
 *   (`NICKNAME_GROUPS`); 0.9 at Levenshtein distance 1 (an adjacent transposition counts 1) with
 *   4+ letters; 0.8 at distance 2 when both sound alike (same Double Metaphone code, primary or
 *   alternate, lengths within 1) with 5+ letters; 0.7 at distance 2 with 8+ letters; else 0;
 * - otherwise (a first or last name missing on either side): pg_trgm `similarity` of the full
 *   names, today's rule.
 *
 * Levenshtein and Double Metaphone are Postgres `fuzzystrmatch` (levenshtein, dmetaphone,
 * dmetaphone_alt: https://www.postgresql.org/docs/15/fuzzystrmatch.html); similarity is pg_trgm.
 * Accepts "Mariah Lopes" / "Maria Lopez" (0.9; trigrams alone: 0.56), "Jonathon Smith" /
 * "Jonathan Smith" (0.9), "Bob Smith" / "Robert Smith" (1), "Lopez Maria" / "Maria Lopez" (1);
 * refuses "Carlos Lopez" / "Maria Lopez" (0), "Rice Mary" / "Rose Maria" (0). Measured on a
 * seeded, labelled set of 5,300 records sharing a ZIP or phone suffix (bench/duplicates,
 * docs/performance/duplicates.md): precision 0.990, recall 0.926 (trigrams ≥ 0.6 alone: 0.955 / 0.666).
 */
export const NAME_SIMILARITY_THRESHOLD = 0.6;

/**
 * First names that may be the same person's (nickname groups; any two names of a group match):
 * the common English ones and a few Spanish ones. Lower-case.
 */
export const NICKNAME_GROUPS: readonly (readonly string[])[] = [
  'robert bob bobby rob robbie bert',
  'william bill billy will willie liam',
  'richard rick ricky dick rich',
  'james jim jimmy jamie',
  'john jack johnny jon',
  'jonathan jon jonny nathan',
  'michael mike mikey mick',
  'david dave davey',
  'joseph joe joey',
  'thomas tom tommy',
  'charles charlie chuck chas',
  'christopher chris topher',
  'daniel dan danny',
  'matthew matt matty',
  'anthony tony',
  'donald don donnie',
  'steven steve stevie',
  'stephen steve stevie',
  'andrew andy drew',
  'joshua josh',
  'kenneth ken kenny',
  'edward ed eddie ted ned',
  'timothy tim timmy',
  'gregory greg',
  'benjamin ben benny',
  'samuel sam sammy',
  'alexander alex xander',
  'nicholas nick nicky',
  'patrick pat',
  'peter pete',
  'raymond ray',
  'gerald gerry jerry',
  'lawrence larry',
  'jeffrey jeff',
  'zachary zach zack',
  'elizabeth liz lizzie beth betty eliza',
  'margaret maggie meg peggy',
  'katherine kate katie kathy kat',
  'catherine cathy kate katie cat',
  'kathleen kathy kate',
  'jennifer jen jenny',
  'patricia pat patty trish',
  'susan sue susie',
  'deborah debbie deb',
  'rebecca becky becca',
  'kimberly kim',
  'christine chris chrissy tina',
  'christina chris tina',
  'samantha sam sammy',
  'victoria vicky tori',
  'alexandra alex alexa lexi',
  'abigail abby',
  'jacqueline jackie',
  'theresa teresa terri tess',
  'judith judy',
  'pamela pam',
  'cynthia cindy',
  'dorothy dot dottie',
  'barbara barb barbie',
  'jessica jess jessie',
  'guadalupe lupe',
  'alejandro alex',
  'francisco paco frank',
  'jose pepe',
].map((group) => group.split(' '));

/** The names of `NICKNAME_GROUPS` that may stand for `name` (lower-case; without `name` itself). */
export function nicknamesOf(name: string): string[] {
  const word = name.toLowerCase();
  return [...new Set(NICKNAME_GROUPS.filter((group) => group.includes(word)).flat())].filter((other) => other !== word);
}

/** The first word of a name part, lower-cased ('' for none): what the name score compares. */
export function namePartOf(part: string | null | undefined): string {
  return (part ?? '').trim().toLowerCase().split(/\s+/)[0] ?? '';
}

/** SQL: the first word of a stored name column, lower-cased, as `namePartOf` does it. */
const partOf = (column: 'first_name' | 'last_name') => sql<string>`lower(split_part(btrim(coalesce(${sql.ref(column)}, '')), ' ', 1))`;

/**
 * SQL: the part score (0..1, see NAME_SIMILARITY_THRESHOLD) of stored `stored` (an SQL expression)
 * against the probe's `word` with its nicknames.
 */
function partScoreSql(stored: RawBuilder<string>, word: string, nicknames: string[]): RawBuilder<number> {
  // Levenshtein distance, an adjacent transposition ("asndra"/"sandra") counted as 1: distance 2
  // between words of one length and the same letters.
  const distance = sql`(CASE WHEN public.levenshtein(s.w, ${word}::text) = 2 AND length(s.w) = length(${word}::text)
      AND (SELECT string_agg(ch, '' ORDER BY ch) FROM regexp_split_to_table(s.w, '') ch)
        = (SELECT string_agg(ch, '' ORDER BY ch) FROM regexp_split_to_table(${word}::text, '') ch)
    THEN 1 ELSE public.levenshtein(s.w, ${word}::text) END)`;
  const longest = sql`greatest(length(s.w), length(${word}::text))`;
  const soundAlike = sql`(public.dmetaphone(s.w) = public.dmetaphone(${word}::text) OR public.dmetaphone_alt(s.w) = public.dmetaphone_alt(${word}::text))
    AND abs(length(s.w) - length(${word}::text)) <= 1`;
  return sql<number>`(SELECT CASE
      WHEN s.w = '' OR ${word}::text = '' THEN 0
      WHEN s.w = ${word}::text OR s.w = ANY(${nicknames}::text[]) THEN 1
      WHEN ${distance} <= 1 AND ${longest} >= 4 THEN 0.9
      WHEN ${distance} = 2 AND ${longest} >= 5 AND ${soundAlike} THEN 0.8
      WHEN ${distance} = 2 AND ${longest} >= 8 THEN 0.7
      ELSE 0 END FROM (SELECT ${stored} AS w) s)`;
}

/**
 * SQL: the name score (0..1) of the contact row in scope against the probe (see
 * NAME_SIMILARITY_THRESHOLD for the formula).
 */
export function nameScoreSql(probe: Pick<DuplicateProbe, 'fullName' | 'firstName' | 'lastName'>): RawBuilder<number> {
  const first = namePartOf(probe.firstName);
  const last = namePartOf(probe.lastName);
  const byParts = first !== '' && last !== '';
  const [storedFirst, storedLast] = [partOf('first_name'), partOf('last_name')];
  const [firstNicks, lastNicks] = [nicknamesOf(first), nicknamesOf(last)];
  return sql<number>`(CASE WHEN ${byParts} AND ${storedFirst} <> '' AND ${storedLast} <> '' THEN greatest(
      least(${partScoreSql(storedFirst, first, firstNicks)}, ${partScoreSql(storedLast, last, [])}),
      (SELECT CASE WHEN least(x.f, x.l) >= 0.8 THEN least(x.f, x.l) ELSE 0 END FROM (SELECT
        ${partScoreSql(storedLast, first, firstNicks)} AS f, ${partScoreSql(storedFirst, last, lastNicks)} AS l) x))
    ELSE public.similarity(full_name, ${probe.fullName}) END)`;
}

export interface DuplicateProbe {
  emails: string[];
  phones: string[];
  fullName: string;
  /** The first and last name as entered (the name score compares their first words); absent: the full name's trigrams only. */
  firstName?: string | null;
  lastName?: string | null;
  postalCode: string | null;
  phoneSuffixes: string[];
  /** A contact to leave out (the one being updated). */
  excludeId?: string;
}

/** The duplicate probe of a contact state: its emails, phones, names, ZIP code and phone suffixes. */
export function probeOf(state: ContactState): DuplicateProbe {
  return {
    emails: state.emails,
    phones: state.phones,
    fullName: state.full_name,
    firstName: state.first_name,
    lastName: state.last_name,
    postalCode: state.postal_code,
    phoneSuffixes: state.phone_suffixes,
  };
}

/**
 * Finds live contacts of the organization that are probably the same person, in order of
 * strength: same email (case-insensitive: emails are stored lower-cased), same phone (E.164),
 * then a fuzzy name match (NAME_SIMILARITY_THRESHOLD) strengthened by ZIP or phone suffix. Each
 * contact appears once, with its strongest reason. All three probes are index lookups (GIN on
 * emails/phones/suffixes, btree on postal code) so the check stays cheap at 100,000 contacts: the
 * name score is computed only on the contacts sharing the ZIP or a phone suffix.
 */
@Injectable()
export class DuplicateDetection {
  /**
   * Serialises creates of the same person: takes a transaction-scoped advisory lock per email and
   * phone of the probe (sorted, so two writers never wait on each other in opposite order). Call
   * before `find` in the transaction that may insert; a concurrent intake of the same email then
   * sees the first one's contact instead of creating a second.
   */
  async lockIdentity(manager: EntityManager, orgId: string, probe: Pick<DuplicateProbe, 'emails' | 'phones'>): Promise<void> {
    const keys = [...new Set([...probe.emails.map((email) => `e:${email}`), ...probe.phones.map((phone) => `p:${phone}`)])].sort();
    if (keys.length === 0) return;
    // One round trip; the locks are taken in the keys' (sorted) order.
    await sql`SELECT count(pg_advisory_xact_lock(hashtext(${orgId}), hashtext(k.key))) FROM unnest(${keys}::text[]) WITH ORDINALITY AS k(key, n)`.execute(
      kyselyFor<CrmDb>(manager),
    );
  }

  async find(manager: EntityManager, orgId: string, probe: DuplicateProbe, limit = 10): Promise<CrmContactDuplicate[]> {
    const exclude = probe.excludeId ?? null;
    const score = nameScoreSql(probe);
    const byName = probe.fullName.length >= 3 && (!!probe.postalCode || probe.phoneSuffixes.length > 0);
    if (probe.emails.length === 0 && probe.phones.length === 0 && !byName) return [];
    // The three probes in one round trip, each branch skipped by its own guard. The email and
    // phone branches have no LIMIT on purpose: `&&` on unique elements is estimated at 0.5 % of
    // the rows, so with a LIMIT the planner prefers a sequential scan that stops "early" (10–60 ms
    // at 100,000 contacts) over the GIN bitmap lookup (0.2 ms). Matches are few; cut in code.
    const { rows } = await sql<Pick<ContactRow, 'id'> & { reason: CrmContactDuplicate['reason']; rank: number }>`
      SELECT id, 'email' AS reason, 1 AS rank FROM contact
        WHERE ${probe.emails.length > 0} AND org_id = ${orgId} AND deleted_at IS NULL AND emails && ${probe.emails}::text[]
          AND (${exclude}::uuid IS NULL OR id <> ${exclude}::uuid)
      UNION ALL
      SELECT id, 'phone', 2 FROM contact
        WHERE ${probe.phones.length > 0} AND org_id = ${orgId} AND deleted_at IS NULL AND phones && ${probe.phones}::text[]
          AND (${exclude}::uuid IS NULL OR id <> ${exclude}::uuid)
      UNION ALL
      (SELECT id, 'name', 3 FROM contact
        WHERE ${byName} AND org_id = ${orgId} AND deleted_at IS NULL AND (${exclude}::uuid IS NULL OR id <> ${exclude}::uuid)
          AND ((${probe.postalCode}::text IS NOT NULL AND postal_code = ${probe.postalCode}::text) OR phone_suffixes && ${probe.phoneSuffixes}::text[])
          AND ${score} >= ${NAME_SIMILARITY_THRESHOLD}
        ORDER BY ${score} DESC, public.similarity(full_name, ${probe.fullName}) DESC, created_at LIMIT ${limit})`.execute(
      kyselyFor<CrmDb>(manager),
    );
    const found = new Map<string, CrmContactDuplicate>();
    for (const reason of ['email', 'phone', 'name'] as const) {
      // Email and phone matches are cut at `limit` per probe, as each probe did on its own.
      const matches = rows.filter((row) => row.reason === reason).slice(0, limit);
      for (const row of matches) if (!found.has(row.id)) found.set(row.id, { id: row.id, reason });
    }
    return [...found.values()].slice(0, limit);
  }
}
