import type { Selectable } from 'kysely';
import type { CrmContactInput, CrmContactListRequest, CrmContactScore, CrmContactView } from '@keyhouse/contracts';
import type { CrmDb } from '../../database/crm.db';

/** A `contact` row as node-postgres returns it (declared by the migrations: `crm.db.ts`, narrowed by `crm.db-overrides.json`). */
export type ContactRow = Selectable<CrmDb['contact']>;

/** Columns whose value is JSON (jsonb): read as their declared type, written as JSON text. */
type JsonColumnOf<Row> = {
  [K in keyof Row]-?: Row[K] extends string | number | boolean | Date | null | readonly string[] ? never : K;
}[keyof Row];

/** Fields of `T` whose value (without `undefined`) is assignable to `V`. */
type FieldsOf<T, V> = { [F in keyof T]-?: Exclude<T[F], undefined> extends V ? F : never }[keyof T];

/**
 * How a writable column takes its value from the request (`applyInput`): the input field `field`
 * as given (`null` clears it), trimmed text (`as: 'text'`, blank → `null`) or an ISO 8601 time
 * read as a `Date` (`as: 'time'`). Columns without `input` are set by hand (`applyInput`'s rules,
 * the writer, the services) or derived (`derive`).
 */
type ContactInputDeclaration<V> =
  | { field: FieldsOf<CrmContactInput, V>; as?: never }
  | { field: FieldsOf<CrmContactInput, string | null>; as: 'text' }
  | { field: FieldsOf<CrmContactInput, string | null>; as: 'time' };

/**
 * A column of `ContactState` (what the services read, change and write back): its value on a new
 * contact (`empty`; also what a privacy erasure leaves in a personal column), how the request sets
 * it (`input`), and how a merge combines two contacts' values (`merge`: `fill` = the survivor's
 * value, else the other's when the survivor's is null; `rule` = by hand in `mergeStates`; absent =
 * the survivor's). jsonb columns say `json: true` (the type requires it) and are written as JSON text.
 */
type ContactStateDeclaration<K extends keyof ContactRow> = {
  empty: ContactRow[K];
  input?: ContactInputDeclaration<ContactRow[K]>;
  merge?: 'fill' | 'rule';
} & (K extends JsonColumnOf<ContactRow> ? { json: true } : { json?: never });

/**
 * A list filter of `GET /v1/contacts` on the column (`CrmContactListRequest`): `any` — the column
 * is one of the given values; `equals` — the column equals the value; `range` — `from` ≤ column <
 * `to` (ISO 8601 times). Filters that are not one column (score, tags, team, custom fields, `q`)
 * are built by `ContactsService.list` itself.
 */
export type ContactFilterDeclaration<K extends keyof ContactRow> =
  | { any: FieldsOf<CrmContactListRequest, ReadonlyArray<ContactRow[K]>> }
  | { equals: FieldsOf<CrmContactListRequest, ContactRow[K]> }
  | (ContactRow[K] extends Date | null
      ? { from: FieldsOf<CrmContactListRequest, string>; to: FieldsOf<CrmContactListRequest, string> }
      : never);

/**
 * The part one column of `contact` plays: where it shows in the contact view (`view`, `null` =
 * not shown: internal, derived for search, or shown by another answer), whether it is contact
 * state the services write (`state`), and the list filter on it (`filter`).
 */
export type ContactColumnDeclaration<K extends keyof ContactRow> = {
  view: keyof CrmContactView | null;
  state?: ContactStateDeclaration<K>;
  filter?: ContactFilterDeclaration<K>;
};

/**
 * Every column of `contact`, once (docs/adr/0027; CONTRIBUTING.md "Adding a field to contacts").
 * The type lists the generated row's columns: a column added by a migration fails `typecheck` here
 * until it is declared, and a declared column the migrations do not have fails too. `toContactView`
 * (below) maps the view; `contact.row.spec.ts` checks that a column declared in a view field
 * changes that field and a column declared `view: null` changes none. Privacy classification:
 * `CONTACT_PRIVACY` (contacts/contact-privacy.constant.ts).
 */
export const CONTACT_COLUMNS = {
  id: { view: 'id' },
  org_id: { view: 'orgId' },
  first_name: { view: 'firstName', state: { empty: null, input: { field: 'firstName', as: 'text' }, merge: 'fill' } },
  last_name: { view: 'lastName', state: { empty: null, input: { field: 'lastName', as: 'text' }, merge: 'fill' } },
  /** Lower-cased "first last" for the fuzzy name match (`derive`). */
  full_name: { view: null, state: { empty: '' } },
  /** `email` is the first; set from `email`/`emails` by `applyInput`. */
  emails: { view: 'emails', state: { empty: [], merge: 'rule' } },
  /** `phone` is the first; E.164, set from `phone`/`phones` by `applyInput`. */
  phones: { view: 'phones', state: { empty: [], merge: 'rule' } },
  /** Last four digits of each phone, for duplicate detection (`derive`). */
  phone_suffixes: { view: null, state: { empty: [] } },
  /** Text searched by `q` (`derive`). */
  search_text: { view: null, state: { empty: '' } },
  type: { view: 'type', state: { empty: null, input: { field: 'type' }, merge: 'fill' }, filter: { any: 'type' } },
  status: { view: 'status', state: { empty: 'new', input: { field: 'status' } }, filter: { any: 'status' } },
  /** Computed (`derive`); the view shows `score_override` when set. */
  score: { view: 'score', state: { empty: 'cold' } },
  score_reasons: { view: 'scoreReasons', state: { empty: [], json: true } },
  score_override: { view: 'scoreOverride', state: { empty: null, input: { field: 'scoreOverride' }, merge: 'fill' } },
  /** Set by the service through the assignment engine (`ownerId` is not applied by `applyInput`). */
  owner_id: { view: 'ownerId', state: { empty: null, merge: 'fill' }, filter: { equals: 'ownerId' } },
  /** The client user (portal login) this contact is; used for the client's own scope. */
  client_user_id: { view: null },
  pond_id: { view: 'pondId', filter: { equals: 'pondId' } },
  source: { view: 'source', state: { empty: null, input: { field: 'source' }, merge: 'fill' }, filter: { any: 'source' } },
  referrer: { view: 'referrer', state: { empty: null, input: { field: 'referrer' }, merge: 'fill', json: true } },
  /** Names of `tag_ids`, position by position (kept in step on tag rename and delete; docs/adr/0022). */
  tags: { view: 'tags', state: { empty: [], merge: 'rule' } },
  /** Tag definitions on the contact; their details are added by `ContactTags.views` (`tagDetails`). */
  tag_ids: { view: null, state: { empty: [], merge: 'rule' } },
  preferences: { view: 'preferences', state: { empty: {}, merge: 'rule', json: true } },
  street: { view: 'address', state: { empty: null, merge: 'fill' } },
  city: { view: 'address', state: { empty: null, merge: 'fill' } },
  state: { view: 'address', state: { empty: null, merge: 'fill' } },
  postal_code: { view: 'address', state: { empty: null, merge: 'fill' } },
  company_id: { view: 'companyId', state: { empty: null, input: { field: 'companyId' }, merge: 'fill' }, filter: { equals: 'companyId' } },
  last_contacted_at: {
    view: 'lastContactedAt',
    state: { empty: null, input: { field: 'lastContactedAt', as: 'time' }, merge: 'rule' },
    filter: { from: 'lastContactedFrom', to: 'lastContactedTo' },
  },
  /** Latest engagement (intake, activity from other services): the score's recency. */
  last_activity_at: { view: null, state: { empty: null, merge: 'rule' } },
  consent: { view: 'consent', state: { empty: {}, merge: 'rule', json: true } },
  do_not_contact: { view: 'doNotContact', state: { empty: false, input: { field: 'doNotContact' }, merge: 'rule' } },
  custom_fields: { view: 'customFields', state: { empty: {}, merge: 'rule', json: true } },
  assigned_rule_id: { view: 'assignment' },
  assignment_reason: { view: 'assignment' },
  assigned_at: { view: 'assignment' },
  /** Speed-to-lead deadline: shown by `GET /v1/contacts/:id/assignment`. */
  respond_by: { view: null },
  engagement_count: { view: null, state: { empty: 0, merge: 'rule' } },
  created_by: { view: null },
  created_at: { view: 'createdAt', filter: { from: 'createdFrom', to: 'createdTo' } },
  updated_at: { view: 'updatedAt' },
  deleted_at: { view: null },
  merged_into_id: { view: 'mergedIntoId' },
  erased_at: { view: null },
} satisfies { [K in keyof ContactRow]-?: ContactColumnDeclaration<K> };

type Declared = typeof CONTACT_COLUMNS;

/** The columns of `ContactState` (declared with `state`). */
export type ContactStateColumn = { [K in keyof Declared]: Declared[K] extends { state: object } ? K : never }[keyof Declared];

/** The columns with a list filter (declared with `filter`). */
export type ContactFilterColumn = { [K in keyof Declared]: Declared[K] extends { filter: object } ? K : never }[keyof Declared];

/** The `CrmContactListRequest` fields the declared column filters read. */
export type ContactFilterField = {
  [K in ContactFilterColumn]: Declared[K] extends { filter: infer F } ? F[keyof F] : never;
}[ContactFilterColumn];

/** The `CrmContactInput` fields the declared columns take as they are (`input`). */
export type ContactInputField = {
  [K in ContactStateColumn]: Declared[K]['state'] extends { input: { field: infer F } } ? F : never;
}[ContactStateColumn];

const entries = Object.entries(CONTACT_COLUMNS) as Array<[keyof ContactRow, ContactColumnDeclaration<keyof ContactRow>]>;

/** Declarations of the state columns, in declaration order. */
export const CONTACT_STATE_DECLARATIONS = entries.flatMap(([column, declaration]) =>
  declaration.state ? [{ column: column as ContactStateColumn, ...declaration.state }] : [],
);

/** A declared column filter, as `ContactsService.list` applies it (fields of `CrmContactListRequest`). */
export type ContactFilter =
  { any: ContactFilterField } | { equals: ContactFilterField } | { from: ContactFilterField; to: ContactFilterField };

/** Declarations of the filtered columns, in declaration order. */
export const CONTACT_FILTER_DECLARATIONS = entries.flatMap(([column, declaration]) =>
  declaration.filter ? [{ column: column as ContactFilterColumn, filter: declaration.filter as ContactFilter }] : [],
);

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

/**
 * The contact as the API and the events show it (`crm.contact.created` carries it, `crm.contact.updated`
 * its changed fields), without `tagDetails` (added by `ContactTags.views`).
 */
export function toContactView(row: ContactRow): CrmContactView {
  return {
    id: row.id,
    orgId: row.org_id,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.emails[0] ?? null,
    phone: row.phones[0] ?? null,
    emails: row.emails,
    phones: row.phones,
    type: row.type,
    status: row.status,
    score: effectiveScore(row),
    scoreReasons: row.score_override
      ? [{ signal: 'manual_override', points: 0, detail: `set to ${row.score_override} by an agent` }, ...row.score_reasons]
      : row.score_reasons,
    scoreOverride: row.score_override,
    ownerId: row.owner_id,
    pondId: row.pond_id,
    source: row.source,
    referrer: row.referrer,
    tags: row.tags,
    preferences: row.preferences,
    address: { street: row.street, city: row.city, state: row.state, postalCode: row.postal_code },
    companyId: row.company_id,
    lastContactedAt: iso(row.last_contacted_at),
    consent: row.consent,
    doNotContact: row.do_not_contact,
    customFields: row.custom_fields,
    assignment: { ruleId: row.assigned_rule_id, reason: row.assignment_reason, assignedAt: iso(row.assigned_at) },
    mergedIntoId: row.merged_into_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The score a contact shows: the manual override when set, else the computed one. */
export function effectiveScore(row: Pick<ContactRow, 'score' | 'score_override'>): CrmContactScore {
  return row.score_override ?? row.score;
}
