import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CrmContactEvent,
  IdentityEvent,
  type CloudEvent,
  type CrmContactMergedData,
  type UserContactLinkedData,
  type UserCreatedData,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { isUuid } from '@keyhouse/util';
import type { DealsCommissionDb } from '../../database/deals-commission.db';

/** Consumer group over `identity.events` and `crm.events`, also the inbox's consumer name: never change it. */
export const DEALS_CLIENT_CONTACTS_GROUP = 'deals-commission.client-contacts';

/**
 * The client portal's read model of which crm contact each client user is (`client_contact`,
 * docs/adr/0033), as listings keeps its own (docs/adr/0019), from one consumer group
 * (`deals-commission.client-contacts`) over `identity.events` and `crm.events`; the chassis applies
 * each event once, in one unit of work with its inbox row:
 * - `identity.user.created` of a self-registered client whose contact was created for them
 *   (`role: client` with `contactId`) links the user to that contact; other users change nothing;
 * - `identity.user.contact_linked` links a client who registered with the address of an existing
 *   contact once the address is verified (issue 13 item 2) — until then the portal shows nothing;
 * - `crm.contact.merged` moves the links of the merged contact to the survivor.
 * The privacy erasure (`crm.contact.erased`) deletes the link in `DealsContactErasureConsumer`.
 * None emits deals events.
 */
@Injectable()
export class ClientContactsConsumer {
  /** `identity.user.created`: a self-registered client user is the crm contact created for them. */
  @OnEvent(IdentityEvent.userCreated, { group: DEALS_CLIENT_CONTACTS_GROUP })
  async onUserCreated(event: CloudEvent<UserCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (data.role !== 'client' || !isUuid(data.contactId)) return;
    await this.link(unit.manager, event.orgid, data.userId, data.contactId);
  }

  /** `identity.user.contact_linked`: a verified client user is the existing contact with their address. */
  @OnEvent(IdentityEvent.userContactLinked, { group: DEALS_CLIENT_CONTACTS_GROUP })
  async onUserContactLinked(event: CloudEvent<UserContactLinkedData>, unit: UnitOfWorkContext): Promise<void> {
    if (!isUuid(event.data.contactId)) return;
    await this.link(unit.manager, event.orgid, event.data.userId, event.data.contactId);
  }

  /** `crm.contact.merged`: client users of the merged contact are now the survivor. */
  @OnEvent(CrmContactEvent.contactMerged, { group: DEALS_CLIENT_CONTACTS_GROUP })
  async onContactMerged(event: CloudEvent<CrmContactMergedData>, unit: UnitOfWorkContext): Promise<void> {
    await kyselyFor<DealsCommissionDb>(unit.manager)
      .updateTable('client_contact')
      .set({ contact_id: event.data.contactId })
      .where('org_id', '=', event.orgid)
      .where('contact_id', '=', event.data.mergedId)
      .execute();
  }

  private async link(manager: EntityManager, orgId: string, userId: string, contactId: string): Promise<void> {
    await kyselyFor<DealsCommissionDb>(manager)
      .insertInto('client_contact')
      .values({ user_id: userId, org_id: orgId, contact_id: contactId })
      .onConflict((conflict) => conflict.column('user_id').doUpdateSet((eb) => ({ contact_id: eb.ref('excluded.contact_id') })))
      .execute();
  }
}
