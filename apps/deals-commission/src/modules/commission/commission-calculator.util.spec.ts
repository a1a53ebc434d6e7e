import {
  calculateCommission,
  divideHalfEven,
  splitByShares,
  type CommissionInput,
  type CommissionPlanTerms,
} from './commission-calculator.util';

const AGENT = 'agent-a';

function plan(terms: Partial<CommissionPlanTerms>): CommissionPlanTerms {
  return { grossRateBps: 300, agentSplitBps: 7000, transactionFeeCents: 0, tiers: [], annualCapCents: null, referralFeeBps: 0, ...terms };
}

function run(input: Partial<CommissionInput> & { plan: CommissionPlanTerms; priceCents: number }) {
  return calculateCommission({ agentId: AGENT, ...input });
}

describe('divideHalfEven', () => {
  it.each([
    [25n, 10n, 2n], // 2.5 → 2 (even)
    [35n, 10n, 4n], // 3.5 → 4 (even)
    [26n, 10n, 3n], // 2.6 → 3
    [24n, 10n, 2n], // 2.4 → 2
    [0n, 7n, 0n],
    [20n, 10n, 2n],
  ])('%p / %p = %p', (n, d, expected) => {
    expect(divideHalfEven(n, d)).toBe(expected);
  });

  it('refuses a negative numerator or a zero denominator', () => {
    expect(() => divideHalfEven(-1n, 10n)).toThrow(RangeError);
    expect(() => divideHalfEven(1n, 0n)).toThrow(RangeError);
  });
});

describe('splitByShares', () => {
  it('gives the leftover cent to the largest fractional part', () => {
    // 1000 × 33.34 % = 333.4, 1000 × 33.33 % = 333.3 twice: floors 333+333+333 = 999, 1 cent left → first (.4).
    expect(splitByShares(1000n, [3334, 3333, 3333])).toEqual([334n, 333n, 333n]);
  });

  it('breaks equal fractions in listing order', () => {
    // 1001 / 2 = 500.5 each: floors 500 + 500 = 1000, 1 cent left → the first member.
    expect(splitByShares(1001n, [5000, 5000])).toEqual([501n, 500n]);
  });

  it('refuses shares that do not sum to 10000', () => {
    expect(() => splitByShares(100n, [5000, 4000])).toThrow(RangeError);
  });
});

describe('calculateCommission', () => {
  describe('hand-computed cases', () => {
    it('splits 70/30 and takes the transaction fee from the agent', () => {
      // price $500,000 = 50,000,000 ¢ × 3 % = 1,500,000 gross; no referral; net 1,500,000.
      // brokerage 30 % = 450,000; agent before fees 1,050,000; fee 39,500 → agent 1,010,500.
      // 0 + 450,000 + 1,010,500 + 39,500 = 1,500,000.
      const result = run({ priceCents: 50_000_000, plan: plan({ transactionFeeCents: 39_500 }) });
      expect(result).toMatchObject({ gross: 1_500_000, referralFee: 0, brokerage: 450_000, agent: 1_010_500, fees: 39_500 });
      expect(result.agentShares).toEqual([{ agentId: AGENT, shareBps: 10_000, amount: 1_010_500 }]);
    });

    it('takes the referral fee off the top before the split', () => {
      // 40,000,000 ¢ × 2.5 % = 1,000,000 gross; referral 25 % = 250,000; net 750,000.
      // agent split 80 % → brokerage 20 % of 750,000 = 150,000; agent 600,000.
      // 250,000 + 150,000 + 600,000 = 1,000,000.
      const result = run({ priceCents: 40_000_000, plan: plan({ grossRateBps: 250, agentSplitBps: 8000, referralFeeBps: 2500 }) });
      expect(result).toMatchObject({ gross: 1_000_000, referralFee: 250_000, brokerage: 150_000, agent: 600_000, fees: 0 });
    });

    it('splits a deal that crosses a tier threshold mid-deal at both rates', () => {
      // base 70 %, from $100,000 YTD GCI 90 %. YTD 9,500,000; gross 30,000,000 × 3 % = 900,000 = net.
      // GCI 9,500,000 → 10,400,000: 500,000 at 70 % (brokerage 150,000) + 400,000 at 90 % (brokerage 40,000).
      // brokerage 190,000; agent 710,000.
      const result = run({
        priceCents: 30_000_000,
        ytdGciCents: 9_500_000,
        plan: plan({ tiers: [{ thresholdCents: 10_000_000, agentSplitBps: 9000 }] }),
      });
      expect(result).toMatchObject({
        gross: 900_000,
        brokerage: 190_000,
        agent: 710_000,
        gciYtdBefore: 9_500_000,
        gciYtdAfter: 10_400_000,
      });
      expect(result.segments).toEqual([
        { fromCents: 9_500_000, toCents: 10_000_000, agentSplitBps: 7000 },
        { fromCents: 10_000_000, toCents: 10_400_000, agentSplitBps: 9000 },
      ]);
    });

    it('crosses two tiers in one deal (tiers given out of order)', () => {
      // flat 25,000,000 gross from YTD 0: 10,000,000 at 70 % (brokerage 3,000,000), 10,000,000 at 80 % (2,000,000),
      // 5,000,000 at 90 % (500,000) → brokerage 5,500,000; agent 19,500,000.
      const result = run({
        priceCents: 1,
        plan: plan({
          grossRateBps: null,
          flatFeeCents: 25_000_000,
          tiers: [
            { thresholdCents: 20_000_000, agentSplitBps: 9000 },
            { thresholdCents: 10_000_000, agentSplitBps: 8000 },
          ],
        }),
      });
      expect(result).toMatchObject({ gross: 25_000_000, brokerage: 5_500_000, agent: 19_500_000 });
      expect(result.segments.map((segment) => segment.agentSplitBps)).toEqual([7000, 8000, 9000]);
    });

    it('uses the tier already reached when YTD GCI is past the threshold', () => {
      // YTD 12,000,000 ≥ 10,000,000 → 90 %: gross 900,000 → brokerage 90,000; agent 810,000.
      const result = run({
        priceCents: 30_000_000,
        ytdGciCents: 12_000_000,
        plan: plan({ tiers: [{ thresholdCents: 10_000_000, agentSplitBps: 9000 }] }),
      });
      expect(result).toMatchObject({ brokerage: 90_000, agent: 810_000 });
    });

    it('stops the brokerage share at the annual cap reached mid-deal; fees still apply', () => {
      // gross 50,000,000 × 3 % = 1,500,000; brokerage uncapped 30 % = 450,000; cap 2,000,000, YTD 1,900,000
      // → brokerage 100,000; agent before fees 1,400,000; fee 50,000 → agent 1,350,000.
      // 100,000 + 1,350,000 + 50,000 = 1,500,000.
      const result = run({
        priceCents: 50_000_000,
        ytdBrokerageCents: 1_900_000,
        plan: plan({ annualCapCents: 2_000_000, transactionFeeCents: 50_000 }),
      });
      expect(result).toMatchObject({ gross: 1_500_000, brokerage: 100_000, agent: 1_350_000, fees: 50_000 });
      expect(result.cap).toEqual({
        capCents: 2_000_000,
        brokerageYtdBefore: 1_900_000,
        brokerageYtdAfter: 2_000_000,
        remainingCents: 0,
        reached: true,
      });
    });

    it('gives the brokerage nothing from splits once capped', () => {
      // cap 2,000,000 already reached: brokerage 0; agent 1,500,000 − fee 50,000 = 1,450,000.
      const result = run({
        priceCents: 50_000_000,
        ytdBrokerageCents: 2_500_000,
        plan: plan({ annualCapCents: 2_000_000, transactionFeeCents: 50_000 }),
      });
      expect(result).toMatchObject({ brokerage: 0, agent: 1_450_000, fees: 50_000 });
    });

    it('reports the cap not reached and what remains', () => {
      // brokerage 450,000; YTD 0 → after 450,000; remaining 2,000,000 − 450,000 = 1,550,000.
      const result = run({ priceCents: 50_000_000, plan: plan({ annualCapCents: 2_000_000 }) });
      expect(result.cap).toEqual({
        capCents: 2_000_000,
        brokerageYtdBefore: 0,
        brokerageYtdAfter: 450_000,
        remainingCents: 1_550_000,
        reached: false,
      });
    });

    it('rounds the gross half to even', () => {
      // 10,002 × 25 % = 2,500.5 → 2,500 (even); 10,006 × 25 % = 2,501.5 → 2,502 (even).
      expect(run({ priceCents: 10_002, plan: plan({ grossRateBps: 2500 }) }).gross).toBe(2_500);
      expect(run({ priceCents: 10_006, plan: plan({ grossRateBps: 2500 }) }).gross).toBe(2_502);
    });

    it('rounds the brokerage half to even and gives the agent the remainder', () => {
      // flat 1,001, split 50 %: brokerage 500.5 → 500, agent 501. flat 1,003: 501.5 → 502, agent 501.
      expect(run({ priceCents: 0, plan: plan({ grossRateBps: null, flatFeeCents: 1_001, agentSplitBps: 5000 }) })).toMatchObject({
        brokerage: 500,
        agent: 501,
      });
      expect(run({ priceCents: 0, plan: plan({ grossRateBps: null, flatFeeCents: 1_003, agentSplitBps: 5000 }) })).toMatchObject({
        brokerage: 502,
        agent: 501,
      });
    });

    it('rounds the referral fee and the brokerage separately', () => {
      // flat 1,001; referral 25 % = 250.25 → 250; net 751; agent 60 % → brokerage 40 % = 300.4 → 300; agent 451.
      // 250 + 300 + 451 = 1,001.
      const result = run({
        priceCents: 0,
        plan: plan({ grossRateBps: null, flatFeeCents: 1_001, agentSplitBps: 6000, referralFeeBps: 2500 }),
      });
      expect(result).toMatchObject({ gross: 1_001, referralFee: 250, brokerage: 300, agent: 451, fees: 0 });
    });

    it('never charges a fee above the agent’s share', () => {
      // flat 10,000, agent 10 % → brokerage 9,000, agent 1,000; fee 1,500 → fees 1,000, agent 0.
      const result = run({
        priceCents: 0,
        plan: plan({ grossRateBps: null, flatFeeCents: 10_000, agentSplitBps: 1000, transactionFeeCents: 1_500 }),
      });
      expect(result).toMatchObject({ brokerage: 9_000, agent: 0, fees: 1_000 });
    });

    it('divides the agent share among the team (largest remainder)', () => {
      // flat 2,000, 50 % → brokerage 1,000, agent 1,000; team 33.34 / 33.33 / 33.33 % → 334 / 333 / 333.
      const result = run({
        priceCents: 0,
        plan: plan({ grossRateBps: null, flatFeeCents: 2_000, agentSplitBps: 5000 }),
        team: [
          { agentId: 'a', shareBps: 3334 },
          { agentId: 'b', shareBps: 3333 },
          { agentId: 'c', shareBps: 3333 },
        ],
      });
      expect(result.agent).toBe(1_000);
      expect(result.agentShares.map((share) => share.amount)).toEqual([334, 333, 333]);
    });

    it('handles very large prices in integer arithmetic', () => {
      // 5,000,000,000,000 ¢ × 2.5 % = 125,000,000,000; 70/30 → brokerage 37,500,000,000, agent 87,500,000,000.
      const result = run({ priceCents: 5_000_000_000_000, plan: plan({ grossRateBps: 250 }) });
      expect(result).toMatchObject({ gross: 125_000_000_000, brokerage: 37_500_000_000, agent: 87_500_000_000 });
    });

    it('refuses a plan with both or neither of a rate and a flat fee, and out-of-range basis points', () => {
      expect(() => run({ priceCents: 1, plan: plan({ flatFeeCents: 100 }) })).toThrow(RangeError);
      expect(() => run({ priceCents: 1, plan: plan({ grossRateBps: null }) })).toThrow(RangeError);
      expect(() => run({ priceCents: 1, plan: plan({ agentSplitBps: 10_001 }) })).toThrow(RangeError);
      expect(() => run({ priceCents: -1, plan: plan({}) })).toThrow(RangeError);
    });
  });

  describe('invariants over random inputs', () => {
    // A small deterministic PRNG (mulberry32) so failures reproduce.
    function prng(seed: number) {
      let a = seed;
      return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    it('parts always sum to the gross, team amounts to the agent share, nothing negative, cap respected', () => {
      const random = prng(20261121);
      const int = (max: number) => Math.floor(random() * (max + 1));
      for (let i = 0; i < 2000; i += 1) {
        const flat = random() < 0.2;
        const cap = random() < 0.5 ? int(5_000_000) : null;
        const ytdBrokerage = int(6_000_000);
        const teamSize = 1 + int(3);
        const shares = Array.from({ length: teamSize }, () => 1 + int(100));
        const total = shares.reduce((sum, share) => sum + share, 0);
        const bpsShares = shares.map((share) => Math.floor((share * 10_000) / total));
        bpsShares[0] += 10_000 - bpsShares.reduce((sum, share) => sum + share, 0);
        const terms = plan({
          grossRateBps: flat ? null : int(1000),
          flatFeeCents: flat ? int(10_000_000) : null,
          agentSplitBps: int(10_000),
          transactionFeeCents: int(100_000),
          referralFeeBps: random() < 0.3 ? int(5000) : 0,
          annualCapCents: cap,
          tiers: Array.from({ length: int(3) }, () => ({ thresholdCents: int(20_000_000), agentSplitBps: int(10_000) })),
        });
        const result = calculateCommission({
          agentId: AGENT,
          priceCents: int(500_000_000),
          plan: terms,
          ytdGciCents: int(20_000_000),
          ytdBrokerageCents: ytdBrokerage,
          team: bpsShares.map((shareBps, index) => ({ agentId: `m${index}`, shareBps })),
        });
        expect(result.referralFee + result.brokerage + result.agent + result.fees).toBe(result.gross);
        expect(result.agentShares.reduce((sum, share) => sum + share.amount, 0)).toBe(result.agent);
        for (const value of [result.referralFee, result.brokerage, result.agent, result.fees, ...result.agentShares.map((s) => s.amount)]) {
          expect(value).toBeGreaterThanOrEqual(0);
        }
        if (cap !== null) expect(result.brokerage).toBeLessThanOrEqual(Math.max(0, cap - ytdBrokerage));
        expect(result.fees).toBeLessThanOrEqual(terms.transactionFeeCents);
      }
    });

    it('gives the same result when computed again (deterministic)', () => {
      const input: CommissionInput = {
        agentId: AGENT,
        priceCents: 123_456_789,
        ytdGciCents: 9_876_543,
        ytdBrokerageCents: 1_234_567,
        plan: plan({
          grossRateBps: 275,
          referralFeeBps: 1500,
          annualCapCents: 2_000_000,
          transactionFeeCents: 49_500,
          tiers: [{ thresholdCents: 10_000_000, agentSplitBps: 8500 }],
        }),
      };
      expect(calculateCommission(input)).toEqual(calculateCommission(input));
    });
  });
});
