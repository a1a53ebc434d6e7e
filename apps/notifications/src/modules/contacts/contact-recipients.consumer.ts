import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import {
  CrmContactEvent,
  type CloudEvent,
  type CrmConsent,
  type CrmContactAssignedData,
  type CrmContactCreatedData,
  type CrmContactDeletedData,
  type CrmContactErasedData,
  type CrmContactMergedData,
  type CrmContactUpdatedData,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { e164OrNull } from '../sms/phone-number.util';

/** Consumer group over `crm.events`, also the inbox's consumer name: never change it. */
export const NOTIFICATIONS_CONTACTS_GROUP = 'notifications.contacts';

/** Columns of `contact_recipient` an event may set. */
type ContactRecipientChange = Partial<{
  owner_id: string | null;
  email: string | null;
  phone: string | null;
  email_consent: boolean | null;
  sms_consent: boolean | null;
  do_not_contact: boolean;
}>;

/** The `granted` of crm's latest decision on one channel: true, false, or null when never asked. */
function granted(consent: Partial<Record<string, CrmConsent>> | null | undefined, channel: 'email' | 'sms'): boolean | null {
  const decision = consent?.[channel];
  return decision && typeof decision.granted === 'boolean' ? decision.granted : null;
}

/** A primary email as the read model keeps it: lower-cased, or null. */
function emailOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.includes('@') ? value.trim().toLowerCase() : null;
}

/**
 * The contacts read model (`contact_recipient`, docs/adr/0035 "Contacts"): for every crm contact
 * its organization, owner agent, primary email (lower-cased), primary phone (E.164 via
 * `e164OrNull`, else null: Twilio refuses anything else), email / SMS consent (crm's latest
 * `consent.email.granted` / `consent.sms.granted`, null when never asked) and do-not-contact, so
 * a send to a contact and the consent check need no call to crm. Group `notifications.contacts`
 * over `crm.events`, each event applied once with its inbox row (and crm's events are keyed by the
 * contact id, so they arrive in order):
 * - `crm.contact.created` inserts (or refreshes) the row from the contact view;
 * - `crm.contact.updated` applies its `changes` of `email`, `phone`, `ownerId`, `consent`,
 *   `doNotContact` (a contact this model never saw is left alone: created before the service);
 * - `crm.contact.assigned` sets the owner (`toAgentId`, null back to a pond);
 * - `crm.contact.merged` and `crm.contact.deleted` set `deleted_at` (nothing is sent to it);
 * - `crm.contact.erased` deletes the row and removes the address from the contact's deliveries.
 * Emits nothing.
 */
@Injectable()
export class ContactRecipientsConsumer {
  /** `crm.contact.created`: the contact's row, replacing an earlier one. */
  @OnEvent(CrmContactEvent.contactCreated, { group: NOTIFICATIONS_CONTACTS_GROUP })
  async onContactCreated(event: CloudEvent<CrmContactCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const contact = event.data.contact;
    const values = {
      owner_id: contact.ownerId,
      email: emailOrNull(contact.email),
      phone: e164OrNull(contact.phone),
      email_consent: granted(contact.consent, 'email'),
      sms_consent: granted(contact.consent, 'sms'),
      do_not_contact: contact.doNotContact === true,
      deleted_at: contact.mergedIntoId ? new Date() : null,
    };
    await kyselyFor<NotificationsDb>(unit.manager)
      .insertInto('contact_recipient')
      .values({ contact_id: contact.id, org_id: event.orgid, ...values })
      .onConflict((conflict) => conflict.column('contact_id').doUpdateSet({ ...values, updated_at: sql<Date>`now()` }))
      .execute();
  }

  /** `crm.contact.updated`: the changes (`{ from, to }`) of the fields kept here; others are ignored. */
  @OnEvent(CrmContactEvent.contactUpdated, { group: NOTIFICATIONS_CONTACTS_GROUP })
  async onContactUpdated(event: CloudEvent<CrmContactUpdatedData>, unit: UnitOfWorkContext): Promise<void> {
    const changes = event.data.changes ?? {};
    const set: ContactRecipientChange = {};
    if (changes.email) set.email = emailOrNull(changes.email.to);
    if (changes.phone) set.phone = e164OrNull(changes.phone.to);
    if (changes.ownerId) set.owner_id = typeof changes.ownerId.to === 'string' ? changes.ownerId.to : null;
    if (changes.doNotContact) set.do_not_contact = changes.doNotContact.to === true;
    if (changes.consent) {
      const consent = (changes.consent.to ?? {}) as Partial<Record<string, CrmConsent>>;
      set.email_consent = granted(consent, 'email');
      set.sms_consent = granted(consent, 'sms');
    }
    await this.update(unit, event.orgid, event.data.contactId, set);
  }

  /** `crm.contact.assigned`: the new owner (null when the contact went back to a pond). */
  @OnEvent(CrmContactEvent.contactAssigned, { group: NOTIFICATIONS_CONTACTS_GROUP })
  async onContactAssigned(event: CloudEvent<CrmContactAssignedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.update(unit, event.orgid, event.data.contactId, { owner_id: event.data.toAgentId });
  }

  /** `crm.contact.merged`: the merged-away contact receives nothing any more (the survivor's changes come as its `updated`). */
  @OnEvent(CrmContactEvent.contactMerged, { group: NOTIFICATIONS_CONTACTS_GROUP })
  async onContactMerged(event: CloudEvent<CrmContactMergedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.markDeleted(unit, event.orgid, event.data.mergedId);
  }

  /** `crm.contact.deleted`: nothing is sent to a deleted contact. */
  @OnEvent(CrmContactEvent.contactDeleted, { group: NOTIFICATIONS_CONTACTS_GROUP })
  async onContactDeleted(event: CloudEvent<CrmContactDeletedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.markDeleted(unit, event.orgid, event.data.contactId);
  }

  /**
   * `crm.contact.erased`: the row goes, and the contact's address leaves their deliveries
   * (`to_address` null); the notifications stay in the history without it. The suppression list
   * and the SMS opt-out ledger keep the address / number: they are what keeps it from being mailed again.
   */
  @OnEvent(CrmContactEvent.contactErased, { group: NOTIFICATIONS_CONTACTS_GROUP })
  async onContactErased(event: CloudEvent<CrmContactErasedData>, unit: UnitOfWorkContext): Promise<void> {
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const contactId = event.data.contactId;
    await db.deleteFrom('contact_recipient').where('contact_id', '=', contactId).where('org_id', '=', event.orgid).execute();
    await db
      .updateTable('delivery')
      .set({ to_address: null, updated_at: sql<Date>`now()` })
      .where('org_id', '=', event.orgid)
      .where('notification_id', 'in', (eb) =>
        eb.selectFrom('notification').select('id').where('org_id', '=', event.orgid).where('recipient_contact_id', '=', contactId),
      )
      .execute();
  }

  private async markDeleted(unit: UnitOfWorkContext, orgId: string, contactId: string): Promise<void> {
    await kyselyFor<NotificationsDb>(unit.manager)
      .updateTable('contact_recipient')
      .set({ deleted_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('contact_id', '=', contactId)
      .where('org_id', '=', orgId)
      .execute();
  }

  private async update(unit: UnitOfWorkContext, orgId: string, contactId: string, set: ContactRecipientChange): Promise<void> {
    if (Object.keys(set).length === 0) return;
    await kyselyFor<NotificationsDb>(unit.manager)
      .updateTable('contact_recipient')
      .set({ ...set, updated_at: sql<Date>`now()` })
      .where('contact_id', '=', contactId)
      .where('org_id', '=', orgId)
      .execute();
  }
}
