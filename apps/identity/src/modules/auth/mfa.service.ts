import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  IdentityAuthSubjects,
  IdentityEvent,
  type MfaConfirmRequest,
  type MfaConfirmResponse,
  type MfaDisableRequest,
  type MfaEnrollResponse,
  type MfaRecoveryCodesRequest,
  type MfaRecoveryCodesResponse,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireUserSession, SecretCipher } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId, sha256Hex } from '@keyhouse/util';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';
import { EMAIL_SENDER, type EmailSender } from '../mail/email-sender.port';
import type { AppUserRow } from '../users/app-user.row';
import { SECRET_CIPHER } from './signing-key.service';
import { TotpService } from './totp.service';

export const RECOVERY_CODE_COUNT = 10;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Associated data binding a TOTP seed to its user row (`SecretCipher`). */
export function mfaSecretAad(userId: string): string {
  return `identity|app_user|mfa|${userId}`;
}

/** Result of checking a second factor; `method` says which kind matched. */
export type SecondFactorCheck =
  | { valid: true; method: 'totp'; timeStep: number }
  | { valid: true; method: 'recovery_code'; recoveryCodeId: string }
  | { valid: false; replay: boolean };

/** What a second-factor check reads of the user's `app_user` row. */
export type SecondFactorUser = Pick<AppUserRow, 'id' | 'mfa_secret_enc' | 'mfa_last_time_step'>;

/** What a check under the per-account limit reads of the user's row (locked `FOR UPDATE` by the caller). */
export type LimitedSecondFactorUser = SecondFactorUser & Pick<AppUserRow, 'org_id' | 'email' | 'name'>;

/**
 * Result of a check under the per-account limit: the valid check, or the refusal to throw once
 * the unit of work has committed (so that the failure stays counted). `evaluated` is false when
 * the code was not looked at because the account is locked.
 */
export type LimitedSecondFactorCheck =
  | { valid: true; check: Extract<SecondFactorCheck, { valid: true }> }
  | { valid: false; refusal: DomainException; evaluated: boolean; replay: boolean };

/** The `app_user` columns the 2FA use cases read (under a row lock). */
const MFA_USER_COLUMNS = [
  'id',
  'org_id',
  'email',
  'name',
  'role',
  'mfa_enabled',
  'mfa_secret_enc',
  'mfa_pending_secret_enc',
  'mfa_last_time_step',
] as const;

/**
 * TOTP two-factor authentication: enrol (seed + otpauth URI), confirm with a first code (which
 * enables it and issues ten recovery codes), disable and regenerate codes with a current code.
 * Seeds are encrypted at rest. Recovery codes are 120-bit random strings shown once and stored as
 * SHA-256 hashes; each works once (ASVS 5.0 6.5.2: hashing suffices at ≥ 112 bits).
 *
 * Guessing is limited per account, whichever login challenge or route the codes come through
 * (RELIABILITY.md SEC-TOTP-04): `IDENTITY_MFA_MAX_FAILURES` wrong codes (5) within
 * `IDENTITY_MFA_LOCKOUT_MINUTES` (15) are evaluated; then every code, right or wrong, is refused
 * with 429 `MFA_LOCKED` until the oldest leaves the window. Reaching the limit emits
 * `identity.login.locked_out` (`factor: 'mfa'`) and emails the user a security notice.
 */
@Injectable()
export class MfaService {
  constructor(
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(EMAIL_SENDER) private readonly email: EmailSender,
    private readonly totp: TotpService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * Starts TOTP enrolment of the caller: a new pending seed (replacing any earlier one).
   *
   * @throws DomainException 409 `MFA_ALREADY_ENABLED`; 404 `USER_NOT_FOUND`.
   */
  @RpcHandler(IdentityAuthSubjects.mfaEnroll)
  async enroll(envelope: RequestEnvelope<Record<string, never>>): Promise<MfaEnrollResponse> {
    const userId = requireUserSession(envelope.actor).userId;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const user = await this.lockUser(manager, userId);
      if (user.mfa_enabled) {
        throw new DomainException('conflict', IdentityErrorCode.MfaAlreadyEnabled, 'Two-factor authentication is already on');
      }
      const secret = this.totp.newSecret();
      await kyselyFor<IdentityDb>(manager)
        .updateTable('app_user')
        .set({ mfa_pending_secret_enc: this.cipher.encrypt(secret, mfaSecretAad(userId)), updated_at: sql<Date>`now()` })
        .where('id', '=', userId)
        .execute();
      return { secret, otpauthUri: this.totp.uri(secret, user.email) };
    });
  }

  /**
   * Enables 2FA with a first code of the pending seed; returns ten recovery codes (shown once) and
   * emits `identity.mfa.enabled`.
   *
   * @throws DomainException 409 `MFA_ALREADY_ENABLED`, `MFA_NOT_ENROLLING`; 401 `INVALID_MFA_CODE`.
   */
  @RpcHandler(IdentityAuthSubjects.mfaConfirm)
  async confirm(envelope: RequestEnvelope<MfaConfirmRequest>): Promise<MfaConfirmResponse> {
    const userId = requireUserSession(envelope.actor).userId;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const user = await this.lockUser(manager, userId);
      if (user.mfa_enabled) {
        throw new DomainException('conflict', IdentityErrorCode.MfaAlreadyEnabled, 'Two-factor authentication is already on');
      }
      if (!user.mfa_pending_secret_enc) {
        throw new DomainException('conflict', IdentityErrorCode.MfaNotEnrolling, 'Start enrolment first');
      }
      const secret = this.cipher.decrypt(user.mfa_pending_secret_enc, mfaSecretAad(userId));
      const check = await this.totp.check(secret, envelope.data.code, null);
      if (!check.valid) throw invalidCode();
      await kyselyFor<IdentityDb>(manager)
        .updateTable('app_user')
        .set((eb) => ({
          mfa_enabled: true,
          mfa_secret_enc: eb.ref('mfa_pending_secret_enc'),
          mfa_pending_secret_enc: null,
          mfa_last_time_step: check.timeStep,
          updated_at: sql<Date>`now()`,
        }))
        .where('id', '=', userId)
        .execute();
      const recoveryCodes = await this.replaceRecoveryCodes(manager, userId);
      await unit.emit(IdentityEvent.mfaEnabled, userId, user.org_id, { userId });
      return { enabled: true as const, recoveryCodes };
    });
  }

  /**
   * Turns 2FA off with a current TOTP code (under the per-account limit); emits `identity.mfa.disabled`.
   *
   * @throws DomainException 409 `MFA_NOT_ENABLED`, `MFA_REQUIRED_BY_POLICY`; 401 `INVALID_MFA_CODE`;
   *   429 `MFA_LOCKED` with `retryAfterSeconds`.
   */
  @RpcHandler(IdentityAuthSubjects.mfaDisable)
  async disable(envelope: RequestEnvelope<MfaDisableRequest>): Promise<void> {
    const userId = requireUserSession(envelope.actor).userId;
    const refusal = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const user = await this.lockEnabledUser(manager, userId);
      const db = kyselyFor<IdentityDb>(manager);
      const org = await db.selectFrom('organization').select('mfa_required_roles').where('id', '=', user.org_id).executeTakeFirstOrThrow();
      if (org.mfa_required_roles.includes(user.role)) {
        throw new DomainException(
          'conflict',
          'MFA_REQUIRED_BY_POLICY',
          'Your organization requires two-factor authentication for your role',
        );
      }
      const result = await this.checkWithinLimit(unit, user, envelope.data.code, 'totp');
      if (!result.valid) return result.refusal;
      await db
        .updateTable('app_user')
        .set({
          mfa_enabled: false,
          mfa_secret_enc: null,
          mfa_pending_secret_enc: null,
          mfa_last_time_step: null,
          updated_at: sql<Date>`now()`,
        })
        .where('id', '=', userId)
        .execute();
      await db.deleteFrom('mfa_recovery_code').where('user_id', '=', userId).execute();
      await unit.emit(IdentityEvent.mfaDisabled, userId, user.org_id, { userId });
      return null;
    });
    if (refusal) throw refusal;
  }

  /**
   * Replaces the recovery codes (needs a current TOTP code, under the per-account limit); emits
   * `identity.mfa.recovery_codes_regenerated`.
   *
   * @throws DomainException 409 `MFA_NOT_ENABLED`; 401 `INVALID_MFA_CODE`; 429 `MFA_LOCKED` with `retryAfterSeconds`.
   */
  @RpcHandler(IdentityAuthSubjects.mfaRecoveryCodes)
  async regenerateRecoveryCodes(envelope: RequestEnvelope<MfaRecoveryCodesRequest>): Promise<MfaRecoveryCodesResponse> {
    const userId = requireUserSession(envelope.actor).userId;
    const outcome = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const user = await this.lockEnabledUser(manager, userId);
      const result = await this.checkWithinLimit(unit, user, envelope.data.code, 'totp');
      if (!result.valid) return { refusal: result.refusal };
      const recoveryCodes = await this.replaceRecoveryCodes(manager, userId);
      await unit.emit(IdentityEvent.recoveryCodesRegenerated, userId, user.org_id, {
        userId,
      });
      return { recoveryCodes };
    });
    if ('refusal' in outcome) throw outcome.refusal;
    return { recoveryCodes: outcome.recoveryCodes };
  }

  /**
   * Checks `code` (a TOTP code, or with `accept: 'any'` also a recovery code) of `user` under the
   * per-account limit, in `unit`: while `IDENTITY_MFA_MAX_FAILURES` wrong codes are within the
   * window the code is not evaluated (429 `MFA_LOCKED`); a wrong code is recorded and answered 401
   * `INVALID_MFA_CODE`, and the one that reaches the limit also emits `identity.login.locked_out`
   * (`factor: 'mfa'`) and emails the user a security notice. The caller holds the user's row lock
   * and throws the refusal after `unit` commits.
   */
  async checkWithinLimit(
    unit: UnitOfWorkContext,
    user: LimitedSecondFactorUser,
    code: string,
    accept: 'any' | 'totp',
  ): Promise<LimitedSecondFactorCheck> {
    const before = await this.failureWindow(unit.manager, user.id);
    if (before.failures >= this.config.IDENTITY_MFA_MAX_FAILURES) {
      return { valid: false, refusal: mfaLocked(before.retryAfterSeconds), evaluated: false, replay: false };
    }
    const check =
      accept === 'totp' && !/^\d{6}$/.test(code.trim())
        ? ({ valid: false, replay: false } as const)
        : await this.checkSecondFactor(unit.manager, user, code);
    if (check.valid) return { valid: true, check };
    await kyselyFor<IdentityDb>(unit.manager).insertInto('mfa_failure').values({ id: newId(), user_id: user.id }).execute();
    const after = await this.failureWindow(unit.manager, user.id);
    if (after.failures < this.config.IDENTITY_MFA_MAX_FAILURES) {
      return { valid: false, refusal: invalidCode(), evaluated: true, replay: check.replay };
    }
    await unit.emit(IdentityEvent.loginLockedOut, user.id, user.org_id, {
      userId: user.id,
      email: user.email.toLowerCase(),
      lockedForSeconds: after.retryAfterSeconds,
      factor: 'mfa',
    });
    const minutes = this.config.IDENTITY_MFA_LOCKOUT_MINUTES;
    await this.email.send(unit.manager, {
      orgId: user.org_id,
      to: user.email,
      subject: 'Two-factor codes paused on your Keyhouse account',
      text:
        `Hello ${user.name},\n\nSeveral wrong two-factor codes were entered for your Keyhouse account, so codes are ` +
        `refused for up to ${minutes} minutes.\n\nIf this was not you, someone may know your password: change it now.`,
      template: 'security_notice',
      variables: { reason: 'mfa_locked' },
    });
    return { valid: false, refusal: invalidCode(), evaluated: true, replay: check.replay };
  }

  /** Wrong codes of `userId` within the lockout window, and the seconds until the oldest leaves it. */
  private async failureWindow(manager: EntityManager, userId: string): Promise<{ failures: number; retryAfterSeconds: number }> {
    const minutes = this.config.IDENTITY_MFA_LOCKOUT_MINUTES;
    const row = await kyselyFor<IdentityDb>(manager)
      .selectFrom('mfa_failure')
      .select((eb) => [eb.cast<number>(eb.fn.countAll(), 'integer').as('failures'), eb.fn.min<Date | null>('created_at').as('oldest')])
      .where('user_id', '=', userId)
      .where('created_at', '>', sql<Date>`now() - make_interval(mins => ${minutes})`)
      .executeTakeFirstOrThrow();
    const retryAfterSeconds = row.oldest ? Math.max(1, Math.ceil((row.oldest.getTime() + minutes * 60_000 - Date.now()) / 1000)) : 0;
    return { failures: row.failures, retryAfterSeconds };
  }

  /**
   * Checks a TOTP code or a recovery code of a user with 2FA on, and records its use (last time
   * step, or the recovery code spent) in `manager`'s transaction.
   */
  async checkSecondFactor(manager: EntityManager, user: SecondFactorUser, code: string): Promise<SecondFactorCheck> {
    const db = kyselyFor<IdentityDb>(manager);
    const trimmed = code.trim().toLowerCase();
    if (/^\d{6}$/.test(trimmed)) {
      if (!user.mfa_secret_enc) return { valid: false, replay: false };
      const secret = this.cipher.decrypt(user.mfa_secret_enc, mfaSecretAad(user.id));
      const check = await this.totp.check(secret, trimmed, user.mfa_last_time_step === null ? null : Number(user.mfa_last_time_step));
      if (!check.valid) return check;
      await db.updateTable('app_user').set({ mfa_last_time_step: check.timeStep }).where('id', '=', user.id).execute();
      return { valid: true, method: 'totp', timeStep: check.timeStep };
    }
    const row = await db
      .updateTable('mfa_recovery_code')
      .set({ used_at: sql<Date>`now()` })
      .where('user_id', '=', user.id)
      .where('code_hash', '=', sha256Hex(trimmed.replace(/[\s-]/g, '')))
      .where('used_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    return row ? { valid: true, method: 'recovery_code', recoveryCodeId: row.id } : { valid: false, replay: false };
  }

  private async replaceRecoveryCodes(manager: EntityManager, userId: string): Promise<string[]> {
    const db = kyselyFor<IdentityDb>(manager);
    await db.deleteFrom('mfa_recovery_code').where('user_id', '=', userId).execute();
    const codes: string[] = [];
    for (let i = 0; i < RECOVERY_CODE_COUNT; i += 1) {
      const raw = [...randomBytes(24)].map((byte) => BASE32[byte & 31]).join('');
      codes.push(raw.match(/.{4}/g)!.join('-'));
      await db
        .insertInto('mfa_recovery_code')
        .values({ id: newId(), user_id: userId, code_hash: sha256Hex(raw) })
        .execute();
    }
    return codes;
  }

  private async lockUser(manager: EntityManager, userId: string) {
    const user = await kyselyFor<IdentityDb>(manager)
      .selectFrom('app_user')
      .select(MFA_USER_COLUMNS)
      .where('id', '=', userId)
      .forUpdate()
      .executeTakeFirst();
    if (!user) throw DomainException.notFound(IdentityErrorCode.UserNotFound, 'User');
    return user;
  }

  private async lockEnabledUser(manager: EntityManager, userId: string) {
    const user = await this.lockUser(manager, userId);
    if (!user.mfa_enabled) {
      throw new DomainException('conflict', IdentityErrorCode.MfaNotEnabled, 'Two-factor authentication is not on');
    }
    return user;
  }
}

export function invalidCode(): DomainException {
  return new DomainException('unauthenticated', IdentityErrorCode.InvalidMfaCode, 'The code is not valid');
}

function mfaLocked(retryAfterSeconds: number): DomainException {
  return new DomainException(
    'too_many_requests',
    IdentityErrorCode.MfaLocked,
    `Too many wrong codes for this account. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`,
    undefined,
    { retryAfterSeconds },
  );
}
