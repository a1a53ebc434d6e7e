/**
 * Bounds of money amounts. Every amount is a whole number of cents (USD) in a JSON number; the
 * bounds are inclusive and the lower bound is 0 unless a field says otherwise.
 */

/**
 * Upper bound, in cents, of a money amount the API accepts: 2^53 − 1 = 9,007,199,254,740,991 ¢
 * (about USD 90 trillion), the largest integer a JSON number carries exactly into JavaScript.
 * It applies to every amount that has no narrower rule below: deal prices and price filters,
 * offers and earnest money, commission plan fees, tiers and caps, what-if prices, invoice line
 * unit amounts and payments. Sums and products of amounts are refused past the same bound by the
 * code that computes them (docs/adr/0013-commission-arithmetic-and-rounding.md, invoice totals).
 */
export const MAX_CENTS = Number.MAX_SAFE_INTEGER;

/**
 * Upper bound, in cents, of a property price: 10^12 ¢ = USD 10,000,000,000, narrower than
 * {@link MAX_CENTS}. It applies to a listing's ListPrice and ClosePrice (the listings service
 * refuses a stored price above it, whatever its origin: API, MLS pull or import) and to the
 * prices a contact looks for (preferences, lead intake), which are compared with listing prices.
 */
export const MAX_PRICE_CENTS = 1_000_000_000_000;
