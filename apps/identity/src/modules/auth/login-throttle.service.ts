import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { sha256Hex } from '@keyhouse/util';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import type { IdentityDb } from '../../database/identity.db';
import { MFA_TOKEN_MAX_FAILURES } from './one-time-token.service';

/** Failed logins for one address from any IP count towards the account delay for this long. */
export const ACCOUNT_FAILURE_WINDOW_MINUTES = 60;

/** The limits `throttleOf` applies (from `IdentityConfig`). */
export interface LoginThrottleLimits {
  /** Failures for the address from one IP (since that IP's last success) that lock the IP out for `lockoutWindowMinutes`. */
  ipFailures: number;
  lockoutWindowMinutes: number;
  /** Failures for the address from any IP within the hour after which each attempt waits a delay. */
  accountFailures: number;
  /** The first delay in seconds; it doubles with each further failure, up to the lockout window. */
  delaySeconds: number;
}

/** What the login attempts of one address say about a new attempt from one IP. */
export interface LoginFailureCounts {
  /** Failures from this IP within the lockout window and after this IP's last successful login. */
  ipFailures: number;
  /** The oldest of those failures. */
  ipOldest: Date | null;
  /** Failures from any IP within `ACCOUNT_FAILURE_WINDOW_MINUTES`. */
  accountFailures: number;
  /** The latest of those failures. */
  latest: Date | null;
}

/** Whether a login attempt is refused now, for how many more seconds, and by which limit. */
export interface LoginThrottle {
  locked: boolean;
  /** Seconds until the attempt may be made (0 when not locked). */
  retryAfterSeconds: number;
  /** `ip`: this IP's failures for the address; `account`: the growing delay after failures from any IP. */
  limit: 'ip' | 'account' | null;
}

/**
 * The delay in seconds after the latest failure before the address may be tried again, given
 * `failures` from any IP in the last hour: none below `accountFailures`, then `delaySeconds`,
 * doubled per further failure (30 s, 60 s, 120 s, ...), at most the lockout window.
 */
export function accountDelaySeconds(failures: number, limits: LoginThrottleLimits): number {
  if (failures < limits.accountFailures) return 0;
  const cap = limits.lockoutWindowMinutes * 60;
  const doublings = failures - limits.accountFailures;
  // 2^31 s is far past any cap: stop doubling there rather than overflow to Infinity.
  return doublings >= 31 ? cap : Math.min(cap, limits.delaySeconds * 2 ** doublings);
}

/**
 * The throttle of an attempt at `now` (epoch ms) from the failure counts: locked while this IP
 * has `ipFailures` failures in the window (until the oldest leaves it), or while the account
 * delay after the latest failure runs; the longer wait wins.
 */
export function throttleOf(counts: LoginFailureCounts, limits: LoginThrottleLimits, now: number): LoginThrottle {
  const ipWait =
    counts.ipFailures >= limits.ipFailures && counts.ipOldest
      ? Math.ceil((counts.ipOldest.getTime() + limits.lockoutWindowMinutes * 60_000 - now) / 1000)
      : 0;
  const delay = accountDelaySeconds(counts.accountFailures, limits);
  const accountWait = delay > 0 && counts.latest ? Math.ceil((counts.latest.getTime() + delay * 1000 - now) / 1000) : 0;
  if (ipWait <= 0 && accountWait <= 0) return { locked: false, retryAfterSeconds: 0, limit: null };
  return ipWait >= accountWait
    ? { locked: true, retryAfterSeconds: Math.max(1, ipWait), limit: 'ip' }
    : { locked: true, retryAfterSeconds: Math.max(1, accountWait), limit: 'account' };
}

/**
 * Throttling of password logins (OWASP ASVS 5.0 V6.3; RELIABILITY.md SEC-AU-04), designed so that
 * nobody can keep a user out: failures lock out the guessing client IP for one address
 * (`IDENTITY_LOCKOUT_THRESHOLD` per `IDENTITY_LOCKOUT_WINDOW_MINUTES`), not the address; failures
 * from many IPs slow every attempt on the address with a doubling delay
 * (`IDENTITY_LOGIN_ACCOUNT_FAILURES` per hour, then `IDENTITY_LOGIN_DELAY_SECONDS` ×2ⁿ, at most the
 * window: about 20 evaluated failures an hour), and the owner, emailed a sign-in link when a
 * limit engages, signs in with it past both. Unknown addresses are throttled the same way.
 */
@Injectable()
export class LoginThrottleService {
  private readonly limits: LoginThrottleLimits;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(IDENTITY_CONFIG) config: IdentityConfig,
  ) {
    this.limits = {
      ipFailures: config.IDENTITY_LOCKOUT_THRESHOLD,
      lockoutWindowMinutes: config.IDENTITY_LOCKOUT_WINDOW_MINUTES,
      accountFailures: config.IDENTITY_LOGIN_ACCOUNT_FAILURES,
      delaySeconds: config.IDENTITY_LOGIN_DELAY_SECONDS,
    };
  }

  /** The throttle of a login for lower-cased `email` from `ip` (null: unknown client), with the address's account if any. */
  async check(email: string, ip: string | null): Promise<LoginThrottle & { userId: string | null; orgId: string | null }> {
    const lockoutStart = sql<Date>`now() - make_interval(mins => ${this.limits.lockoutWindowMinutes})`;
    const row = await kyselyFor<IdentityDb>(this.dataSource)
      .with('last_success', (db) =>
        db
          .selectFrom('login_attempt')
          .select((eb) => eb.fn.max<Date | null>('created_at').as('at'))
          .where('email', '=', email)
          .where('succeeded', '=', true)
          .where('ip', 'is not distinct from', ip),
      )
      .selectFrom(['login_attempt as a', 'last_success as s'])
      .select((eb) => {
        const fromIp = eb.and([
          eb('a.ip', 'is not distinct from', ip),
          eb('a.created_at', '>', lockoutStart),
          eb.or([eb('s.at', 'is', null), eb('a.created_at', '>', eb.ref('s.at'))]),
        ]);
        return [
          eb.cast<number>(eb.fn.countAll().filterWhere(fromIp), 'integer').as('ip_failures'),
          eb.fn.min<Date | null>('a.created_at').filterWhere(fromIp).as('ip_oldest'),
          eb.cast<number>(eb.fn.countAll(), 'integer').as('account_failures'),
          eb.fn.max<Date | null>('a.created_at').as('latest'),
          eb.selectFrom('app_user').select('id').where('email', '=', email).as('user_id'),
          eb.selectFrom('app_user').select('org_id').where('email', '=', email).as('org_id'),
        ];
      })
      .where('a.email', '=', email)
      .where('a.succeeded', '=', false)
      .where('a.created_at', '>', sql<Date>`now() - make_interval(mins => ${ACCOUNT_FAILURE_WINDOW_MINUTES})`)
      .executeTakeFirstOrThrow();
    const throttle = throttleOf(
      { ipFailures: row.ip_failures, ipOldest: row.ip_oldest, accountFailures: row.account_failures, latest: row.latest },
      this.limits,
      Date.now(),
    );
    return { ...throttle, userId: row.user_id, orgId: row.org_id };
  }

  /**
   * The live sign-in link token (`login_unlock`: unused, unexpired, under its failure limit) of the
   * account with lower-cased `email`, or null. Consumed by the login it lets in.
   */
  async unlockToken(email: string, token: string): Promise<{ id: string } | null> {
    const row = await kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('one_time_token as t')
      .innerJoin('app_user as u', 'u.id', 't.user_id')
      .select('t.id')
      .where('t.token_hash', '=', sha256Hex(token))
      .where('t.purpose', '=', 'login_unlock')
      .where('t.used_at', 'is', null)
      .where('t.expires_at', '>', sql<Date>`now()`)
      .where('t.failed_attempts', '<', MFA_TOKEN_MAX_FAILURES)
      .where('u.email', '=', email)
      .executeTakeFirst();
    return row ?? null;
  }
}
