/**
 * `value` as an E.164 number (`+` then 7 to 15 digits; spaces, dots, dashes and parentheses
 * removed), or null when it is not one: identity does not enforce E.164 and Twilio refuses anything
 * else (error 21211), so a number that cannot be texted is not kept.
 */
export function e164OrNull(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const compact = value.replace(/[\s().-]/g, '');
  return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : null;
}
