import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { EntityManager } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { newId, randomToken, sha256Hex } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import type { OneTimeTokenPurpose } from '../../database/identity-json.type';

export type { OneTimeTokenPurpose } from '../../database/identity-json.type';

/** Lifetimes in minutes. */
export const ONE_TIME_TOKEN_TTL_MINUTES: Record<OneTimeTokenPurpose, number> = {
  password_reset: 60,
  email_verification: 24 * 60,
  mfa_login: 5,
  invitation: 7 * 24 * 60,
  login_unlock: 60,
};

/**
 * Failures counted against one token before it is burned: wrong second-factor codes on an MFA
 * login token (ASVS 6.6.3), wrong passwords with a sign-in (`login_unlock`) token.
 */
export const MFA_TOKEN_MAX_FAILURES = 5;

/**
 * Single-use, expiring tokens (reset, verification, invitation, MFA login step, sign-in link past a
 * login throttle): 256 random bits,
 * stored as SHA-256 hashes. Issuing a new token of a purpose voids the user's older ones.
 */
@Injectable()
export class OneTimeTokenService {
  /** Issues a token of `purpose` for `userId` (voiding the user's unused ones of that purpose); returns the raw token, shown once. */
  async issue(manager: EntityManager, userId: string, purpose: OneTimeTokenPurpose): Promise<string> {
    const db = kyselyFor<IdentityDb>(manager);
    await db
      .updateTable('one_time_token')
      .set({ used_at: sql<Date>`now()` })
      .where('user_id', '=', userId)
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .execute();
    const token = randomToken(32);
    await db
      .insertInto('one_time_token')
      .values({
        id: newId(),
        user_id: userId,
        purpose,
        token_hash: sha256Hex(token),
        expires_at: sql<Date>`now() + make_interval(mins => ${ONE_TIME_TOKEN_TTL_MINUTES[purpose]})`,
      })
      .execute();
    return token;
  }

  /**
   * Locks and returns the live token row (unused, unexpired, under the failure limit) for
   * `purposes`, or null. The caller marks it used with `consume` in the same transaction.
   */
  async find(
    manager: EntityManager,
    token: string,
    purposes: OneTimeTokenPurpose[],
  ): Promise<{ id: string; userId: string; purpose: OneTimeTokenPurpose } | null> {
    const row = await kyselyFor<IdentityDb>(manager)
      .selectFrom('one_time_token')
      .select(['id', 'user_id', 'purpose'])
      .where('token_hash', '=', sha256Hex(token))
      .where('purpose', '=', (eb) => eb.fn.any(eb.val(purposes)))
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .where('failed_attempts', '<', MFA_TOKEN_MAX_FAILURES)
      .forUpdate()
      .executeTakeFirst();
    return row ? { id: row.id, userId: row.user_id, purpose: row.purpose } : null;
  }

  /** Marks token `id` used (after `find`, in the same transaction). */
  async consume(manager: EntityManager, id: string): Promise<void> {
    await kyselyFor<IdentityDb>(manager)
      .updateTable('one_time_token')
      .set({ used_at: sql<Date>`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Counts a failure (wrong code or password) against token `id` (burned at `MFA_TOKEN_MAX_FAILURES`). */
  async recordFailure(manager: EntityManager, id: string): Promise<void> {
    await kyselyFor<IdentityDb>(manager)
      .updateTable('one_time_token')
      .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }
}
