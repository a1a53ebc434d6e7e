import { sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import type { InvoiceBillTo, TransactionParticipant } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import { uuids } from '../scope.util';
import { ERASED_CONTACT_NAME } from './contact-anonymisation.util';

/**
 * First key of the transaction-level advisory locks that order erasures and writes naming the
 * same contact (the second key is a hash of organization + contact id). Two-key advisory locks
 * do not share the key space of the one-key form.
 */
const ERASURE_LOCK_CLASS = 0x4445_414c; // "DEAL"

/**
 * Takes the advisory lock of each (organization, contact): exclusive for the erasure, shared for
 * writers. A writer takes its shared locks FIRST in its transaction (before any row lock), so that
 * either the erasure commits first and the writer then sees `erased_contact`, or the writer commits
 * first and the erasure then sees (and anonymises) what it wrote. Ids sorted, so writers lock in
 * one order.
 */
export async function lockContacts(
  manager: EntityManager,
  orgId: string,
  contactIds: Iterable<string>,
  mode: 'shared' | 'exclusive',
): Promise<void> {
  const ids = [...new Set(contactIds)].sort();
  if (!ids.length) return;
  const lock = mode === 'shared' ? sql`pg_advisory_xact_lock_shared` : sql`pg_advisory_xact_lock`;
  // Raw SQL: advisory locks taken in the order of an unnest (no builder form).
  await sql`SELECT ${lock}(${ERASURE_LOCK_CLASS}::int, hashtext(${orgId}::text || id::text))
    FROM unnest(${uuids(ids)}) WITH ORDINALITY AS t (id, n) ORDER BY n`.execute(kyselyFor<DealsCommissionDb>(manager));
}

/**
 * For a write naming `contactIds`: takes their shared erasure locks, then answers which of them
 * were erased in the organization (see `lockContacts`). Call it first in the write's transaction.
 */
export async function erasedAmong(
  manager: EntityManager,
  orgId: string,
  contactIds: Array<string | null | undefined>,
): Promise<Set<string>> {
  const ids = contactIds.filter((id): id is string => typeof id === 'string');
  if (!ids.length) return new Set();
  await lockContacts(manager, orgId, ids, 'shared');
  return erasedContactIds(manager, orgId, ids);
}

/**
 * Which of `contactIds` crm erased in the organization (`erased_contact`), without locks: for a
 * check before the write's transaction (the write still calls `erasedAmong`).
 */
export async function erasedContactIds(manager: EntityManager, orgId: string, contactIds: string[]): Promise<Set<string>> {
  if (!contactIds.length) return new Set();
  const rows = await kyselyFor<DealsCommissionDb>(manager)
    .selectFrom('erased_contact')
    .select('contact_id')
    .where('org_id', '=', orgId)
    .where('contact_id', '=', (eb) => eb.fn.any(uuids([...new Set(contactIds)])))
    .execute();
  return new Set(rows.map((row) => row.contact_id));
}

/** Participants with the entries linked to an erased contact anonymised (as the erasure does); others unchanged. */
export function withoutErasedParticipants<T extends TransactionParticipant>(participants: T[], erased: Set<string>): T[] {
  if (!erased.size) return participants;
  return participants.map((entry) =>
    entry.contactId && erased.has(entry.contactId)
      ? { ...entry, name: ERASED_CONTACT_NAME, company: null, email: null, phone: null }
      : entry,
  );
}

/** An invoice addressee anonymised when it is an erased contact. */
export function withoutErasedBillTo(billTo: InvoiceBillTo, erased: Set<string>): InvoiceBillTo {
  return billTo.contactId && erased.has(billTo.contactId) ? { ...billTo, name: ERASED_CONTACT_NAME, company: null, email: null } : billTo;
}

/** The contact ids a participants list links to. */
export function contactIdsOf(participants: TransactionParticipant[] | undefined | null): Array<string | null | undefined> {
  return (participants ?? []).map((entry) => entry.contactId);
}
