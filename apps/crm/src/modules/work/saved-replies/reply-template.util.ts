import { CRM_SAVED_REPLY_PLACEHOLDERS } from '@keyhouse/contracts';

/** `{{ name }}` with a dotted name of letters and digits, optional spaces inside the braces. */
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)\s*\}\}/g;
const KNOWN = new Set<string>(CRM_SAVED_REPLY_PLACEHOLDERS);

/** Distinct placeholder names in `texts`, in order of first use, split into known and unknown. */
export function placeholdersOf(...texts: Array<string | null | undefined>): { known: string[]; unknown: string[] } {
  const seen = new Set<string>();
  for (const text of texts) for (const match of (text ?? '').matchAll(PLACEHOLDER)) seen.add(match[1]);
  const names = [...seen];
  return { known: names.filter((name) => KNOWN.has(name)), unknown: names.filter((name) => !KNOWN.has(name)) };
}

/**
 * Fills the known placeholders of `text` from `values` (a missing value becomes empty text and is
 * reported in `missing`); unknown placeholders stay as written, so a typo shows instead of
 * vanishing. Single pass: a value that itself looks like `{{…}}` is not expanded again.
 */
export function renderTemplate(text: string, values: Record<string, string>): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const rendered = text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!KNOWN.has(name)) return whole;
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return value;
  });
  return { text: rendered, missing: [...missing] };
}
