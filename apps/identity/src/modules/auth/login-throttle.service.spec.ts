import { accountDelaySeconds, throttleOf, type LoginThrottleLimits } from './login-throttle.service';

const limits: LoginThrottleLimits = { ipFailures: 5, lockoutWindowMinutes: 15, accountFailures: 10, delaySeconds: 30 };
const NOW = Date.parse('2026-03-01T12:00:00Z');
const secondsAgo = (seconds: number) => new Date(NOW - seconds * 1000);

describe('LoginThrottleService', () => {
  describe('accountDelaySeconds', () => {
    it('adds no delay below the account threshold', () => {
      expect([0, 1, 9].map((failures) => accountDelaySeconds(failures, limits))).toEqual([0, 0, 0]);
    });

    it('doubles the delay with each further failure, up to the lockout window', () => {
      expect([10, 11, 12, 13, 14, 15, 16, 40, 10_000].map((failures) => accountDelaySeconds(failures, limits))).toEqual([
        30, 60, 120, 240, 480, 900, 900, 900, 900,
      ]);
    });
  });

  describe('throttleOf', () => {
    it('lets an attempt through below both limits', () => {
      expect(throttleOf({ ipFailures: 4, ipOldest: secondsAgo(60), accountFailures: 9, latest: secondsAgo(1) }, limits, NOW)).toEqual({
        locked: false,
        retryAfterSeconds: 0,
        limit: null,
      });
    });

    it('locks out the IP until its oldest failure leaves the window', () => {
      expect(throttleOf({ ipFailures: 5, ipOldest: secondsAgo(300), accountFailures: 5, latest: secondsAgo(1) }, limits, NOW)).toEqual({
        locked: true,
        retryAfterSeconds: 600,
        limit: 'ip',
      });
    });

    it('makes every IP wait the account delay after the latest failure, and not after it has run', () => {
      const counts = { ipFailures: 0, ipOldest: null, accountFailures: 11, latest: secondsAgo(20) };
      expect(throttleOf(counts, limits, NOW)).toEqual({ locked: true, retryAfterSeconds: 40, limit: 'account' });
      expect(throttleOf({ ...counts, latest: secondsAgo(61) }, limits, NOW).locked).toBe(false);
    });

    it('answers the longer wait when both limits hold', () => {
      const counts = { ipFailures: 6, ipOldest: secondsAgo(890), accountFailures: 15, latest: secondsAgo(100) };
      expect(throttleOf(counts, limits, NOW)).toEqual({ locked: true, retryAfterSeconds: 800, limit: 'account' });
    });
  });
});
