import { contactBlockReason, type ContactConsentFacts, type ContactSendFacts } from './contact-consent.util';

const consenting: ContactConsentFacts = { email_consent: true, sms_consent: true, do_not_contact: false, deleted_at: null };
const facts = (change: Partial<ContactSendFacts> = {}, contact: Partial<ContactConsentFacts> = {}): ContactSendFacts => ({
  contact: { ...consenting, ...contact },
  channel: 'sms',
  marketing: true,
  address: '+12065550142',
  suppressed: false,
  optedOut: false,
  ...change,
});

describe('contactBlockReason', () => {
  it('lets a marketing message through with the channel consent granted', () => {
    expect(contactBlockReason(facts())).toBeNull();
    expect(contactBlockReason(facts({ channel: 'email', address: 'ana@example.com' }))).toBeNull();
  });

  it('blocks a marketing message without the channel consent (withdrawn or never asked)', () => {
    expect(contactBlockReason(facts({}, { sms_consent: false }))).toBe('CONSENT_MISSING');
    expect(contactBlockReason(facts({}, { sms_consent: null }))).toBe('CONSENT_MISSING');
    expect(contactBlockReason(facts({ channel: 'email', address: 'ana@example.com' }, { email_consent: null }))).toBe('CONSENT_MISSING');
  });

  it('sends a transactional message without a consent record', () => {
    expect(
      contactBlockReason(facts({ channel: 'email', marketing: false, address: 'ana@example.com' }, { email_consent: null })),
    ).toBeNull();
  });

  it('never sends to a do-not-contact contact, transactional included', () => {
    expect(contactBlockReason(facts({ marketing: false }, { do_not_contact: true }))).toBe('DO_NOT_CONTACT');
    expect(contactBlockReason(facts({}, { do_not_contact: true }))).toBe('DO_NOT_CONTACT');
  });

  it('names the provider-level fact first: suppressed address, opted-out number', () => {
    expect(contactBlockReason(facts({ optedOut: true }, { sms_consent: false, do_not_contact: true }))).toBe('OPTED_OUT');
    expect(
      contactBlockReason(
        facts({ channel: 'email', address: 'ana@example.com', suppressed: true, marketing: false }, { email_consent: false }),
      ),
    ).toBe('SUPPRESSED');
  });

  it('has no address for an unknown, deleted or address-less contact', () => {
    expect(contactBlockReason(facts({ contact: null }))).toBe('NO_ADDRESS');
    expect(contactBlockReason(facts({}, { deleted_at: new Date('2026-01-01T00:00:00Z') }))).toBe('NO_ADDRESS');
    expect(contactBlockReason(facts({ address: null }))).toBe('NO_ADDRESS');
  });
});
