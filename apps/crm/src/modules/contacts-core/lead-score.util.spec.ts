import { computeLeadScore } from './lead-score.util';

const NOW = new Date('2026-11-21T12:00:00Z');
const base = { source: null, preApproved: false, engagementCount: 0, lastActivityAt: null, status: 'new' };

describe('computeLeadScore', () => {
  it('is cold with no reasons when nothing is known', () => {
    expect(computeLeadScore(base, NOW)).toEqual({ score: 'cold', points: 0, reasons: [] });
  });

  it('is hot for a pre-approved referral active today', () => {
    const result = computeLeadScore(
      { ...base, source: 'referral', preApproved: true, lastActivityAt: new Date('2026-11-21T08:00:00Z') },
      NOW,
    );
    expect(result.score).toBe('hot');
    expect(result.points).toBe(75);
    expect(result.reasons.map((reason) => reason.signal)).toEqual(['recent_activity', 'source', 'pre_approved']);
  });

  it('is warm for a website lead active 10 days ago with two submissions', () => {
    const result = computeLeadScore(
      { ...base, source: 'website', engagementCount: 2, lastActivityAt: new Date('2026-11-11T12:00:00Z') },
      NOW,
    );
    expect(result).toMatchObject({ score: 'warm', points: 35 });
  });

  it('caps engagement at 25 points', () => {
    expect(computeLeadScore({ ...base, engagementCount: 40 }, NOW).points).toBe(25);
  });

  it('is cold once the contact is lost, whatever the signals', () => {
    expect(computeLeadScore({ ...base, source: 'referral', preApproved: true, status: 'lost' }, NOW).score).toBe('cold');
  });
});
