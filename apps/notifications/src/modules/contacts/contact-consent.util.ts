import type { Selectable } from 'kysely';
import type { NotificationsDb } from '../../database/notifications.db';
import { DeliveryReason } from '../../notifications.exception';
import type { ContactChannel } from './contact-triggers.constant';

/** What the consent rule reads of a contact (a `contact_recipient` row). */
export type ContactConsentFacts = Pick<
  Selectable<NotificationsDb['contact_recipient']>,
  'email_consent' | 'sms_consent' | 'do_not_contact' | 'deleted_at'
>;

/** One delivery to decide: the contact (null when unknown to the read model), the channel, the address, what the ledgers say. */
export interface ContactSendFacts {
  contact: ContactConsentFacts | null;
  channel: ContactChannel;
  /** Marketing type (consent needed) or transactional. */
  marketing: boolean;
  /** Lower-cased email or E.164 phone the delivery goes to, null when the contact has none. */
  address: string | null;
  /** The address is on the email suppression list (email only). */
  suppressed: boolean;
  /** The number opted out of SMS from our sender (SMS only). */
  optedOut: boolean;
}

/**
 * Why a delivery to a crm contact must not go out, or null when it may (docs/adr/0035 "Contacts"),
 * in this order:
 * 1. `NO_ADDRESS`: the contact is unknown to the read model, deleted or merged away, or has no
 *    address on the channel;
 * 2. `SUPPRESSED` (email: bounce, spam report, unsubscribe) / `OPTED_OUT` (SMS: STOP) — the
 *    provider-level facts first, so a number that texted STOP reads `OPTED_OUT` even after crm
 *    withdrew its consent because of it;
 * 3. `DO_NOT_CONTACT`: crm's do-not-contact flag, for every type, marketing or transactional;
 * 4. `CONSENT_MISSING`: a marketing type without the channel's consent granted (crm's latest
 *    decision on `consent.email` / `consent.sms`: withdrawn and never asked both block).
 * Transactional types (an invoice) need no consent record.
 */
export function contactBlockReason(facts: ContactSendFacts): string | null {
  const { contact } = facts;
  if (!contact || contact.deleted_at !== null || !facts.address) return DeliveryReason.NoAddress;
  if (facts.channel === 'email' && facts.suppressed) return DeliveryReason.Suppressed;
  if (facts.channel === 'sms' && facts.optedOut) return DeliveryReason.OptedOut;
  if (contact.do_not_contact) return DeliveryReason.DoNotContact;
  const consent = facts.channel === 'email' ? contact.email_consent : contact.sms_consent;
  if (facts.marketing && consent !== true) return DeliveryReason.ConsentMissing;
  return null;
}
