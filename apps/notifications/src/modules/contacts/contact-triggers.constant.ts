import { DealsEvent, ListingsEvent } from '@keyhouse/contracts';

/** Notification types sent to crm contacts (not users: no in-app delivery, email and SMS only). */
export type ContactNotificationType = 'invoice_sent' | 'saved_search_match';

/** A channel a contact is reached on. */
export type ContactChannel = 'email' | 'sms';

/**
 * One contact-directed trigger (issue 14 "Notifications to contacts"): the domain event that raises
 * it, the channels in delivery order, whether it is marketing (needs the contact's consent for the
 * channel: CAN-SPAM / TCPA practice, docs/adr/0035 "Contacts") or transactional (sent without a
 * consent record, but never to a do-not-contact contact, a suppressed address or an opted-out
 * number), and its built-in template (`{{name}}` placeholders; the email's subject is the title).
 */
export interface ContactTriggerDefinition {
  type: ContactNotificationType;
  /** Domain event type it reacts to. */
  event: string;
  /** Who receives it, in words. */
  recipients: string;
  channels: readonly ContactChannel[];
  marketing: boolean;
  template: { title: string; body: string };
}

/** The built-in contact triggers, by type. */
export const CONTACT_TRIGGERS: Readonly<Record<ContactNotificationType, ContactTriggerDefinition>> = {
  invoice_sent: {
    type: 'invoice_sent',
    event: DealsEvent.invoiceSent.type,
    recipients: 'the contact the invoice is billed to (billTo.contactId), at the invoice email or else the contact’s primary email',
    channels: ['email'],
    marketing: false,
    template: {
      title: 'Invoice {{number}} from your agent',
      body: 'Hello {{name}}, invoice {{number}} of {{total}} is due {{dueDate}}. You can read and pay it in your client portal.',
    },
  },
  saved_search_match: {
    type: 'saved_search_match',
    event: ListingsEvent.searchMatched.type,
    recipients: 'the contact whose saved search the new or changed listing matches',
    channels: ['email', 'sms'],
    marketing: true,
    template: {
      title: 'A new home matches your search',
      body: 'Listing {{listingKey}} matches one of your saved searches; your agent can show it to you.',
    },
  },
};

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** The title and body of `type`'s template filled with `values` (a missing value renders empty). */
export function renderContactNotification(
  type: ContactNotificationType,
  values: Record<string, string | null | undefined>,
): { title: string; body: string } {
  const template = CONTACT_TRIGGERS[type].template;
  const fill = (text: string) => text.replace(PLACEHOLDER, (_match, key: string) => values[key] ?? '');
  return { title: fill(template.title), body: fill(template.body) };
}

/** True when `type` is a contact notification type. */
export function isContactNotificationType(type: string): type is ContactNotificationType {
  return Object.prototype.hasOwnProperty.call(CONTACT_TRIGGERS, type);
}
