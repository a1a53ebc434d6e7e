import { movesForward, statusesBelow } from './delivery-status.util';

describe('delivery statuses only move forward', () => {
  it.each([
    ['queued', 'sent', true],
    ['queued', 'blocked', true],
    ['unknown', 'sent', true],
    ['sent', 'delivered', true],
    ['delivered', 'opened', true],
    ['sent', 'bounced', true],
    ['opened', 'delivered', false],
    ['delivered', 'sent', false],
    ['delivered', 'bounced', false],
    ['failed', 'delivered', false],
    ['sent', 'sent', false],
    ['sent', 'unknown', false],
  ] as const)('%s → %s: %s', (from, to, expected) => {
    expect(movesForward(from, to)).toBe(expected);
  });

  it('lists the statuses a move may start from', () => {
    expect(statusesBelow('sent').sort()).toEqual(['queued', 'unknown']);
    expect(statusesBelow('queued')).toEqual([]);
  });
});
