import { MAX_CENTS } from '@keyhouse/util';

/**
 * Commission arithmetic of a closed transaction: pure, integer cents, no I/O (ADR 0013).
 *
 * Order of operations (issue 5, Contract section):
 * 1. Gross commission (GCI of the deal) = `price × grossRateBps / 10 000`, or the plan's `flatFeeCents`.
 * 2. Referral fee off the top = `gross × referralFeeBps / 10 000`; the rest (`net`) is split.
 * 3. `net` is split between brokerage and agent. The agent's split is `agentSplitBps`, or the split
 *    of the highest tier whose `thresholdCents` the agent's year-to-date GCI has reached. GCI for
 *    tiers is counted after referral fees (the amount that is split). A deal that crosses one or more
 *    thresholds is cut into segments at each threshold, each segment split at its own rate.
 * 4. The brokerage share is limited by the annual cap: the brokerage never receives more than
 *    `annualCapCents − ytdBrokerageCents` (not below 0) from splits in the cap year; the excess goes to
 *    the agent. Transaction fees do not count toward the cap and are still charged after it.
 * 5. Per-transaction fees come out of the agent's share and go to the brokerage, shown as `fees`;
 *    they never exceed the agent's share (the agent's share is never negative).
 * 6. The agent's share is divided among the deal's team members by `shareBps` (team split).
 *
 * So `gross = referralFee + brokerage + agent + fees` exactly, and the team amounts sum to `agent`.
 *
 * Rounding rule: every derived amount is computed exactly as a rational number of cents and rounded
 * once, half to even (banker's rounding: 2.5 → 2, 3.5 → 4), and the complementary part takes the
 * remainder: gross (rounded), referral fee (rounded) and net = gross − referral fee; the brokerage
 * share is the exact sum over tier segments of `segment × (10 000 − split) / 10 000`, rounded once,
 * and the agent gets net − brokerage. Team amounts use the largest-remainder method (each member
 * gets the floor of the exact amount, the cents left over go one by one to the members with the
 * largest fractional parts, ties in listing order), so no member is ever negative. All arithmetic
 * is in `bigint`; results must fit in a JavaScript safe integer (otherwise a `RangeError`).
 */

/** A tiered split: once the agent's year-to-date GCI reaches `thresholdCents`, the agent's split is `agentSplitBps`. */
export interface CommissionTier {
  thresholdCents: number;
  agentSplitBps: number;
}

/** The terms of a commission plan the arithmetic needs (rates in basis points: 10 000 = 100 %). */
export interface CommissionPlanTerms {
  /** Gross commission rate of the price, in basis points; exclusive with `flatFeeCents`. */
  grossRateBps?: number | null;
  /** Flat gross commission in cents; exclusive with `grossRateBps`. */
  flatFeeCents?: number | null;
  /** Agent's share of the net commission before any tier, in basis points. */
  agentSplitBps: number;
  /** Fee per transaction taken from the agent's share and paid to the brokerage, in cents. */
  transactionFeeCents: number;
  tiers: CommissionTier[];
  /** Most the brokerage takes from splits in a cap year, in cents; null = no cap. */
  annualCapCents?: number | null;
  /** Referral fee off the top of the gross commission, in basis points. */
  referralFeeBps: number;
}

/** A member of the team on a deal and their share of the agent's amount (shares sum to 10 000). */
export interface TeamShare {
  agentId: string;
  shareBps: number;
}

export interface CommissionInput {
  priceCents: number | bigint;
  plan: CommissionPlanTerms;
  /** Agent's GCI (after referral fees) earlier in the cap year, before this deal. */
  ytdGciCents?: number | bigint;
  /** Brokerage share of the agent's deals earlier in the cap year (counts toward the cap). */
  ytdBrokerageCents?: number | bigint;
  /** The primary agent; the whole agent amount goes to them when `team` is empty. */
  agentId: string;
  team?: TeamShare[];
}

/** One slice of the net commission split at one rate (tier crossing). */
export interface TierSegment {
  /** Year-to-date GCI where this slice starts and ends (cents). */
  fromCents: number;
  toCents: number;
  agentSplitBps: number;
}

/** Statement amounts in cents. `gross = referralFee + brokerage + agent + fees`. */
export interface CommissionBreakdown {
  gross: number;
  referralFee: number;
  brokerage: number;
  agent: number;
  fees: number;
  agentShares: Array<{ agentId: string; shareBps: number; amount: number }>;
  segments: TierSegment[];
  gciYtdBefore: number;
  gciYtdAfter: number;
  cap: {
    capCents: number | null;
    brokerageYtdBefore: number;
    brokerageYtdAfter: number;
    /** What the brokerage may still take this cap year after this deal; null without a cap. */
    remainingCents: number | null;
    reached: boolean;
  };
}

const BPS = 10_000n;

/** `numerator / denominator` rounded half to even; both non-negative, denominator positive. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n) throw new RangeError('divideHalfEven expects numerator ≥ 0 and denominator > 0');
  const quotient = numerator / denominator;
  const twice = (numerator % denominator) * 2n;
  if (twice > denominator) return quotient + 1n;
  if (twice === denominator) return quotient % 2n === 0n ? quotient : quotient + 1n;
  return quotient;
}

function big(value: number | bigint | null | undefined, name: string): bigint {
  const n = typeof value === 'bigint' ? value : BigInt(value ?? 0);
  if (n < 0n) throw new RangeError(`${name} must not be negative`);
  return n;
}

function bps(value: number, name: string): bigint {
  if (!Number.isInteger(value) || value < 0 || value > 10_000) throw new RangeError(`${name} must be an integer from 0 to 10000`);
  return BigInt(value);
}

function safe(value: bigint): number {
  if (value > BigInt(MAX_CENTS)) throw new RangeError('amount exceeds the safe integer range');
  return Number(value);
}

/** Splits `amount` by `shares` (basis points summing to 10 000) with the largest-remainder method. */
export function splitByShares(amount: bigint, shares: number[]): bigint[] {
  const total = shares.reduce((sum, share) => sum + share, 0);
  if (total !== 10_000) throw new RangeError('team shares must sum to 10000 basis points');
  const exact = shares.map((share) => amount * bps(share, 'shareBps'));
  const parts = exact.map((value) => value / BPS);
  let left = amount - parts.reduce((sum, part) => sum + part, 0n);
  const order = exact
    .map((value, index) => ({ index, fraction: value % BPS }))
    .sort((a, b) => (a.fraction === b.fraction ? a.index - b.index : a.fraction > b.fraction ? -1 : 1));
  for (const { index } of order) {
    if (left === 0n) break;
    parts[index] += 1n;
    left -= 1n;
  }
  return parts;
}

/** Computes a commission statement's amounts; see the module comment for the rules. Throws `RangeError` on invalid terms. */
export function calculateCommission(input: CommissionInput): CommissionBreakdown {
  const { plan } = input;
  const price = big(input.priceCents, 'priceCents');
  const ytdGci = big(input.ytdGciCents, 'ytdGciCents');
  const ytdBrokerage = big(input.ytdBrokerageCents, 'ytdBrokerageCents');
  const hasRate = plan.grossRateBps !== null && plan.grossRateBps !== undefined;
  const hasFlat = plan.flatFeeCents !== null && plan.flatFeeCents !== undefined;
  if (hasRate === hasFlat) throw new RangeError('a plan has exactly one of grossRateBps and flatFeeCents');

  // 1. Gross commission.
  const gross = hasRate ? divideHalfEven(price * bps(plan.grossRateBps!, 'grossRateBps'), BPS) : big(plan.flatFeeCents, 'flatFeeCents');
  // 2. Referral fee off the top.
  const referralFee = divideHalfEven(gross * bps(plan.referralFeeBps, 'referralFeeBps'), BPS);
  const net = gross - referralFee;

  // 3. Split by tier segments of year-to-date GCI.
  const tiers = [...plan.tiers]
    .map((tier) => ({ threshold: big(tier.thresholdCents, 'thresholdCents'), split: bps(tier.agentSplitBps, 'agentSplitBps') }))
    .sort((a, b) => (a.threshold < b.threshold ? -1 : a.threshold > b.threshold ? 1 : 0));
  const splitAt = (gci: bigint): bigint => {
    let split = bps(plan.agentSplitBps, 'agentSplitBps');
    for (const tier of tiers) if (gci >= tier.threshold) split = tier.split;
    return split;
  };
  const end = ytdGci + net;
  const cuts = [ytdGci, ...tiers.map((tier) => tier.threshold).filter((t) => t > ytdGci && t < end), end];
  const segments: TierSegment[] = [];
  let brokerageNumerator = 0n;
  for (let i = 0; i + 1 < cuts.length; i += 1) {
    const from = cuts[i];
    const to = cuts[i + 1];
    if (to <= from) continue;
    const split = splitAt(from);
    brokerageNumerator += (to - from) * (BPS - split);
    segments.push({ fromCents: safe(from), toCents: safe(to), agentSplitBps: Number(split) });
  }
  if (segments.length === 0) segments.push({ fromCents: safe(ytdGci), toCents: safe(ytdGci), agentSplitBps: Number(splitAt(ytdGci)) });
  let brokerage = divideHalfEven(brokerageNumerator, BPS);

  // 4. Annual cap on the brokerage share.
  const capCents = plan.annualCapCents === null || plan.annualCapCents === undefined ? null : big(plan.annualCapCents, 'annualCapCents');
  if (capCents !== null) {
    const remaining = capCents > ytdBrokerage ? capCents - ytdBrokerage : 0n;
    if (brokerage > remaining) brokerage = remaining;
  }
  const agentBeforeFees = net - brokerage;

  // 5. Per-transaction fees from the agent's share.
  const fee = big(plan.transactionFeeCents, 'transactionFeeCents');
  const fees = fee < agentBeforeFees ? fee : agentBeforeFees;
  const agent = agentBeforeFees - fees;

  // 6. Team split.
  const team = input.team?.length ? input.team : [{ agentId: input.agentId, shareBps: 10_000 }];
  const amounts = splitByShares(
    agent,
    team.map((member) => member.shareBps),
  );

  const brokerageYtdAfter = ytdBrokerage + brokerage;
  return {
    gross: safe(gross),
    referralFee: safe(referralFee),
    brokerage: safe(brokerage),
    agent: safe(agent),
    fees: safe(fees),
    agentShares: team.map((member, index) => ({ agentId: member.agentId, shareBps: member.shareBps, amount: safe(amounts[index]) })),
    segments,
    gciYtdBefore: safe(ytdGci),
    gciYtdAfter: safe(end),
    cap: {
      capCents: capCents === null ? null : safe(capCents),
      brokerageYtdBefore: safe(ytdBrokerage),
      brokerageYtdAfter: safe(brokerageYtdAfter),
      remainingCents: capCents === null ? null : safe(capCents > brokerageYtdAfter ? capCents - brokerageYtdAfter : 0n),
      reached: capCents !== null && brokerageYtdAfter >= capCents,
    },
  };
}
