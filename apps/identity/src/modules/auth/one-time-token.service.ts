import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { newId, randomToken, sha256Hex } from '@keyhouse/util';

export type OneTimeTokenPurpose = 'password_reset' | 'email_verification' | 'mfa_login' | 'invitation';

/** Lifetimes in minutes. */
export const ONE_TIME_TOKEN_TTL_MINUTES: Record<OneTimeTokenPurpose, number> = {
  password_reset: 60,
  email_verification: 24 * 60,
  mfa_login: 5,
  invitation: 7 * 24 * 60,
};

/** Wrong second-factor codes accepted per MFA login token before it is burned (ASVS 6.6.3). */
export const MFA_TOKEN_MAX_FAILURES = 5;

/**
 * Single-use, expiring tokens (reset, verification, invitation, MFA login step): 256 random bits,
 * stored as SHA-256 hashes. Issuing a new token of a purpose voids the user's older ones.
 */
@Injectable()
export class OneTimeTokenService {
  async issue(manager: EntityManager, userId: string, purpose: OneTimeTokenPurpose): Promise<string> {
    await manager.query(`UPDATE one_time_token SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, [
      userId,
      purpose,
    ]);
    const token = randomToken(32);
    await manager.query(
      `INSERT INTO one_time_token (id, user_id, purpose, token_hash, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))`,
      [newId(), userId, purpose, sha256Hex(token), ONE_TIME_TOKEN_TTL_MINUTES[purpose]],
    );
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
    const [row] = (await manager.query(
      `SELECT id, user_id, purpose FROM one_time_token
        WHERE token_hash = $1 AND purpose = ANY($2) AND used_at IS NULL AND expires_at > now()
          AND failed_attempts < $3
        FOR UPDATE`,
      [sha256Hex(token), purposes, MFA_TOKEN_MAX_FAILURES],
    )) as Array<{ id: string; user_id: string; purpose: OneTimeTokenPurpose }>;
    return row ? { id: row.id, userId: row.user_id, purpose: row.purpose } : null;
  }

  async consume(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE one_time_token SET used_at = now() WHERE id = $1`, [id]);
  }

  async recordFailure(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE one_time_token SET failed_attempts = failed_attempts + 1 WHERE id = $1`, [id]);
  }
}
