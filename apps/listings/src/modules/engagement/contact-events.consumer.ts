import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CrmContactEvent,
  IdentityEvent,
  type CloudEvent,
  type CrmContactErasedData,
  type CrmContactMergedData,
  type UserCreatedData,
} from '@keyhouse/contracts';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';

/** Consumer group over `identity.events` and `crm.events`, also the inbox's consumer name: never change it. */
export const LISTINGS_CONTACTS_GROUP = 'listings.contacts';

/**
 * What listings keeps about crm contacts follows the contacts (docs/adr/0019), from one consumer
 * group (`listings.contacts`) over `identity.events` and `crm.events`; the `EventHandlerRegistry`
 * applies each event once, in one unit of work with its inbox row:
 * - `identity.user.created` of a self-registered client (`role: client` with `contactId`) fills
 *   `client_contact`, the read model of which contact a client user is (client visibility and the
 *   client's own-contact checks read it, so a portal request never waits on crm); other users
 *   change nothing;
 * - `crm.contact.merged` moves views, interest, shares, saved searches and their matches, and
 *   the client link of the merged contact to the survivor (the survivor's own interest and
 *   matches win where both have one);
 * - `crm.contact.erased` (privacy erasure) deletes the contact's views, interest, shares, saved
 *   searches, matches and client link.
 * None emits listings events.
 */
@Injectable()
export class ContactEventsConsumer {
  /** `identity.user.created`: links a self-registered client user to their crm contact. */
  @OnEvent(IdentityEvent.userCreated, { group: LISTINGS_CONTACTS_GROUP })
  async onUserCreated(event: CloudEvent<UserCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (data.role !== 'client' || !data.contactId) return;
    await unit.manager.query(
      `INSERT INTO client_contact (user_id, org_id, contact_id) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET contact_id = excluded.contact_id`,
      [data.userId, event.orgid, data.contactId],
    );
  }

  /** `crm.contact.merged`: the merged contact's engagement moves to the survivor. */
  @OnEvent(CrmContactEvent.contactMerged, { group: LISTINGS_CONTACTS_GROUP })
  async onContactMerged(event: CloudEvent<CrmContactMergedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.merge(unit.manager, event.orgid, event.data.mergedId, event.data.contactId);
  }

  /** `crm.contact.erased`: the contact's engagement is deleted. */
  @OnEvent(CrmContactEvent.contactErased, { group: LISTINGS_CONTACTS_GROUP })
  async onContactErased(event: CloudEvent<CrmContactErasedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.erase(unit.manager, event.orgid, event.data.contactId);
  }

  private async merge(manager: EntityManager, orgId: string, from: string, to: string): Promise<void> {
    const args = [orgId, from, to];
    for (const table of ['contact_listing', 'property_share', 'saved_search_match']) {
      const columns = TABLE_COLUMNS[table];
      await manager.query(
        `INSERT INTO ${table} (org_id, contact_id, ${columns}) SELECT org_id, $3, ${columns} FROM ${table} WHERE org_id = $1 AND contact_id = $2
         ON CONFLICT DO NOTHING`,
        args,
      );
      await manager.query(`DELETE FROM ${table} WHERE org_id = $1 AND contact_id = $2`, [orgId, from]);
    }
    await manager.query(`UPDATE saved_search SET contact_id = $3 WHERE org_id = $1 AND contact_id = $2`, args);
    await manager.query(`UPDATE property_view SET contact_id = $3 WHERE org_id = $1 AND contact_id = $2`, args);
    await manager.query(`UPDATE client_contact SET contact_id = $3 WHERE org_id = $1 AND contact_id = $2`, args);
  }

  private async erase(manager: EntityManager, orgId: string, contactId: string): Promise<void> {
    const args = [orgId, contactId];
    await manager.query(`DELETE FROM saved_search_match WHERE org_id = $1 AND contact_id = $2`, args);
    await manager.query(`DELETE FROM saved_search WHERE org_id = $1 AND contact_id = $2`, args);
    for (const table of ['contact_listing', 'property_share', 'property_view', 'client_contact']) {
      await manager.query(`DELETE FROM ${table} WHERE org_id = $1 AND contact_id = $2`, args);
    }
  }
}

/** Columns besides (org_id, contact_id) copied when a merged contact's rows move to the survivor. */
const TABLE_COLUMNS: Record<string, string> = {
  contact_listing: 'property_id, preference, note, updated_at',
  property_share: 'property_id, shared_by, shared_at',
  saved_search_match: 'property_id, saved_search_id, matched_at',
};
