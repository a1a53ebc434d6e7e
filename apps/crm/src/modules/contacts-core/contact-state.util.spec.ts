import { applyInput, derive, emptyState, mergeStates } from './contact-state.util';

describe('mergeStates (the merge rule of ADR 0008)', () => {
  const survivor = () => ({
    ...emptyState(),
    first_name: 'Sara',
    last_name: 'Kim',
    emails: ['sara@example.test'],
    phones: [],
    tags: ['buyer'],
    tag_ids: ['t-buyer'],
    source: 'referral' as const,
    consent: { email: { granted: true, source: 'agent', at: '2026-01-01T00:00:00.000Z' } },
    custom_fields: { financing: 'cash' },
    preferences: { maxPriceCents: 90_000_000, minBeds: null },
    engagement_count: 2,
    last_activity_at: new Date('2026-03-01T00:00:00Z'),
  });
  const other = () => ({
    ...emptyState(),
    first_name: 'Sarah',
    last_name: 'Kimura',
    emails: ['sara.k@example.test', 'sara@example.test'],
    phones: ['+12065550100'],
    tags: ['investor', 'buyer'],
    tag_ids: ['t-investor', 't-buyer'],
    source: 'zillow' as const,
    postal_code: '98103',
    consent: {
      email: { granted: false, source: 'web_form', at: '2026-02-01T00:00:00.000Z' },
      sms: { granted: true, source: 'web_form', at: '2026-02-01T00:00:00.000Z' },
    },
    custom_fields: { financing: 'loan', moving_date: '2027-01-01' },
    preferences: { maxPriceCents: 50_000_000, minBeds: 3 },
    do_not_contact: true,
    engagement_count: 3,
    last_activity_at: new Date('2026-04-01T00:00:00Z'),
  });

  it('keeps the survivor’s fields and fills the blanks from the other', () => {
    const merged = mergeStates(survivor(), other());
    expect(merged).toMatchObject({ first_name: 'Sara', last_name: 'Kim', source: 'referral', postal_code: '98103' });
  });

  it('unites emails, phones and tags with the survivor’s first', () => {
    const merged = mergeStates(survivor(), other());
    expect(merged.emails).toEqual(['sara@example.test', 'sara.k@example.test']);
    expect(merged.phones).toEqual(['+12065550100']);
    expect(merged.tag_ids).toEqual(['t-buyer', 't-investor']);
    expect(merged.tags).toEqual(['buyer', 'investor']);
  });

  it('takes the more recent consent per channel, keeps do-not-contact, adds engagement, takes the later activity', () => {
    const merged = mergeStates(survivor(), other());
    expect(merged.consent.email).toMatchObject({ granted: false, source: 'web_form' });
    expect(merged.consent.sms).toMatchObject({ granted: true });
    expect(merged.do_not_contact).toBe(true);
    expect(merged.engagement_count).toBe(5);
    expect(merged.last_activity_at).toEqual(new Date('2026-04-01T00:00:00Z'));
  });

  it('keeps the survivor’s custom fields and preferences, gaining the other’s keys', () => {
    const merged = mergeStates(survivor(), other());
    expect(merged.custom_fields).toEqual({ financing: 'cash', moving_date: '2027-01-01' });
    expect(merged.preferences).toEqual({ maxPriceCents: 90_000_000, minBeds: 3 });
  });
});

describe('applyInput', () => {
  it('sets the primary email and phone in front, normalises phones, leaves tags to the tag resolver, stamps consent', () => {
    const state = { ...emptyState(), emails: ['old@example.test', 'second@example.test'], phones: ['+12065550100'] };
    const errors: Parameters<typeof applyInput>[2] = [];
    applyInput(
      state,
      {
        email: 'New@Example.test',
        phone: '425 555 0199',
        tags: [' VIP', 'vip', 'Relocation'],
        consent: { sms: { granted: true, source: 'phone' } },
      },
      errors,
      'US',
      new Date('2026-05-01T00:00:00Z'),
    );
    expect(errors).toEqual([]);
    expect(state.emails).toEqual(['new@example.test', 'second@example.test']);
    expect(state.phones).toEqual(['+14255550199']);
    expect(state.tags).toEqual([]);
    expect(state.consent.sms).toEqual({ granted: true, source: 'phone', at: '2026-05-01T00:00:00.000Z' });
  });

  it('refuses a price range whose maximum is below its minimum', () => {
    const errors: Parameters<typeof applyInput>[2] = [];
    applyInput(emptyState(), { preferences: { minPriceCents: 2, maxPriceCents: 1 } }, errors, 'US', new Date());
    expect(errors.map((e) => e.field)).toEqual(['preferences.maxPriceCents']);
  });

  it('derive fills the search name, suffixes and score', () => {
    const state = { ...emptyState(), first_name: 'Ana', last_name: 'Lopez', phones: ['+12065550147'], source: 'referral' as const };
    derive(state, new Date());
    expect(state).toMatchObject({ full_name: 'ana lopez', phone_suffixes: ['0147'], score: 'cold' });
    expect(state.search_text).toContain('2065550147');
  });
});
