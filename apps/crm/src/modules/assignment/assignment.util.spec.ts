import { matchesConditions, pickLoadBalanced, pickRoundRobin, withinWorkingHours, type RoutableContact } from './assignment.util';

describe('withinWorkingHours', () => {
  const hours = { timezone: 'America/Los_Angeles', days: { '1': [{ start: '09:00', end: '17:59' }] } };

  it('reads the time in the agent’s zone (Monday 09:30 in Seattle is 17:30 UTC)', () => {
    expect(withinWorkingHours(hours, new Date('2026-11-23T17:30:00Z'))).toBe(true);
  });

  it('is false outside the hours and on days without hours', () => {
    expect(withinWorkingHours(hours, new Date('2026-11-23T16:30:00Z'))).toBe(false); // 08:30 local
    expect(withinWorkingHours(hours, new Date('2026-11-24T17:30:00Z'))).toBe(false); // Tuesday
  });

  it('includes the last minute and treats no hours as always available', () => {
    expect(withinWorkingHours(hours, new Date('2026-11-24T01:59:59Z'))).toBe(true); // Monday 17:59:59 local
    expect(withinWorkingHours(null)).toBe(true);
  });
});

describe('matchesConditions', () => {
  const contact: RoutableContact = {
    source: 'zillow',
    postalCode: '98103',
    city: 'Seattle',
    type: 'buyer',
    preferredPostalCodes: ['98105'],
    preferredAreas: [],
    priceCents: 75_000_000,
  };

  it('holds when every given condition holds', () => {
    expect(
      matchesConditions(
        { sources: ['zillow'], postalCodes: ['98105'], cities: ['seattle'], types: ['buyer'], minPrice: 50_000_000, maxPrice: 90_000_000 },
        contact,
      ),
    ).toBe(true);
    expect(matchesConditions({}, contact)).toBe(true);
  });

  it('fails on any one condition', () => {
    expect(matchesConditions({ sources: ['referral'] }, contact)).toBe(false);
    expect(matchesConditions({ postalCodes: ['98004'] }, contact)).toBe(false);
    expect(matchesConditions({ types: ['seller'] }, contact)).toBe(false);
    expect(matchesConditions({ maxPrice: 70_000_000 }, contact)).toBe(false);
    expect(matchesConditions({ minPrice: 1 }, { ...contact, priceCents: null })).toBe(false);
  });
});

describe('pickRoundRobin', () => {
  it('goes around in order and skips the ineligible', () => {
    const ids = ['a', 'b', 'c'];
    expect(pickRoundRobin(ids, 4, () => true)).toEqual({ agentId: 'b', next: 5, index: 1 });
    expect(pickRoundRobin(ids, 4, (id) => id !== 'b')).toEqual({ agentId: 'c', next: 6, index: 2 });
    expect(pickRoundRobin(ids, 0, () => false)).toBeNull();
  });
});

describe('pickLoadBalanced', () => {
  it('takes the fewest active leads under capacity, then the longest waiting', () => {
    const picked = pickLoadBalanced([
      { agentId: 'full', activeLeads: 2, capacity: 2, lastAssignedAt: null },
      { agentId: 'busy', activeLeads: 1, capacity: 5, lastAssignedAt: new Date('2026-01-02') },
      { agentId: 'idle', activeLeads: 1, capacity: 5, lastAssignedAt: new Date('2026-01-01') },
    ]);
    expect(picked?.agentId).toBe('idle');
    expect(pickLoadBalanced([{ agentId: 'full', activeLeads: 3, capacity: 3, lastAssignedAt: null }])).toBeNull();
  });
});
