import type { Updateable } from 'kysely';
import type { CrmContactInput, FieldError } from '@keyhouse/contracts';
import type { CrmDb } from '../../database/crm.db';
import { computeLeadScore } from './lead-score.util';
import { CONTACT_STATE_DECLARATIONS, type ContactInputField, type ContactRow, type ContactStateColumn } from './contact.row';
import { fullName, normalizeEmails, normalizePhones, phoneSuffixes, searchText } from './contact-normalize.util';

/** The writable columns of a contact (`CONTACT_COLUMNS` entries with `state`), as the services hold them between read and write. */
export type ContactState = Pick<ContactRow, ContactStateColumn>;

/** The state columns, in declaration order. */
export const STATE_COLUMNS: ContactStateColumn[] = CONTACT_STATE_DECLARATIONS.map((declaration) => declaration.column);

/** jsonb state columns (written as JSON text). */
export const JSON_STATE_COLUMNS: ReadonlySet<ContactStateColumn> = new Set(
  CONTACT_STATE_DECLARATIONS.filter((declaration) => declaration.json).map((declaration) => declaration.column),
);

/**
 * Input fields `applyInput` sets by its own rules (several columns, normalisation, validation) and
 * fields other parts of the writer handle (`ownerId`: the service's assignment; `tags`: `ContactTags`;
 * `customFields`: `CustomFieldsService`). Every other field of `CrmContactInput` must be a column's
 * declared `input` (`CONTACT_COLUMNS`): `everyInputHandled` fails to compile otherwise.
 */
type InputByRule = 'email' | 'emails' | 'phone' | 'phones' | 'preferences' | 'address' | 'consent' | 'ownerId' | 'tags' | 'customFields';
type UnhandledInput = Exclude<keyof CrmContactInput, ContactInputField | InputByRule>;
const everyInputHandled: [UnhandledInput] extends [never] ? true : { unhandledInputFields: UnhandledInput } = true;
void everyInputHandled;

/** A new contact's state: each column's declared `empty` value (fresh copies). */
export function emptyState(): ContactState {
  return Object.fromEntries(CONTACT_STATE_DECLARATIONS.map(({ column, empty }) => [column, structuredClone(empty)])) as ContactState;
}

/** The state held by a row (phone suffixes recomputed from the phones). */
export function stateOf(row: ContactRow): ContactState {
  const state = Object.fromEntries(STATE_COLUMNS.map((column) => [column, row[column]])) as ContactState;
  state.phone_suffixes = phoneSuffixes(row.phones);
  return state;
}

/**
 * The values of `columns` of `state` as a Kysely write takes them (`set(...)`, `values(...)`):
 * jsonb columns as JSON text (`JsonColumn`), the others as they are.
 */
export function stateValues(state: ContactState, columns: readonly ContactStateColumn[] = STATE_COLUMNS): Updateable<CrmDb['contact']> {
  return Object.fromEntries(
    columns.map((column) => [
      column,
      JSON_STATE_COLUMNS.has(column) && state[column] !== null ? JSON.stringify(state[column]) : state[column],
    ]),
  ) as Updateable<CrmDb['contact']>;
}

const trimOrNull = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

/**
 * Applies the fields present in `input` to `state` (absent fields are left alone): the columns'
 * declared `input` fields (`CONTACT_COLUMNS`), then the rules: `email` /
 * `phone` set the primary (first) entry, `emails` / `phones` replace the lists; `tags` name tag
 * definitions and are resolved by the writer (`ContactTags`), not here; phones are
 * normalised to E.164 (invalid ones become field errors); consent entries get the time of the request when none is given.
 */
export function applyInput(state: ContactState, input: CrmContactInput, errors: FieldError[], phoneRegion: string, now: Date): void {
  for (const { column, input: declared } of CONTACT_STATE_DECLARATIONS) {
    const value = declared ? input[declared.field] : undefined;
    if (!declared || value === undefined) continue;
    const text = value as string | null;
    (state as Record<ContactStateColumn, unknown>)[column] =
      declared.as === 'text' ? trimOrNull(text) : declared.as === 'time' ? (text ? new Date(text) : null) : value;
  }
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
  if (input.consent !== undefined) {
    const consent = { ...state.consent };
    for (const [channel, value] of Object.entries(input.consent)) {
      if (!value) continue;
      consent[channel as keyof typeof consent] = { granted: value.granted, source: value.source, at: value.at ?? now.toISOString() };
    }
    state.consent = consent;
  }
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
 * it lacks is taken from the merged one (the columns declared `merge: 'fill'`); emails, phones and tags are united (survivor's first);
 * consent per channel takes the more recent decision; do-not-contact holds if either had it;
 * last contacted / last activity take the later time; engagement adds up; custom fields and
 * preferences keep the survivor's keys and gain the others.
 */
export function mergeStates(survivor: ContactState, other: ContactState): ContactState {
  const merged: ContactState = { ...survivor };
  for (const { column, merge } of CONTACT_STATE_DECLARATIONS) {
    if (merge === 'fill' && (merged[column] === null || merged[column] === undefined)) {
      (merged as Record<ContactStateColumn, unknown>)[column] = other[column];
    }
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
