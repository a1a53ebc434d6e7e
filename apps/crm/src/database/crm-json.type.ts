/**
 * Shapes the Postgres catalogue cannot tell kysely-codegen about the contact tables (contacts,
 * custom fields, timeline, intake), declared once for `crm.db.ts` (`crm.db-overrides.json`) and for
 * the code that builds the values (docs/adr/0027). Wire types come from the contracts; the work
 * tools' shapes live in `crm-work-json.type.ts`.
 *
 * - `contact.type`, `.status`, `.score`, `.score_override` (CHECK): `CrmContactType`,
 *   `CrmContactStatus`, `CrmContactScore`. (`contact.source` is plain text: a key of the
 *   organization's lead sources, validated on write by `LeadSourceCatalog`; docs/adr/0032.)
 * - `contact.score_reasons`, `.referrer`, `.preferences`, `.consent`, `.custom_fields` (jsonb):
 *   `CrmScoreReason[]`, `CrmReferrer`, `CrmContactPreferences`, `ContactConsent`, `ContactCustomFields`.
 * - `custom_field_definition.type` (CHECK): `CrmCustomFieldType`.
 * - `timeline_entry.data` (jsonb): `TimelineEntryData`.
 * - `form_submission.answers`, `.utm`, `.consent` and `lead_event.payload` (jsonb, emptied by a
 *   privacy erasure): `IntakeDocument`.
 */
import type { CrmConsent, CrmConsentChannel } from '@keyhouse/contracts';

export type {
  CrmContactPreferences,
  CrmContactScore,
  CrmContactStatus,
  CrmContactType,
  CrmCustomFieldType,
  CrmReferrer,
  CrmScoreReason,
} from '@keyhouse/contracts';

/** `contact.consent`: the latest decision per channel (`{}` when none was ever given). */
export type ContactConsent = Partial<Record<CrmConsentChannel, CrmConsent>>;

/** `contact.custom_fields`: values by custom field key, validated against `custom_field_definition` on write. */
export type ContactCustomFields = Record<string, unknown>;

/** `timeline_entry.data`: kind-specific details of a timeline entry (`{ erased: true }` after a privacy erasure). */
export type TimelineEntryData = Record<string, unknown>;

/**
 * `form_submission.answers` / `.utm` / `.consent` and `lead_event.payload`: what a form or a lead
 * source sent, as received (`{}` after a privacy erasure).
 */
export type IntakeDocument = Record<string, unknown>;
