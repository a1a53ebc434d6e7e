import { Injectable } from '@nestjs/common';
import {
  IdentityEvent,
  ListingsEvent,
  type CloudEvent,
  type SearchMatchedData,
  type UserContactLinkedData,
  type UserCreatedData,
} from '@keyhouse/contracts';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { PERSON_FACING_FETCH_WAIT_MS, TRIGGER_EVENT_MAX_AGE_MS } from './notification-triggers.constant';
import { NOTIFICATIONS_TRIGGERS_GROUP } from './notification-triggers.consumer';
import { TriggerNotifier } from './trigger-notifier.service';

/**
 * The built-in triggers about a contact's activity for the contact's agent, consumer group
 * `notifications.triggers` over `listings.events` and `identity.events` (each event once with its
 * inbox row; the organization's switch checked first). The contact's agent comes from the contacts
 * read model (`contact_recipient`, crm's events on another topic: a contact crm has not yet
 * announced has no agent here).
 * - `listings.search.matched` → `contact_search_matched` to the contact's agent (none: nothing);
 * - `identity.user.created` of a self-registered client (`role: client` with `contactId`) and
 *   `identity.user.contact_linked` → `client_registered` to the contact's agent, else the
 *   organization's owners and admins.
 */
@Injectable()
export class ContactTriggersConsumer {
  constructor(private readonly notifier: TriggerNotifier) {}

  /** `listings.search.matched` → `contact_search_matched` for the contact's agent. */
  @OnEvent(ListingsEvent.searchMatched, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onSearchMatched(event: CloudEvent<SearchMatchedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    const owner = await this.notifier.contactOwner(unit.manager, event.orgid, data.contactId);
    await this.notifier.notify(unit, [owner], {
      orgId: event.orgid,
      type: 'contact_search_matched',
      sourceEventId: event.id,
      values: { listingKey: data.listingKey },
      data: { contactId: data.contactId, savedSearchId: data.savedSearchId, propertyId: data.propertyId, listingKey: data.listingKey },
      link: `/contacts/${data.contactId}`,
    });
  }

  /** `identity.user.created` of a self-registered client → `client_registered`. */
  @OnEvent(IdentityEvent.userCreated, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onUserCreated(event: CloudEvent<UserCreatedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    if (data.role !== 'client' || !data.contactId) return;
    await this.clientRegistered(event, unit, data.userId, data.contactId, data.name);
  }

  /** `identity.user.contact_linked` (a client verified the address of an existing contact) → `client_registered`. */
  @OnEvent(IdentityEvent.userContactLinked, {
    group: NOTIFICATIONS_TRIGGERS_GROUP,
    maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS,
    maxWaitTimeInMs: PERSON_FACING_FETCH_WAIT_MS,
  })
  async onUserContactLinked(event: CloudEvent<UserContactLinkedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    const name = await this.notifier.nameOf(unit.manager, event.orgid, data.userId, 'A client');
    await this.clientRegistered(event, unit, data.userId, data.contactId, name);
  }

  private async clientRegistered(event: CloudEvent<unknown>, unit: UnitOfWorkContext, userId: string, contactId: string, name: string) {
    const owner = await this.notifier.contactOwner(unit.manager, event.orgid, contactId);
    const recipients = owner ? [owner] : await this.notifier.ownersAndAdmins(unit.manager, event.orgid);
    await this.notifier.notify(unit, recipients, {
      orgId: event.orgid,
      type: 'client_registered',
      sourceEventId: event.id,
      values: { clientName: name },
      data: { contactId, clientUserId: userId },
      link: `/contacts/${contactId}`,
    });
  }
}
