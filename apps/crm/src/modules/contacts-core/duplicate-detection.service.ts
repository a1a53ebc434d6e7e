import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import type { CrmContactDuplicate } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { CrmDb } from '../../database/crm.db';
import type { ContactRow } from './contact.row';
import type { ContactState } from './contact-state.util';
import { NAME_SIMILARITY_THRESHOLD, nameScore, namePartOf, type NameWord } from './name-match.util';

/** SQL: the first word of a stored name column, lower-cased, as `namePartOf` does it. */
const partOf = (column: 'first_name' | 'last_name') => sql<string>`lower(split_part(btrim(coalesce(${sql.ref(column)}, '')), ' ', 1))`;

/** A row of `find`'s one query: an email, phone or name candidate (the name columns are null for the first two). */
interface CandidateRow extends Pick<ContactRow, 'id'> {
  reason: CrmContactDuplicate['reason'];
  /** pg_trgm similarity of the full names (name candidates). */
  trigram: number | null;
  created_at: Date | null;
  first_word: string | null;
  last_word: string | null;
  /** Double Metaphone codes (fuzzystrmatch dmetaphone, dmetaphone_alt) of the stored and the probe's words. */
  first_codes: [string, string] | null;
  last_codes: [string, string] | null;
  probe_first_codes: [string, string] | null;
  probe_last_codes: [string, string] | null;
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
    const [first, last] = [namePartOf(probe.firstName), namePartOf(probe.lastName)];
    const byParts = first !== '' && last !== '';
    const byName = probe.fullName.length >= 3 && (!!probe.postalCode || probe.phoneSuffixes.length > 0);
    if (probe.emails.length === 0 && probe.phones.length === 0 && !byName) return [];
    const [storedFirst, storedLast] = [partOf('first_name'), partOf('last_name')];
    const storedHasParts = sql<boolean>`(${storedFirst} <> '' AND ${storedLast} <> '')`;
    // A part scores above 0 only within Levenshtein distance 3 (each typo edit costs at least ½ of
    // a 1.5 budget) or by nickname; a match needs the last names close (straight) or one of the
    // crossed pairs close (swapped), which the index-free levenshtein_less_equal checks cheaply.
    const near = (stored: typeof storedFirst, word: string) =>
      sql<boolean>`public.levenshtein_less_equal(${stored}, ${word}::text, 3) <= 3`;
    const nameCandidate = sql<boolean>`(CASE WHEN ${byParts} AND ${storedHasParts}
        THEN ${near(storedLast, last)} OR ${near(storedLast, first)} OR ${near(storedFirst, last)}
        ELSE public.similarity(full_name, ${probe.fullName}) >= ${NAME_SIMILARITY_THRESHOLD} END)`;
    const codes = (word: typeof storedFirst) =>
      sql<[string, string]>`ARRAY[coalesce(public.dmetaphone(${word}), ''), coalesce(public.dmetaphone_alt(${word}), '')]`;
    // The three probes in one round trip, each branch skipped by its own guard. The email and
    // phone branches have no LIMIT on purpose: `&&` on unique elements is estimated at 0.5 % of
    // the rows, so with a LIMIT the planner prefers a sequential scan that stops "early" (10–60 ms
    // at 100,000 contacts) over the GIN bitmap lookup (0.2 ms). Matches are few; cut in code. The
    // name branch returns the candidates sharing the ZIP or a phone suffix; they are scored here
    // (`nameScore`, name-match.util.ts).
    const { rows } = await sql<CandidateRow>`
      SELECT id, 'email' AS reason, NULL::real AS trigram, NULL::timestamptz AS created_at, NULL AS first_word, NULL AS last_word,
          NULL::text[] AS first_codes, NULL::text[] AS last_codes, NULL::text[] AS probe_first_codes, NULL::text[] AS probe_last_codes
        FROM contact
        WHERE ${probe.emails.length > 0} AND org_id = ${orgId} AND deleted_at IS NULL AND emails && ${probe.emails}::text[]
          AND (${exclude}::uuid IS NULL OR id <> ${exclude}::uuid)
      UNION ALL
      SELECT id, 'phone', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM contact
        WHERE ${probe.phones.length > 0} AND org_id = ${orgId} AND deleted_at IS NULL AND phones && ${probe.phones}::text[]
          AND (${exclude}::uuid IS NULL OR id <> ${exclude}::uuid)
      UNION ALL
      SELECT id, 'name', public.similarity(full_name, ${probe.fullName}), created_at, ${storedFirst}, ${storedLast},
          ${codes(storedFirst)}, ${codes(storedLast)}, ${codes(sql<string>`${first}::text`)}, ${codes(sql<string>`${last}::text`)}
        FROM contact
        WHERE ${byName} AND org_id = ${orgId} AND deleted_at IS NULL AND (${exclude}::uuid IS NULL OR id <> ${exclude}::uuid)
          AND ((${probe.postalCode}::text IS NOT NULL AND postal_code = ${probe.postalCode}::text) OR phone_suffixes && ${probe.phoneSuffixes}::text[])
          AND ${nameCandidate}`.execute(kyselyFor<CrmDb>(manager));
    const found = new Map<string, CrmContactDuplicate>();
    for (const reason of ['email', 'phone'] as const) {
      // Email and phone matches are cut at `limit` per probe, as each probe did on its own.
      const matches = rows.filter((row) => row.reason === reason).slice(0, limit);
      for (const row of matches) if (!found.has(row.id)) found.set(row.id, { id: row.id, reason });
    }
    const byNameScore = rows
      .filter((row) => row.reason === 'name')
      .map((row) => ({ row, score: this.nameScoreOf(row, first, last) }))
      .filter(({ score }) => score >= NAME_SIMILARITY_THRESHOLD)
      .sort(
        (a, b) =>
          b.score - a.score || (b.row.trigram ?? 0) - (a.row.trigram ?? 0) || a.row.created_at!.getTime() - b.row.created_at!.getTime(),
      )
      .slice(0, limit);
    for (const { row } of byNameScore) if (!found.has(row.id)) found.set(row.id, { id: row.id, reason: 'name' });
    return [...found.values()].slice(0, limit);
  }

  /** The name score of a name candidate: `nameScore` when both names have both parts, else its trigram similarity. */
  private nameScoreOf(row: CandidateRow, first: string, last: string): number {
    if (first === '' || last === '' || !row.first_word || !row.last_word) return row.trigram ?? 0;
    const word = (text: string, codes: [string, string] | null): NameWord => ({ word: text, metaphone: codes ?? ['', ''] });
    return nameScore(
      { first: word(row.first_word, row.first_codes), last: word(row.last_word, row.last_codes) },
      { first: word(first, row.probe_first_codes), last: word(last, row.probe_last_codes) },
    );
  }
}
