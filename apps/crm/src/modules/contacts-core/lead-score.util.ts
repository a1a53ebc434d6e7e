import type { CrmContactScore, CrmScoreReason } from '@keyhouse/contracts';

/** What the score is computed from; all fields come from the contact row. */
export interface ScoreSignals {
  source: string | null;
  preApproved: boolean;
  /** Form submissions, lead events and replies received for the contact. */
  engagementCount: number;
  /** Last inbound activity (intake, form, event), or null. */
  lastActivityAt: Date | null;
  status: string;
}

/** Points at or above which a lead is hot / warm (docs/adr/0009-lead-scoring-and-assignment.md). */
export const SCORE_BANDS = { hot: 60, warm: 30 } as const;

const SOURCE_POINTS: Record<string, number> = {
  referral: 20,
  past_client: 20,
  sphere: 20,
  open_house: 15,
  sign_call: 15,
  zillow: 10,
  realtor_com: 10,
  website: 10,
  idx: 10,
};

/**
 * Explainable lead score: the sum of signal points, banded into hot (≥ 60), warm (≥ 30) or cold.
 * Signals: recency of activity (≤ 3 days 30 points, ≤ 14 days 15), source (referral, past client
 * and sphere 20; open house and sign calls 15; portals and the website 10), pre-approval (25),
 * engagement (5 per submission or event, at most 25). Closed and lost contacts are cold. Each
 * contributing signal is a reason. Pure, so it is unit-tested and the same everywhere.
 */
export function computeLeadScore(
  signals: ScoreSignals,
  now = new Date(),
): { score: CrmContactScore; points: number; reasons: CrmScoreReason[] } {
  const reasons: CrmScoreReason[] = [];
  if (signals.status === 'closed' || signals.status === 'lost') {
    return { score: 'cold', points: 0, reasons: [{ signal: 'status', points: 0, detail: `status is ${signals.status}` }] };
  }
  if (signals.lastActivityAt) {
    const days = (now.getTime() - signals.lastActivityAt.getTime()) / 86_400_000;
    if (days <= 3) reasons.push({ signal: 'recent_activity', points: 30, detail: 'activity within the last 3 days' });
    else if (days <= 14) reasons.push({ signal: 'recent_activity', points: 15, detail: 'activity within the last 14 days' });
  }
  const sourcePoints = signals.source ? (SOURCE_POINTS[signals.source] ?? 0) : 0;
  if (sourcePoints > 0) reasons.push({ signal: 'source', points: sourcePoints, detail: `source ${signals.source}` });
  if (signals.preApproved) reasons.push({ signal: 'pre_approved', points: 25, detail: 'pre-approved for a mortgage' });
  if (signals.engagementCount > 0) {
    const points = Math.min(signals.engagementCount * 5, 25);
    reasons.push({ signal: 'engagement', points, detail: `${signals.engagementCount} form submissions or lead events` });
  }
  const points = reasons.reduce((sum, reason) => sum + reason.points, 0);
  const score: CrmContactScore = points >= SCORE_BANDS.hot ? 'hot' : points >= SCORE_BANDS.warm ? 'warm' : 'cold';
  return { score, points, reasons };
}
