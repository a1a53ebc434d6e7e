import { Injectable } from '@nestjs/common';
import { DealsEvent, ListingsEvent, type CloudEvent, type DealsInvoiceEventData, type SearchMatchedData } from '@keyhouse/contracts';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { TRIGGER_EVENT_MAX_AGE_MS } from '../triggers/notification-triggers.constant';
import { ContactNotificationService } from './contact-notification.service';

/** Consumer group over `deals.events` and `listings.events`, also the inbox's consumer name: never change it. */
export const NOTIFICATIONS_CONTACT_TRIGGERS_GROUP = 'notifications.contact-triggers';

/** Cents as US dollars for the invoice text (`49500` → `$495.00`). */
export function dollars(cents: number): string {
  return `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/**
 * The contact-directed triggers (`CONTACT_TRIGGERS`), group `notifications.contact-triggers` over
 * `deals.events` and `listings.events`; each event handled once with its inbox row, and the
 * notification's unique key (contact, type, event id) makes a redelivery harmless too:
 * - `deals.invoice.sent` with `billTo.contactId` → `invoice_sent` (email, transactional) to the
 *   invoice's billing email, else the contact's primary email;
 * - `listings.search.matched` → `saved_search_match` (email and SMS, marketing) to the contact.
 */
@Injectable()
export class ContactDirectedTriggersConsumer {
  constructor(private readonly notifications: ContactNotificationService) {}

  /** `deals.invoice.sent` → `invoice_sent` to the billed contact (nothing when the invoice names no contact). */
  @OnEvent(DealsEvent.invoiceSent, { group: NOTIFICATIONS_CONTACT_TRIGGERS_GROUP, maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS })
  async onInvoiceSent(event: CloudEvent<DealsInvoiceEventData>, unit: UnitOfWorkContext): Promise<void> {
    const invoice = event.data.invoice;
    const contactId = invoice.billTo?.contactId;
    if (!contactId) return;
    await this.notifications.dispatch(unit, {
      orgId: event.orgid,
      contactId,
      type: 'invoice_sent',
      sourceEventId: event.id,
      values: { number: invoice.number, name: invoice.billTo.name, total: dollars(invoice.total), dueDate: invoice.dueDate },
      data: { invoiceId: invoice.id, contactId, number: invoice.number },
      emailOverride: invoice.billTo.email ?? null,
    });
  }

  /** `listings.search.matched` → `saved_search_match` to the contact of the saved search. */
  @OnEvent(ListingsEvent.searchMatched, { group: NOTIFICATIONS_CONTACT_TRIGGERS_GROUP, maxAgeMs: TRIGGER_EVENT_MAX_AGE_MS })
  async onSearchMatched(event: CloudEvent<SearchMatchedData>, unit: UnitOfWorkContext): Promise<void> {
    const data = event.data;
    await this.notifications.dispatch(unit, {
      orgId: event.orgid,
      contactId: data.contactId,
      type: 'saved_search_match',
      sourceEventId: event.id,
      values: { listingKey: data.listingKey },
      data: { contactId: data.contactId, savedSearchId: data.savedSearchId, propertyId: data.propertyId, listingKey: data.listingKey },
    });
  }
}
