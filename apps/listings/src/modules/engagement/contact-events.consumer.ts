import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import {
  CrmContactEvent,
  IdentityEvent,
  type CloudEvent,
  type CrmContactErasedData,
  type CrmContactMergedData,
  type UserContactLinkedData,
  type UserCreatedData,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { ListingsDb } from '../../database/listings.db';

/** Consumer group over `identity.events` and `crm.events`, also the inbox's consumer name: never change it. */
export const LISTINGS_CONTACTS_GROUP = 'listings.contacts';

/**
 * What listings keeps about crm contacts follows the contacts (docs/adr/0019), from one consumer
 * group (`listings.contacts`) over `identity.events` and `crm.events`; the `EventHandlerRegistry`
 * applies each event once, in one unit of work with its inbox row:
 * - `identity.user.created` of a self-registered client (`role: client` with `contactId`) fills
 *   `client_contact`, the read model of which contact a client user is (client visibility and the
 *   client's own-contact checks read it, so a portal request never waits on crm); other users
 *   change nothing; `identity.user.contact_linked` fills it for a client whose existing contact
 *   was linked after the address was verified;
 * - `crm.contact.merged` moves views, interest, shares, saved searches and their matches, and
 *   the client link of the merged contact to the survivor (the survivor's own interest and
 *   matches win where both have one);
 * - `crm.contact.erased` (privacy erasure) deletes the contact's views, interest, shares, saved
 *   searches, matches and client link.
 * None emits listings events.
 */
@Injectable()
export class ContactEventsConsumer {
  /** `identity.user.created`: links a self-registered client user to the crm contact created for them. */
  @OnEvent(IdentityEvent.userCreated, { group: LISTINGS_CONTACTS_GROUP })
  async onUserCreated(event: CloudEvent<UserCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (data.role !== 'client' || !data.contactId) return;
    await this.linkClient(unit.manager, event.orgid, data.userId, data.contactId);
  }

  /**
   * `identity.user.contact_linked`: a client user who registered with the address of an existing
   * contact is linked to it once the address is verified (issue 13 item 2); until then listings
   * shows them nothing of that contact.
   */
  @OnEvent(IdentityEvent.userContactLinked, { group: LISTINGS_CONTACTS_GROUP })
  async onUserContactLinked(event: CloudEvent<UserContactLinkedData>, unit: UnitOfWorkContext): Promise<void> {
    await this.linkClient(unit.manager, event.orgid, event.data.userId, event.data.contactId);
  }

  private async linkClient(manager: EntityManager, orgId: string, userId: string, contactId: string): Promise<void> {
    await kyselyFor<ListingsDb>(manager)
      .insertInto('client_contact')
      .values({ user_id: userId, org_id: orgId, contact_id: contactId })
      .onConflict((conflict) => conflict.column('user_id').doUpdateSet((eb) => ({ contact_id: eb.ref('excluded.contact_id') })))
      .execute();
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
    const db = kyselyFor<ListingsDb>(manager);
    const survivor = sql<string>`${to}::uuid`.as('contact_id');
    // Each table's rows are copied to the survivor (the survivor's own row wins on its key), then the merged contact's go.
    await db
      .insertInto('contact_listing')
      .columns(['org_id', 'contact_id', 'property_id', 'preference', 'note', 'updated_at'])
      .expression((eb) =>
        eb
          .selectFrom('contact_listing')
          .select(['org_id', survivor, 'property_id', 'preference', 'note', 'updated_at'])
          .where('org_id', '=', orgId)
          .where('contact_id', '=', from),
      )
      .onConflict((conflict) => conflict.doNothing())
      .execute();
    await db.deleteFrom('contact_listing').where('org_id', '=', orgId).where('contact_id', '=', from).execute();
    await db
      .insertInto('property_share')
      .columns(['org_id', 'contact_id', 'property_id', 'shared_by', 'shared_at'])
      .expression((eb) =>
        eb
          .selectFrom('property_share')
          .select(['org_id', survivor, 'property_id', 'shared_by', 'shared_at'])
          .where('org_id', '=', orgId)
          .where('contact_id', '=', from),
      )
      .onConflict((conflict) => conflict.doNothing())
      .execute();
    await db.deleteFrom('property_share').where('org_id', '=', orgId).where('contact_id', '=', from).execute();
    await db
      .insertInto('saved_search_match')
      .columns(['org_id', 'contact_id', 'property_id', 'saved_search_id', 'matched_at'])
      .expression((eb) =>
        eb
          .selectFrom('saved_search_match')
          .select(['org_id', survivor, 'property_id', 'saved_search_id', 'matched_at'])
          .where('org_id', '=', orgId)
          .where('contact_id', '=', from),
      )
      .onConflict((conflict) => conflict.doNothing())
      .execute();
    await db.deleteFrom('saved_search_match').where('org_id', '=', orgId).where('contact_id', '=', from).execute();
    for (const table of ['saved_search', 'property_view', 'client_contact'] as const) {
      await db.updateTable(table).set({ contact_id: to }).where('org_id', '=', orgId).where('contact_id', '=', from).execute();
    }
  }

  private async erase(manager: EntityManager, orgId: string, contactId: string): Promise<void> {
    const db = kyselyFor<ListingsDb>(manager);
    // Matches before their saved searches (foreign key).
    for (const table of [
      'saved_search_match',
      'saved_search',
      'contact_listing',
      'property_share',
      'property_view',
      'client_contact',
    ] as const) {
      await db.deleteFrom(table).where('org_id', '=', orgId).where('contact_id', '=', contactId).execute();
    }
  }
}
