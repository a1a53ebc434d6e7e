import type { CrmContactView } from '@keyhouse/contracts';
import { CONTACT_COLUMNS, toContactView, type ContactRow } from './contact.row';

/** Every column set (a column added later is `undefined` here until it is given a value; `changed` still changes it). */
const row = {
  id: '0190a000-0000-7000-8000-000000000001',
  org_id: '0190a000-0000-7000-8000-000000000002',
  first_name: 'Maya',
  last_name: 'Chen',
  full_name: 'maya chen',
  emails: ['maya@example.test'],
  phones: ['+12065550147'],
  phone_suffixes: ['0147'],
  search_text: 'maya chen maya@example.test +12065550147',
  type: 'buyer',
  status: 'new',
  score: 'warm',
  score_reasons: [{ signal: 'source', points: 20, detail: 'referral' }],
  score_override: null, // set, it hides `score` from the view
  owner_id: '0190a000-0000-7000-8000-000000000003',
  client_user_id: '0190a000-0000-7000-8000-000000000004',
  pond_id: '0190a000-0000-7000-8000-000000000005',
  source: 'referral',
  referrer: { type: 'partner', name: 'Lakeside Lending' },
  tags: ['VIP'],
  tag_ids: ['0190a000-0000-7000-8000-000000000006'],
  preferences: { maxPriceCents: 90_000_000 },
  street: '1 Pike St',
  city: 'Seattle',
  state: 'WA',
  postal_code: '98101',
  company_id: '0190a000-0000-7000-8000-000000000007',
  last_contacted_at: new Date('2026-03-01T10:00:00Z'),
  last_activity_at: new Date('2026-03-02T10:00:00Z'),
  consent: { email: { granted: true, source: 'agent', at: '2026-01-01T00:00:00.000Z' } },
  do_not_contact: false,
  custom_fields: { moving_date: '2027-01-01' },
  assigned_rule_id: '0190a000-0000-7000-8000-000000000008',
  assignment_reason: 'Round robin',
  assigned_at: new Date('2026-03-03T10:00:00Z'),
  respond_by: new Date('2026-03-03T11:00:00Z'),
  engagement_count: 2,
  created_by: '0190a000-0000-7000-8000-000000000009',
  created_at: new Date('2026-01-01T10:00:00Z'),
  updated_at: new Date('2026-03-03T10:00:00Z'),
  deleted_at: new Date('2026-03-04T10:00:00Z'),
  merged_into_id: '0190a000-0000-7000-8000-000000000010',
  erased_at: new Date('2026-03-05T10:00:00Z'),
} as ContactRow;

/** Another value of the same kind. */
function changed(value: unknown): unknown {
  if (value instanceof Date) return new Date(value.getTime() + 86_400_000);
  if (Array.isArray(value)) return [...value, typeof value[0] === 'object' ? { signal: 'other', points: 1, detail: 'other' } : 'other'];
  if (typeof value === 'string') return `${value}-other`;
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  if (value && typeof value === 'object') return { ...value, other: true };
  return 'other';
}

describe('CONTACT_COLUMNS', () => {
  const before = toContactView(row);

  it.each(Object.entries(CONTACT_COLUMNS).map(([column, { view }]) => [column, view] as const))(
    'maps %s to the view field it declares (%s), and to no field when it declares none',
    (column, view) => {
      const after = toContactView({ ...row, [column]: changed(row[column as keyof ContactRow]) });
      const moved = (Object.keys(after) as Array<keyof CrmContactView>).filter(
        (key) => JSON.stringify(after[key]) !== JSON.stringify(before[key]),
      );
      if (view === null) expect(moved).toEqual([]);
      else expect(moved).toContain(view);
    },
  );

  it('declares a column for every view field', () => {
    const declared = new Set<string | null>(Object.values(CONTACT_COLUMNS).map(({ view }) => view));
    // email and phone are the first of emails and phones; tagDetails are added by ContactTags.views.
    const derived = new Set(['email', 'phone', 'tagDetails']);
    expect(Object.keys(before).filter((key) => !declared.has(key) && !derived.has(key))).toEqual([]);
  });
});
