import type {
  CrmConsent,
  CrmConsentChannel,
  CrmContactPreferences,
  CrmContactScore,
  CrmContactStatus,
  CrmContactType,
  CrmContactView,
  CrmLeadSource,
  CrmReferrer,
  CrmScoreReason,
} from '@keyhouse/contracts';

/** A `contact` row as pg returns it. */
export interface ContactRow {
  id: string;
  org_id: string;
  first_name: string | null;
  last_name: string | null;
  full_name: string;
  emails: string[];
  phones: string[];
  type: CrmContactType | null;
  status: CrmContactStatus;
  score: CrmContactScore;
  score_reasons: CrmScoreReason[];
  score_override: CrmContactScore | null;
  owner_id: string | null;
  client_user_id: string | null;
  pond_id: string | null;
  source: CrmLeadSource | null;
  referrer: CrmReferrer | null;
  /** Names of `tag_ids`, position by position (kept in step on tag rename and delete). */
  tags: string[];
  /** Tag definitions on the contact (docs/adr/0022). */
  tag_ids: string[];
  preferences: CrmContactPreferences;
  street: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  company_id: string | null;
  last_contacted_at: Date | null;
  last_activity_at: Date | null;
  consent: Partial<Record<CrmConsentChannel, CrmConsent>>;
  do_not_contact: boolean;
  custom_fields: Record<string, unknown>;
  assigned_rule_id: string | null;
  assignment_reason: string | null;
  assigned_at: Date | null;
  respond_by: Date | null;
  engagement_count: number;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  merged_into_id: string | null;
  erased_at: Date | null;
}

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

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
    score: row.score_override ?? row.score,
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
