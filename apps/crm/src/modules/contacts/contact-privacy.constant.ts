import type { Selectable, Updateable } from 'kysely';
import type { CrmDb } from '../../database/crm.db';
import type { ContactRow, ContactStateColumn } from '../contacts-core/contact.row';

/**
 * What a column holds, for privacy requests (GDPR art. 15 and 17, CCPA; `ContactPrivacyService`):
 * - `personal`: data about the person; a privacy erasure empties it (a contact column: to its
 *   declared `empty` value, `CONTACT_COLUMNS`; another table's: to its value in `ERASED_VALUES`);
 * - `history`: the brokerage's record of the relationship (status, score, source, owner, times,
 *   counts) — kept, anonymous once the personal columns are gone;
 * - `link`: an id of the person's record in another system (identity's client user, a lead
 *   source's id) — that record is erased by its owner on `crm.contact.erased`; the id stays;
 * - `system`: keys and bookkeeping (the erasure sets `erased_at` and `deleted_at` itself).
 */
export type ColumnPrivacy = 'personal' | 'history' | 'link' | 'system';

/**
 * Every column of `contact`, classified (CONTRIBUTING.md "Adding a field to contacts"). The type
 * lists the generated row's columns: a column added by a migration fails `typecheck` until it is
 * classified here, and only a contact state column (one with a declared `empty` value) can be
 * `personal`. The erasure empties exactly the `personal` columns (`CONTACT_PERSONAL_COLUMNS`), and
 * `contact-erasure-coverage.integration-spec.ts` checks each of them on an erased contact.
 */
export const CONTACT_PRIVACY = {
  id: 'system',
  org_id: 'system',
  first_name: 'personal',
  last_name: 'personal',
  full_name: 'personal',
  emails: 'personal',
  phones: 'personal',
  phone_suffixes: 'personal',
  search_text: 'personal',
  type: 'history',
  status: 'history',
  score: 'history',
  score_reasons: 'personal',
  score_override: 'history',
  owner_id: 'history',
  client_user_id: 'link',
  pond_id: 'history',
  source: 'history',
  referrer: 'personal',
  tags: 'personal',
  tag_ids: 'personal',
  preferences: 'personal',
  street: 'personal',
  city: 'personal',
  state: 'personal',
  postal_code: 'personal',
  company_id: 'history',
  last_contacted_at: 'history',
  last_activity_at: 'history',
  consent: 'personal',
  do_not_contact: 'history',
  custom_fields: 'personal',
  assigned_rule_id: 'history',
  assignment_reason: 'history',
  assigned_at: 'history',
  respond_by: 'history',
  engagement_count: 'history',
  created_by: 'history',
  created_at: 'history',
  updated_at: 'system',
  deleted_at: 'system',
  merged_into_id: 'history',
  erased_at: 'system',
} satisfies { [K in keyof ContactRow]-?: K extends ContactStateColumn ? ColumnPrivacy : Exclude<ColumnPrivacy, 'personal'> };

type PersonalOf<Map> = { [K in keyof Map]: Map[K] extends 'personal' ? K : never }[keyof Map];

/** The contact columns a privacy erasure empties (each to its declared `empty` value). */
export type ContactPersonalColumn = PersonalOf<typeof CONTACT_PRIVACY>;

/** The `personal` columns of `contact`, in declaration order. */
export const CONTACT_PERSONAL_COLUMNS = (Object.keys(CONTACT_PRIVACY) as Array<keyof typeof CONTACT_PRIVACY>).filter(
  (column): column is ContactPersonalColumn => CONTACT_PRIVACY[column] === 'personal',
);

/** The other crm tables that hold a contact's personal data, with the contact in `contact_id`. */
export type ContactDataTable = 'contact_note' | 'form_submission' | 'lead_event' | 'timeline_entry';

/**
 * Every column of the other tables with a contact's personal data, classified like `contact`'s:
 * a new column fails `typecheck` until it is classified, and a `personal` one until it has its
 * erased value in `ERASED_VALUES`.
 */
export const CONTACT_DATA_PRIVACY = {
  contact_note: {
    id: 'system',
    org_id: 'system',
    contact_id: 'system',
    author_id: 'history',
    body: 'personal',
    pinned: 'history',
    created_at: 'history',
    updated_at: 'history',
    deleted_at: 'history',
  },
  form_submission: {
    id: 'system',
    org_id: 'system',
    contact_id: 'system',
    form_type: 'history',
    answers: 'personal',
    utm: 'personal',
    source: 'history',
    consent: 'personal',
    idempotency_key: 'system',
    merged: 'history',
    received_at: 'history',
  },
  lead_event: {
    id: 'system',
    org_id: 'system',
    contact_id: 'system',
    source: 'history',
    external_id: 'link',
    type: 'history',
    payload: 'personal',
    merged: 'history',
    occurred_at: 'history',
    received_at: 'history',
  },
  timeline_entry: {
    id: 'system',
    org_id: 'system',
    contact_id: 'system',
    kind: 'history',
    occurred_at: 'history',
    actor_id: 'history',
    data: 'personal',
  },
} satisfies { [T in ContactDataTable]: { [K in keyof Selectable<CrmDb[T]>]-?: ColumnPrivacy } };

/**
 * What a privacy erasure writes into the `personal` columns of the other tables (jsonb as JSON
 * text): note bodies become `[erased]`, form answers, UTM, consent and lead payloads `{}`, timeline
 * details `{ "erased": true }`. The rows, their kinds and times stay (anonymised history).
 */
export const ERASED_VALUES: {
  [T in ContactDataTable]: Required<Pick<Updateable<CrmDb[T]>, PersonalOf<(typeof CONTACT_DATA_PRIVACY)[T]> & keyof Updateable<CrmDb[T]>>>;
} = {
  contact_note: { body: '[erased]' },
  form_submission: { answers: '{}', utm: '{}', consent: '{}' },
  lead_event: { payload: '{}' },
  timeline_entry: { data: JSON.stringify({ erased: true }) },
};
