import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import type { CrmContactDuplicate } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { CrmDb } from '../../database/crm.db';
import type { ContactRow } from './contact.row';
import type { ContactState } from './contact-state.util';

/**
 * Trigram similarity (pg_trgm `similarity`, 0..1) from which two names are "the same" — only
 * when corroborated by the same ZIP code or the same last four phone digits (docs/adr/0008).
 * 0.6 accepts "Jon Smith" / "John Smith" (0.62), "Katherine Lee" / "Catherine Lee" (0.65) and
 * "Jonathan Smyth" / "Jonathan Smith" (0.67); refuses "John Smith" / "Joan Smyth" (0.29).
 */
export const NAME_SIMILARITY_THRESHOLD = 0.6;

export interface DuplicateProbe {
  emails: string[];
  phones: string[];
  fullName: string;
  postalCode: string | null;
  phoneSuffixes: string[];
  /** A contact to leave out (the one being updated). */
  excludeId?: string;
}

/** The duplicate probe of a contact state: its emails, phones, full name, ZIP code and phone suffixes. */
export function probeOf(state: ContactState): DuplicateProbe {
  return {
    emails: state.emails,
    phones: state.phones,
    fullName: state.full_name,
    postalCode: state.postal_code,
    phoneSuffixes: state.phone_suffixes,
  };
}

/**
 * Finds live contacts of the organization that are probably the same person, in order of
 * strength: same email (case-insensitive: emails are stored lower-cased), same phone (E.164),
 * then a fuzzy name match strengthened by ZIP or phone suffix. Each contact appears once, with
 * its strongest reason. All three probes are index lookups (GIN on emails/phones/suffixes, btree
 * on postal code) so the check stays cheap at 100,000 contacts.
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
          AND public.similarity(full_name, ${probe.fullName}) >= ${NAME_SIMILARITY_THRESHOLD}
        ORDER BY public.similarity(full_name, ${probe.fullName}) DESC, created_at LIMIT ${limit})`.execute(kyselyFor<CrmDb>(manager));
    const found = new Map<string, CrmContactDuplicate>();
    for (const reason of ['email', 'phone', 'name'] as const) {
      // Email and phone matches are cut at `limit` per probe, as each probe did on its own.
      const matches = rows.filter((row) => row.reason === reason).slice(0, limit);
      for (const row of matches) if (!found.has(row.id)) found.set(row.id, { id: row.id, reason });
    }
    return [...found.values()].slice(0, limit);
  }
}
