import type { CrmContactInput, FieldError } from '@keyhouse/contracts';
import { computeLeadScore } from './lead-score.util';
import type { ContactRow } from './contact.row';
import { fullName, normalizeEmails, normalizePhones, phoneSuffixes, searchText } from './contact-normalize.util';

/** The writable columns of a contact, as the service holds them between read and write. */
export type ContactState = Pick<
  ContactRow,
  | 'first_name'
  | 'last_name'
  | 'full_name'
  | 'emails'
  | 'phones'
  | 'type'
  | 'status'
  | 'score'
  | 'score_reasons'
  | 'score_override'
  | 'owner_id'
  | 'source'
  | 'referrer'
  | 'tags'
  | 'tag_ids'
  | 'preferences'
  | 'street'
  | 'city'
  | 'state'
  | 'postal_code'
  | 'company_id'
  | 'last_contacted_at'
  | 'last_activity_at'
  | 'consent'
  | 'do_not_contact'
  | 'custom_fields'
  | 'engagement_count'
> & { phone_suffixes: string[]; search_text: string };

const JSON_COLUMNS = new Set(['score_reasons', 'referrer', 'preferences', 'consent', 'custom_fields']);
export const STATE_COLUMNS: Array<keyof ContactState> = [
  'first_name',
  'last_name',
  'full_name',
  'emails',
  'phones',
  'phone_suffixes',
  'search_text',
  'type',
  'status',
  'score',
  'score_reasons',
  'score_override',
  'owner_id',
  'source',
  'referrer',
  'tags',
  'tag_ids',
  'preferences',
  'street',
  'city',
  'state',
  'postal_code',
  'company_id',
  'last_contacted_at',
  'last_activity_at',
  'consent',
  'do_not_contact',
  'custom_fields',
  'engagement_count',
];

export function emptyState(): ContactState {
  return {
    first_name: null,
    last_name: null,
    full_name: '',
    emails: [],
    phones: [],
    phone_suffixes: [],
    search_text: '',
    type: null,
    status: 'new',
    score: 'cold',
    score_reasons: [],
    score_override: null,
    owner_id: null,
    source: null,
    referrer: null,
    tags: [],
    tag_ids: [],
    preferences: {},
    street: null,
    city: null,
    state: null,
    postal_code: null,
    company_id: null,
    last_contacted_at: null,
    last_activity_at: null,
    consent: {},
    do_not_contact: false,
    custom_fields: {},
    engagement_count: 0,
  };
}

export function stateOf(row: ContactRow): ContactState {
  const state = emptyState();
  for (const column of STATE_COLUMNS) (state as Record<string, unknown>)[column] = (row as unknown as Record<string, unknown>)[column];
  state.phone_suffixes = phoneSuffixes(row.phones);
  return state;
}

/** SQL parameter of a column value (jsonb columns as JSON text). */
export function columnParam(column: keyof ContactState, value: unknown): unknown {
  return JSON_COLUMNS.has(column) ? (value === null ? null : JSON.stringify(value)) : value;
}

const trimOrNull = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

/**
 * Applies the fields present in `input` to `state` (absent fields are left alone): `email` /
 * `phone` set the primary (first) entry, `emails` / `phones` replace the lists; `tags` name tag
 * definitions and are resolved by the writer (`ContactTags`), not here; phones are
 * normalised to E.164 (invalid ones become field errors); consent entries get the time of the request when none is given.
 */
export function applyInput(state: ContactState, input: CrmContactInput, errors: FieldError[], phoneRegion: string, now: Date): void {
  if (input.firstName !== undefined) state.first_name = trimOrNull(input.firstName);
  if (input.lastName !== undefined) state.last_name = trimOrNull(input.lastName);
  if (input.emails !== undefined || input.email !== undefined) {
    const list = input.emails !== undefined ? input.emails : state.emails;
    const primary = input.email !== undefined ? input.email : input.emails !== undefined ? undefined : state.emails[0];
    const rest = input.email !== undefined && input.emails === undefined ? list.slice(1) : list;
    state.emails = normalizeEmails(primary === undefined ? rest : [primary, ...rest]);
  }
  if (input.phones !== undefined || input.phone !== undefined) {
    const given: Array<{ value: string | null | undefined; field: string }> = [];
    if (input.phone !== undefined) given.push({ value: input.phone, field: 'phone' });
    if (input.phones !== undefined) input.phones.forEach((value, i) => given.push({ value, field: `phones[${i}]` }));
    else if (input.phone !== undefined) state.phones.slice(1).forEach((value) => given.push({ value, field: 'phones' }));
    const result = normalizePhones(given, phoneRegion);
    errors.push(...result.errors);
    state.phones = result.phones;
  }
  if (input.type !== undefined) state.type = input.type;
  if (input.status !== undefined) state.status = input.status;
  if (input.scoreOverride !== undefined) state.score_override = input.scoreOverride;
  if (input.source !== undefined) state.source = input.source;
  if (input.referrer !== undefined) state.referrer = input.referrer;
  if (input.preferences !== undefined) {
    const prefs = input.preferences;
    if (prefs.minPriceCents != null && prefs.maxPriceCents != null && prefs.minPriceCents > prefs.maxPriceCents) {
      errors.push({ field: 'preferences.maxPriceCents', message: 'must not be below minPriceCents' });
    }
    state.preferences = { ...prefs };
  }
  if (input.address !== undefined) {
    state.street = trimOrNull(input.address.street);
    state.city = trimOrNull(input.address.city);
    state.state = trimOrNull(input.address.state);
    state.postal_code = trimOrNull(input.address.postalCode);
  }
  if (input.companyId !== undefined) state.company_id = input.companyId;
  if (input.lastContactedAt !== undefined) state.last_contacted_at = input.lastContactedAt ? new Date(input.lastContactedAt) : null;
  if (input.consent !== undefined) {
    const consent = { ...state.consent };
    for (const [channel, value] of Object.entries(input.consent)) {
      if (!value) continue;
      consent[channel as keyof typeof consent] = { granted: value.granted, source: value.source, at: value.at ?? now.toISOString() };
    }
    state.consent = consent;
  }
  if (input.doNotContact !== undefined) state.do_not_contact = input.doNotContact;
}

/** Recomputes the derived columns: search name, phone suffixes, search text, computed score and reasons. */
export function derive(state: ContactState, now = new Date()): void {
  state.full_name = fullName(state.first_name, state.last_name);
  state.phone_suffixes = phoneSuffixes(state.phones);
  state.search_text = searchText(state.full_name, state.emails, state.phones);
  const scored = computeLeadScore(
    {
      source: state.source,
      preApproved: state.preferences?.preApproved === true,
      engagementCount: state.engagement_count,
      lastActivityAt: state.last_activity_at,
      status: state.status,
    },
    now,
  );
  state.score = scored.score;
  state.score_reasons = scored.reasons;
}

/**
 * The stated merge rule (docs/adr/0008): the surviving contact keeps every field it has; a field
 * it lacks is taken from the merged one; emails, phones and tags are united (survivor's first);
 * consent per channel takes the more recent decision; do-not-contact holds if either had it;
 * last contacted / last activity take the later time; engagement adds up; custom fields and
 * preferences keep the survivor's keys and gain the others.
 */
export function mergeStates(survivor: ContactState, other: ContactState): ContactState {
  const merged: ContactState = { ...survivor };
  const scalars: Array<keyof ContactState> = [
    'first_name',
    'last_name',
    'type',
    'owner_id',
    'source',
    'referrer',
    'street',
    'city',
    'state',
    'postal_code',
    'company_id',
    'score_override',
  ];
  for (const column of scalars) {
    if (merged[column] === null || merged[column] === undefined) (merged as Record<string, unknown>)[column] = other[column];
  }
  merged.emails = [...new Set([...survivor.emails, ...other.emails])];
  merged.phones = [...new Set([...survivor.phones, ...other.phones])];
  merged.tag_ids = [...survivor.tag_ids];
  merged.tags = [...survivor.tags];
  other.tag_ids.forEach((id, i) => {
    if (merged.tag_ids.includes(id)) return;
    merged.tag_ids.push(id);
    merged.tags.push(other.tags[i]);
  });
  const consent = { ...other.consent };
  for (const [channel, value] of Object.entries(survivor.consent)) {
    const theirs = consent[channel as keyof typeof consent];
    if (!theirs || !value || Date.parse(value.at) >= Date.parse(theirs.at)) consent[channel as keyof typeof consent] = value;
  }
  merged.consent = consent;
  merged.do_not_contact = survivor.do_not_contact || other.do_not_contact;
  merged.last_contacted_at = later(survivor.last_contacted_at, other.last_contacted_at);
  merged.last_activity_at = later(survivor.last_activity_at, other.last_activity_at);
  merged.engagement_count = survivor.engagement_count + other.engagement_count;
  merged.custom_fields = { ...other.custom_fields, ...survivor.custom_fields };
  merged.preferences = { ...other.preferences, ...dropNulls(survivor.preferences) };
  return merged;
}

function later(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

function dropNulls<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}
