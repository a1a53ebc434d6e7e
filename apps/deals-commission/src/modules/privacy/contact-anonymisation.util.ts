import type { TransactionParticipant } from '@keyhouse/contracts';

/** The name a participant, offer buyer or invoice addressee keeps once the crm contact behind it is erased. */
export const ERASED_CONTACT_NAME = 'Erased contact';

/**
 * A participants list with every entry linked to `contactId` anonymised: `name` →
 * `Erased contact`, `company`, `email` and `phone` → null; `side`, `role`, `contactId` (an opaque
 * id from then on) and `userId` kept. Entries of other people are returned as they were.
 * `changed` counts the entries that differed. Anything that is not an array is returned unchanged.
 */
export function anonymiseParticipants(list: unknown, contactId: string): { participants: unknown; changed: number } {
  if (!Array.isArray(list)) return { participants: list, changed: 0 };
  let changed = 0;
  const participants = list.map((entry: unknown) => {
    if (!isLinkedTo(entry, contactId)) return entry;
    const anonymised: TransactionParticipant = { ...entry, name: ERASED_CONTACT_NAME, company: null, email: null, phone: null };
    if (!alreadyAnonymised(entry)) changed += 1;
    return anonymised;
  });
  return { participants, changed };
}

/**
 * The `data` of a transaction timeline entry with the participant copies it holds
 * (`changes.participants.from` / `.to` of an `updated` entry) anonymised for `contactId`;
 * `changed` is false when nothing in it named the contact.
 */
export function anonymiseActivityData(data: unknown, contactId: string): { data: unknown; changed: boolean } {
  const changes = (data as { changes?: { participants?: { from?: unknown; to?: unknown } } } | null)?.changes;
  const participants = changes?.participants;
  if (!participants || typeof participants !== 'object') return { data, changed: false };
  const from = anonymiseParticipants(participants.from, contactId);
  const to = anonymiseParticipants(participants.to, contactId);
  if (!from.changed && !to.changed) return { data, changed: false };
  return {
    data: { ...(data as object), changes: { ...changes, participants: { ...participants, from: from.participants, to: to.participants } } },
    changed: true,
  };
}

function isLinkedTo(entry: unknown, contactId: string): entry is TransactionParticipant {
  return typeof entry === 'object' && entry !== null && (entry as { contactId?: unknown }).contactId === contactId;
}

function alreadyAnonymised(entry: TransactionParticipant): boolean {
  return (
    entry.name === ERASED_CONTACT_NAME &&
    (entry.company ?? null) === null &&
    (entry.email ?? null) === null &&
    (entry.phone ?? null) === null
  );
}
