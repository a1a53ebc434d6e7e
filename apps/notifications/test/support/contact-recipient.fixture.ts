import { CrmContactEvent, type CrmContactView, type InvoiceView } from '@keyhouse/contracts';
import { testEvent, waitFor, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import type { NotificationsDatabase } from './notifications-service.fixture';

/** What a test says about a crm contact; the rest of the view gets empty defaults. */
export interface ContactFacts {
  orgId: string;
  ownerId: string | null;
  email?: string | null;
  phone?: string | null;
  /** Consent per channel: true granted, false withdrawn, absent never asked. */
  emailConsent?: boolean;
  smsConsent?: boolean;
  doNotContact?: boolean;
}

/** A `CrmContactView` as crm's `crm.contact.created` carries it. */
export function contactView(facts: ContactFacts, id = newId()): CrmContactView {
  const at = new Date().toISOString();
  const consent: CrmContactView['consent'] = {};
  if (facts.emailConsent !== undefined) consent.email = { granted: facts.emailConsent, source: 'web_form', at };
  if (facts.smsConsent !== undefined) consent.sms = { granted: facts.smsConsent, source: 'web_form', at };
  return {
    id,
    orgId: facts.orgId,
    firstName: 'Ana',
    lastName: 'Contact',
    email: facts.email ?? null,
    phone: facts.phone ?? null,
    emails: facts.email ? [facts.email] : [],
    phones: facts.phone ? [facts.phone] : [],
    type: 'buyer',
    status: 'new',
    score: 'warm',
    scoreReasons: [],
    scoreOverride: null,
    ownerId: facts.ownerId,
    pondId: null,
    source: null,
    referrer: null,
    tags: [],
    preferences: {},
    address: {},
    companyId: null,
    lastContactedAt: null,
    consent,
    doNotContact: facts.doNotContact ?? false,
    customFields: {},
    assignment: { ruleId: null, reason: null, assignedAt: null },
    mergedIntoId: null,
    createdAt: at,
    updatedAt: at,
  };
}

/** Publishes `crm.contact.created` for `facts` and waits for the contact's `contact_recipient` row. Returns the contact id. */
export async function knownContact(svc: TestService, db: NotificationsDatabase, facts: ContactFacts): Promise<string> {
  const view = contactView(facts);
  await svc.publish('crm.events', [testEvent(CrmContactEvent.contactCreated, facts.orgId, { contact: view })]);
  await waitFor(async () => (await db.query('SELECT 1 FROM contact_recipient WHERE contact_id = $1', [view.id])).length === 1);
  return view.id;
}

/** A sent invoice billed to `contactId` ($495.00, one line), as `deals.invoice.sent` carries it. */
export function sentInvoice(contactId: string, email: string | null = null): InvoiceView {
  const at = new Date().toISOString();
  return {
    id: newId(),
    number: `INV-${Math.floor(Math.random() * 100_000)}`,
    transactionId: null,
    agentId: null,
    billTo: { name: 'Ana Contact', email, contactId },
    status: 'sent',
    issueDate: at.slice(0, 10),
    dueDate: '2027-01-31',
    lineItems: [{ description: 'Transaction coordination fee', quantity: 1, unitAmount: 49_500, amount: 49_500 }],
    total: 49_500,
    paid: 0,
    balance: 49_500,
    notes: null,
    payments: [],
    sentAt: at,
    paidAt: null,
    overdueAt: null,
    voidedAt: null,
    createdAt: at,
    updatedAt: at,
  };
}
