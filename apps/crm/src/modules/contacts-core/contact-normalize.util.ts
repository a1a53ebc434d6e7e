import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { FieldError } from '@keyhouse/contracts';

/** Lower-cased, trimmed email addresses without repeats, in the order given. */
export function normalizeEmails(emails: Array<string | null | undefined>): string[] {
  const out: string[] = [];
  for (const email of emails) {
    const value = email?.trim().toLowerCase();
    if (value && !out.includes(value)) out.push(value);
  }
  return out;
}

/**
 * Phone numbers in E.164 (`+12065550100`) parsed with libphonenumber-js; a number without a
 * country code is read in `defaultRegion` (CRM_DEFAULT_PHONE_REGION, `US`). Invalid numbers are
 * field errors naming `field` (`phone` or `phones[2]`).
 */
export function normalizePhones(
  phones: Array<{ value: string | null | undefined; field: string }>,
  defaultRegion: string,
): { phones: string[]; errors: FieldError[] } {
  const out: string[] = [];
  const errors: FieldError[] = [];
  for (const { value, field } of phones) {
    const raw = value?.trim();
    if (!raw) continue;
    const parsed = parsePhoneNumberFromString(raw, defaultRegion as CountryCode);
    if (!parsed || !parsed.isValid()) {
      errors.push({ field, message: 'is not a valid phone number', code: 'INVALID_PHONE' });
      continue;
    }
    const e164 = parsed.number;
    if (!out.includes(e164)) out.push(e164);
  }
  return { phones: out, errors };
}

/** Last 4 digits of each phone: the "phone suffix" that strengthens a fuzzy name match. */
export function phoneSuffixes(phones: string[]): string[] {
  return [...new Set(phones.map((phone) => phone.slice(-4)))];
}

/** Lower-cased "first last", what the trigram name match compares. */
export function fullName(firstName: string | null | undefined, lastName: string | null | undefined): string {
  return [firstName, lastName]
    .map((part) => part?.trim() ?? '')
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

/** Text searched by `q`: name, emails and phones (with and without the leading +). */
export function searchText(name: string, emails: string[], phones: string[]): string {
  return [name, ...emails, ...phones, ...phones.map((phone) => phone.replace(/^\+1?/, ''))].join(' ');
}
