import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IdentityEvent,
  type MfaConfirmResponse,
  type MfaEnrollResponse,
  type MfaRecoveryCodesResponse,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { SecretCipher } from '@keyhouse/platform/auth';
import { queryRows } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { newId, sha256Hex } from '@keyhouse/util';
import { IdentityErrorCode } from '../../identity.exception';
import { contextOf, IdentityEvents } from '../identity-events.service';
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

/**
 * TOTP two-factor authentication: enrol (seed + otpauth URI), confirm with a first code (which
 * enables it and issues ten recovery codes), disable and regenerate codes with a current code.
 * Seeds are encrypted at rest. Recovery codes are 120-bit random strings shown once and stored as
 * SHA-256 hashes; each works once (ASVS 5.0 6.5.2: hashing suffices at ≥ 112 bits).
 */
@Injectable()
export class MfaService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
    private readonly totp: TotpService,
    private readonly events: IdentityEvents,
  ) {}

  async enroll(envelope: RequestEnvelope): Promise<MfaEnrollResponse> {
    const userId = envelope.actor!.userId!;
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lockUser(manager, userId);
      if (user.mfa_enabled) {
        throw new DomainException('conflict', IdentityErrorCode.MfaAlreadyEnabled, 'Two-factor authentication is already on');
      }
      const secret = this.totp.newSecret();
      await manager.query(`UPDATE app_user SET mfa_pending_secret_enc = $2, updated_at = now() WHERE id = $1`, [
        userId,
        this.cipher.encrypt(secret, mfaSecretAad(userId)),
      ]);
      return { secret, otpauthUri: this.totp.uri(secret, user.email) };
    });
  }

  async confirm(envelope: RequestEnvelope<{ code: string }>): Promise<MfaConfirmResponse> {
    const userId = envelope.actor!.userId!;
    const result = await this.dataSource.transaction(async (manager) => {
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
      await manager.query(
        `UPDATE app_user SET mfa_enabled = true, mfa_secret_enc = mfa_pending_secret_enc, mfa_pending_secret_enc = NULL,
                mfa_last_time_step = $2, updated_at = now() WHERE id = $1`,
        [userId, check.timeStep],
      );
      const recoveryCodes = await this.replaceRecoveryCodes(manager, userId);
      await this.events.emit(manager, contextOf(envelope), IdentityEvent.mfaEnabled.type, userId, user.org_id, { userId });
      return { enabled: true as const, recoveryCodes };
    });
    this.events.flush();
    return result;
  }

  async disable(envelope: RequestEnvelope<{ code: string }>): Promise<void> {
    const userId = envelope.actor!.userId!;
    await this.dataSource.transaction(async (manager) => {
      const user = await this.lockEnabledUser(manager, userId);
      const [org] = (await manager.query(`SELECT mfa_required_roles FROM organization WHERE id = $1`, [
        user.org_id,
      ])) as Array<{ mfa_required_roles: string[] }>;
      if (org.mfa_required_roles.includes(user.role)) {
        throw new DomainException(
          'conflict',
          'MFA_REQUIRED_BY_POLICY',
          'Your organization requires two-factor authentication for your role',
        );
      }
      await this.assertCurrentCode(manager, user, envelope.data.code);
      await manager.query(
        `UPDATE app_user SET mfa_enabled = false, mfa_secret_enc = NULL, mfa_pending_secret_enc = NULL,
                mfa_last_time_step = NULL, updated_at = now() WHERE id = $1`,
        [userId],
      );
      await manager.query(`DELETE FROM mfa_recovery_code WHERE user_id = $1`, [userId]);
      await this.events.emit(manager, contextOf(envelope), IdentityEvent.mfaDisabled.type, userId, user.org_id, { userId });
    });
    this.events.flush();
  }

  async regenerateRecoveryCodes(envelope: RequestEnvelope<{ code: string }>): Promise<MfaRecoveryCodesResponse> {
    const userId = envelope.actor!.userId!;
    const result = await this.dataSource.transaction(async (manager) => {
      const user = await this.lockEnabledUser(manager, userId);
      await this.assertCurrentCode(manager, user, envelope.data.code);
      const recoveryCodes = await this.replaceRecoveryCodes(manager, userId);
      await this.events.emit(manager, contextOf(envelope), IdentityEvent.recoveryCodesRegenerated.type, userId, user.org_id, {
        userId,
      });
      return { recoveryCodes };
    });
    this.events.flush();
    return result;
  }

  /**
   * Checks a TOTP code or a recovery code of a user with 2FA on, and records its use (last time
   * step, or the recovery code spent) in `manager`'s transaction.
   */
  async checkSecondFactor(
    manager: EntityManager,
    user: { id: string; mfa_secret_enc: string | null; mfa_last_time_step: string | null },
    code: string,
  ): Promise<SecondFactorCheck> {
    const trimmed = code.trim().toLowerCase();
    if (/^\d{6}$/.test(trimmed)) {
      if (!user.mfa_secret_enc) return { valid: false, replay: false };
      const secret = this.cipher.decrypt(user.mfa_secret_enc, mfaSecretAad(user.id));
      const check = await this.totp.check(secret, trimmed, user.mfa_last_time_step === null ? null : Number(user.mfa_last_time_step));
      if (!check.valid) return check;
      await manager.query(`UPDATE app_user SET mfa_last_time_step = $2 WHERE id = $1`, [user.id, check.timeStep]);
      return { valid: true, method: 'totp', timeStep: check.timeStep };
    }
    const [row] = await queryRows<{ id: string }>(
      manager,
      `UPDATE mfa_recovery_code SET used_at = now()
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id`,
      [user.id, sha256Hex(trimmed.replace(/[\s-]/g, ''))],
    );
    return row ? { valid: true, method: 'recovery_code', recoveryCodeId: row.id } : { valid: false, replay: false };
  }

  private async assertCurrentCode(
    manager: EntityManager,
    user: { id: string; mfa_secret_enc: string | null; mfa_last_time_step: string | null },
    code: string,
  ): Promise<void> {
    const check = await this.checkSecondFactor(manager, user, code);
    if (!check.valid || check.method !== 'totp') throw invalidCode();
  }

  private async replaceRecoveryCodes(manager: EntityManager, userId: string): Promise<string[]> {
    await manager.query(`DELETE FROM mfa_recovery_code WHERE user_id = $1`, [userId]);
    const codes: string[] = [];
    for (let i = 0; i < RECOVERY_CODE_COUNT; i += 1) {
      const raw = [...randomBytes(24)].map((byte) => BASE32[byte & 31]).join('');
      codes.push(raw.match(/.{4}/g)!.join('-'));
      await manager.query(`INSERT INTO mfa_recovery_code (id, user_id, code_hash) VALUES ($1, $2, $3)`, [
        newId(),
        userId,
        sha256Hex(raw),
      ]);
    }
    return codes;
  }

  private async lockUser(manager: EntityManager, userId: string) {
    const [user] = (await manager.query(
      `SELECT id, org_id, email, role, mfa_enabled, mfa_secret_enc, mfa_pending_secret_enc, mfa_last_time_step
         FROM app_user WHERE id = $1 FOR UPDATE`,
      [userId],
    )) as Array<{
      id: string;
      org_id: string;
      email: string;
      role: string;
      mfa_enabled: boolean;
      mfa_secret_enc: string | null;
      mfa_pending_secret_enc: string | null;
      mfa_last_time_step: string | null;
    }>;
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
