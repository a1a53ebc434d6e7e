import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IdentityEvent,
  type LoginRequest,
  type LoginResponse,
  type MfaVerifyRequest,
  type PasswordChangeRequest,
  type PasswordResetConfirmRequest,
  type RefreshRequest,
  type RegisterClientRequest,
  type RegisterClientResponse,
  type RegisterRequest,
  type RegisterResponse,
  type RequestEnvelope,
  type TokenPair,
} from '@keyhouse/contracts';
import { queryRows } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { newId, randomToken } from '@keyhouse/util';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import { IdentityErrorCode } from '../../identity.exception';
import { contextOf, IdentityEvents, selfContext } from '../identity-events.service';
import { EMAIL_SENDER, type EmailSender } from '../mail/email-sender.port';
import { toOrganizationView } from '../organizations/organization.view';
import { UserQueries } from '../users/user.queries';
import { invalidCode, MfaService } from './mfa.service';
import { OneTimeTokenService } from './one-time-token.service';
import { PasswordService } from './password.service';
import { RevocationService } from './revocation.service';
import { invalidRefreshToken, SessionService } from './session.service';

interface LoginUserRow {
  id: string;
  org_id: string;
  role: string;
  status: string;
  password_hash: string | null;
  mfa_enabled: boolean;
  mfa_secret_enc: string | null;
  mfa_last_time_step: string | null;
}

/**
 * Registration, login (password, then TOTP when enabled), refresh rotation, logout, password
 * reset and change, and email verification. Failures answer the same way whether or not the
 * email exists; repeated failures lock the email address for the lockout window (soft lockout,
 * ASVS 4.0.3 2.2.1), whatever the password.
 */
@Injectable()
export class AuthService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(EMAIL_SENDER) private readonly email: EmailSender,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly mfa: MfaService,
    private readonly revocations: RevocationService,
    private readonly users: UserQueries,
    private readonly events: IdentityEvents,
  ) {}

  async register(envelope: RequestEnvelope<RegisterRequest>): Promise<RegisterResponse> {
    const { organizationName, name, password } = envelope.data;
    const email = envelope.data.email.trim();
    this.passwords.assertAcceptable(password, email);
    const passwordHash = await this.passwords.hash(password);
    const result = await this.dataSource.transaction(async (manager) => {
      await this.users.assertEmailFree(manager, email);
      const orgId = newId();
      const userId = newId();
      await manager.query(
        `INSERT INTO organization (id, name, public_form_key) VALUES ($1, $2, $3)`,
        [orgId, organizationName.trim(), `pfk_${randomToken(18)}`],
      );
      await manager.query(
        `INSERT INTO app_user (id, org_id, email, name, password_hash, role, status) VALUES ($1, $2, $3, $4, $5, 'owner', 'active')`,
        [userId, orgId, email, name.trim(), passwordHash],
      );
      const user = { id: userId, orgId, role: 'owner' };
      const context = selfContext(envelope, user, envelope.data);
      await this.events.emit(manager, context, IdentityEvent.organizationCreated.type, orgId, orgId, {
        organizationId: orgId,
        name: organizationName.trim(),
      });
      await this.events.emit(manager, context, IdentityEvent.userCreated.type, userId, orgId, {
        userId,
        email,
        name: name.trim(),
        role: 'owner',
        status: 'active',
        teamIds: [],
      });
      await this.sendVerification(manager, { id: userId, orgId, email, name: name.trim() });
      const tokens = await this.sessions.start(manager, { ...user, mfaEnabled: false }, envelope.data);
      const [org] = (await manager.query(`SELECT * FROM organization WHERE id = $1`, [orgId])) as Array<Record<string, unknown>>;
      return {
        ...tokens,
        organization: toOrganizationView(org),
        user: await this.users.view(manager, orgId, userId),
      };
    });
    this.events.flush();
    return result;
  }

  /**
   * Client self-registration (`POST /v1/public/clients/register`): a `client` user of the
   * organization, active with the password, linked to the crm contact through `contactId` on
   * `identity.user.created` (and kept in `app_user.contact_id`, so that `crm.contact.erased` erases
   * the user), and an email verification sent. The email must be free (409).
   */
  async registerClient(envelope: RequestEnvelope<RegisterClientRequest>): Promise<RegisterClientResponse> {
    const { orgId, contactId, name, password } = envelope.data;
    const email = envelope.data.email.trim();
    this.passwords.assertAcceptable(password, email);
    const passwordHash = await this.passwords.hash(password);
    const userId = await this.dataSource.transaction(async (manager) => {
      const [org] = (await manager.query(`SELECT id FROM organization WHERE id = $1`, [orgId])) as unknown[];
      if (!org) throw DomainException.notFound('FORM_KEY_UNKNOWN', 'Form key');
      await this.users.assertEmailFree(manager, email);
      const id = newId();
      await manager.query(
        `INSERT INTO app_user (id, org_id, email, name, password_hash, role, status, contact_id) VALUES ($1, $2, $3, $4, $5, 'client', 'active', $6)`,
        [id, orgId, email, name.trim(), passwordHash, contactId],
      );
      const context = selfContext(envelope, { id, orgId, role: 'client' }, envelope.data);
      await this.events.emit(manager, context, IdentityEvent.userCreated.type, id, orgId, {
        userId: id,
        email,
        name: name.trim(),
        role: 'client',
        status: 'active',
        teamIds: [],
        contactId,
      });
      await this.sendVerification(manager, { id, orgId, email, name: name.trim() });
      return id;
    });
    this.events.flush();
    return { userId, contactId };
  }

  async login(envelope: RequestEnvelope<LoginRequest>): Promise<LoginResponse> {
    const email = envelope.data.email.trim().toLowerCase();
    const lock = await this.lockState(email);
    if (lock.locked) {
      await this.dataSource.transaction((manager) =>
        this.events.emit(manager, contextOf(envelope), IdentityEvent.loginFailed.type, email, lock.orgId ?? NIL_ORG, {
          userId: lock.userId,
          email,
          reason: 'locked',
          method: 'password',
          ip: envelope.data.ip,
          userAgent: envelope.data.userAgent,
        }),
      );
      this.events.flush();
      throw accountLocked(lock.retryAfterSeconds);
    }
    const [user] = (await this.dataSource.query(
      `SELECT id, org_id, role, status, password_hash, mfa_enabled, mfa_secret_enc, mfa_last_time_step
         FROM app_user WHERE email = $1`,
      [email],
    )) as LoginUserRow[];
    const passwordOk = await this.passwords.verify(user?.password_hash ?? null, envelope.data.password);
    if (!user || !passwordOk || user.status !== 'active') {
      const failures = await this.recordFailure(envelope, email, user ?? null, passwordOk ? 'deactivated' : 'bad_credentials');
      if (failures >= this.config.IDENTITY_LOCKOUT_THRESHOLD) {
        throw accountLocked(this.config.IDENTITY_LOCKOUT_WINDOW_MINUTES * 60);
      }
      throw invalidCredentials();
    }
    if (this.passwords.needsRehash(user.password_hash!)) {
      await this.dataSource.query(`UPDATE app_user SET password_hash = $2 WHERE id = $1`, [
        user.id,
        await this.passwords.hash(envelope.data.password),
      ]);
    }
    if (user.mfa_enabled) {
      const mfaToken = await this.dataSource.transaction((manager) => this.oneTimeTokens.issue(manager, user.id, 'mfa_login'));
      return { mfaRequired: true, mfaToken };
    }
    return this.completeLogin(envelope, user, 'password');
  }

  async verifyMfa(envelope: RequestEnvelope<MfaVerifyRequest>): Promise<TokenPair> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const token = await this.oneTimeTokens.find(manager, envelope.data.mfaToken, ['mfa_login']);
      if (!token) {
        throw new DomainException('unauthenticated', IdentityErrorCode.InvalidMfaToken, 'The sign-in step has expired; sign in again');
      }
      const [user] = (await manager.query(
        `SELECT id, org_id, role, status, password_hash, mfa_enabled, mfa_secret_enc, mfa_last_time_step
           FROM app_user WHERE id = $1 FOR UPDATE`,
        [token.userId],
      )) as LoginUserRow[];
      const check = await this.mfa.checkSecondFactor(manager, user, envelope.data.code);
      if (!check.valid) {
        await this.oneTimeTokens.recordFailure(manager, token.id);
        const context = selfContext(envelope, { id: user.id, orgId: user.org_id, role: user.role }, envelope.data);
        await this.events.emit(manager, context, IdentityEvent.loginFailed.type, user.id, user.org_id, {
          userId: user.id,
          reason: 'mfa_failed',
          method: 'mfa',
          ip: envelope.data.ip,
          userAgent: envelope.data.userAgent,
        });
        if (check.replay) {
          await this.events.emit(manager, context, IdentityEvent.mfaCodeReused.type, user.id, user.org_id, { userId: user.id });
        }
        return { ok: false as const };
      }
      await this.oneTimeTokens.consume(manager, token.id);
      return { ok: true as const, user, method: check.method === 'totp' ? ('mfa' as const) : ('recovery_code' as const) };
    });
    if (!outcome.ok) {
      this.events.flush();
      throw invalidCode();
    }
    return this.completeLogin(envelope, outcome.user, outcome.method);
  }

  async refresh(envelope: RequestEnvelope<RefreshRequest>): Promise<TokenPair> {
    const result = await this.sessions.rotate(envelope.data.refreshToken, envelope.data);
    if (result.kind === 'reused') {
      await this.dataSource.transaction((manager) =>
        this.events.emit(
          manager,
          selfContext(envelope, { id: result.userId, orgId: result.orgId, role: 'unknown' }, envelope.data),
          IdentityEvent.refreshTokenReused.type,
          result.userId,
          result.orgId,
          { userId: result.userId, sessionId: result.familyId, ip: envelope.data.ip, userAgent: envelope.data.userAgent },
        ),
      );
      this.revocations.broadcast(result.revocations);
      this.events.flush();
      throw new DomainException(
        'unauthenticated',
        IdentityErrorCode.RefreshTokenReused,
        'This refresh token was already used; the session has been ended',
      );
    }
    return result.tokens;
  }

  async logout(envelope: RequestEnvelope<{ refreshToken?: string }>): Promise<void> {
    const actor = envelope.actor!;
    const revocations = await this.dataSource.transaction(async (manager) => {
      let familyId = actor.sessionId;
      if (envelope.data.refreshToken) {
        const family = await this.sessions.familyOf(manager, envelope.data.refreshToken);
        if (!family || family.userId !== actor.userId) throw invalidRefreshToken();
        familyId = family.familyId;
      }
      if (!familyId) return [];
      const revoked = await this.sessions.revokeFamily(manager, familyId);
      await this.events.emit(manager, contextOf(envelope), IdentityEvent.sessionRevoked.type, actor.userId!, actor.orgId, {
        userId: actor.userId,
        sessionId: familyId,
        reason: 'logout',
      });
      return revoked;
    });
    this.revocations.broadcast(revocations);
    this.events.flush();
  }

  /** Always succeeds (202 at the gateway) so that it reveals nothing about which emails exist. */
  async requestPasswordReset(envelope: RequestEnvelope<{ email: string }>): Promise<void> {
    const email = envelope.data.email.trim().toLowerCase();
    await this.dataSource.transaction(async (manager) => {
      const [user] = (await manager.query(`SELECT id, org_id, name, email, role, status FROM app_user WHERE email = $1`, [
        email,
      ])) as Array<{ id: string; org_id: string; name: string; email: string; role: string; status: string }>;
      if (!user || user.status !== 'active') return;
      const token = await this.oneTimeTokens.issue(manager, user.id, 'password_reset');
      const link = `${this.config.IDENTITY_PUBLIC_APP_URL}/reset-password?token=${token}`;
      await this.email.send(manager, {
        orgId: user.org_id,
        to: user.email,
        subject: 'Reset your Keyhouse password',
        text: `Hello ${user.name},\n\nUse this link within 60 minutes to choose a new password:\n${link}\n\nIf you did not ask for this, ignore this message.`,
        template: 'password_reset',
        variables: { token, link },
      });
      await this.emitAsUser(manager, envelope, user, IdentityEvent.passwordResetRequested.type, { userId: user.id });
    });
    this.events.flush();
  }

  /** Sets a new password from a reset or invitation token; ends every session of the user. */
  async confirmPasswordReset(envelope: RequestEnvelope<PasswordResetConfirmRequest>): Promise<void> {
    const revocations = await this.dataSource.transaction(async (manager) => {
      const token = await this.oneTimeTokens.find(manager, envelope.data.token, ['password_reset', 'invitation']);
      if (!token) throw invalidToken();
      const [user] = (await manager.query(`SELECT id, org_id, email, role, status FROM app_user WHERE id = $1 FOR UPDATE`, [
        token.userId,
      ])) as Array<{ id: string; org_id: string; email: string; role: string; status: string }>;
      if (user.status === 'deactivated') throw invalidToken();
      this.passwords.assertAcceptable(envelope.data.newPassword, user.email, 'newPassword');
      const hash = await this.passwords.hash(envelope.data.newPassword);
      const invitation = token.purpose === 'invitation';
      await manager.query(
        `UPDATE app_user SET password_hash = $2, status = 'active', updated_at = now(),
                email_verified_at = CASE WHEN $3 THEN coalesce(email_verified_at, now()) ELSE email_verified_at END
          WHERE id = $1`,
        [user.id, hash, invitation],
      );
      await this.oneTimeTokens.consume(manager, token.id);
      const revoked = await this.sessions.revokeAllSessions(manager, user.id);
      await this.emitAsUser(manager, envelope, user, IdentityEvent.passwordChanged.type, { userId: user.id, via: invitation ? 'invitation' : 'reset' });
      return revoked;
    });
    this.revocations.broadcast(revocations);
    this.events.flush();
  }

  /** Changes the caller's password; by default ends their other sessions (ASVS 5.0 7.4.3). */
  async changePassword(envelope: RequestEnvelope<PasswordChangeRequest>): Promise<void> {
    const actor = envelope.actor!;
    const revocations = await this.dataSource.transaction(async (manager) => {
      const [user] = (await manager.query(`SELECT id, email, password_hash FROM app_user WHERE id = $1 FOR UPDATE`, [
        actor.userId,
      ])) as Array<{ id: string; email: string; password_hash: string | null }>;
      if (!(await this.passwords.verify(user.password_hash, envelope.data.currentPassword))) throw invalidCredentials();
      this.passwords.assertAcceptable(envelope.data.newPassword, user.email, 'newPassword');
      await manager.query(`UPDATE app_user SET password_hash = $2, updated_at = now() WHERE id = $1`, [
        user.id,
        await this.passwords.hash(envelope.data.newPassword),
      ]);
      const revoked =
        envelope.data.logoutOtherSessions === false ? [] : await this.sessions.revokeAllSessions(manager, user.id, actor.sessionId);
      await this.events.emit(manager, contextOf(envelope), IdentityEvent.passwordChanged.type, user.id, actor.orgId, {
        userId: user.id,
        via: 'change',
        otherSessionsEnded: envelope.data.logoutOtherSessions !== false,
      });
      return revoked;
    });
    this.revocations.broadcast(revocations);
    this.events.flush();
  }

  async verifyEmail(envelope: RequestEnvelope<{ token: string }>): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const token = await this.oneTimeTokens.find(manager, envelope.data.token, ['email_verification']);
      if (!token) throw invalidToken();
      const [user] = await queryRows<{ id: string; org_id: string; role: string }>(
        manager,
        `UPDATE app_user SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
          WHERE id = $1 RETURNING id, org_id, role`,
        [token.userId],
      );
      await this.oneTimeTokens.consume(manager, token.id);
      await this.emitAsUser(manager, envelope, user, IdentityEvent.emailVerified.type, { userId: user.id });
    });
    this.events.flush();
  }

  /** Issues an email-verification token and records the message (used at registration and creation). */
  async sendVerification(
    manager: EntityManager,
    user: { id: string; orgId: string; email: string; name: string },
  ): Promise<void> {
    const token = await this.oneTimeTokens.issue(manager, user.id, 'email_verification');
    const link = `${this.config.IDENTITY_PUBLIC_APP_URL}/verify-email?token=${token}`;
    await this.email.send(manager, {
      orgId: user.orgId,
      to: user.email,
      subject: 'Confirm your email address',
      text: `Hello ${user.name},\n\nConfirm your email address for Keyhouse:\n${link}`,
      template: 'email_verification',
      variables: { token, link },
    });
  }

  private async completeLogin(
    envelope: RequestEnvelope<{ ip?: string; userAgent?: string }>,
    user: LoginUserRow,
    method: 'password' | 'mfa' | 'recovery_code',
  ): Promise<TokenPair> {
    const tokens = await this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO login_attempt (id, email, user_id, succeeded, ip) SELECT $1, email, id, true, $3 FROM app_user WHERE id = $2`, [
        newId(),
        user.id,
        envelope.data.ip ?? null,
      ]);
      await manager.query(`UPDATE app_user SET last_login_at = now() WHERE id = $1`, [user.id]);
      await this.emitAsUser(manager, envelope, user, IdentityEvent.loginSucceeded.type, { userId: user.id, method, ip: envelope.data.ip, userAgent: envelope.data.userAgent }, envelope.data);
      return this.sessions.start(manager, { id: user.id, orgId: user.org_id, role: user.role, mfaEnabled: user.mfa_enabled }, envelope.data);
    });
    this.events.flush();
    return tokens;
  }

  /** Emits an event whose actor is `user` itself (before a session exists, e.g. at login). */
  private emitAsUser(
    manager: EntityManager,
    envelope: RequestEnvelope,
    user: { id: string; org_id: string; role: string },
    type: string,
    data: object,
    client: { ip?: string; userAgent?: string } = {},
  ): Promise<void> {
    return this.events.emit(manager, selfContext(envelope, { id: user.id, orgId: user.org_id, role: user.role }, client), type, user.id, user.org_id, data);
  }

  /** Failures for `email` since the later of the window start and its last successful login. */
  private async lockState(
    email: string,
  ): Promise<{ locked: boolean; retryAfterSeconds: number; userId: string | null; orgId: string | null }> {
    const [row] = (await this.dataSource.query(
      `WITH last_success AS (
         SELECT max(created_at) AS at FROM login_attempt WHERE email = $1 AND succeeded
       )
       SELECT count(*)::int AS failures, min(a.created_at) AS oldest,
              (SELECT id FROM app_user WHERE email = $1) AS user_id,
              (SELECT org_id FROM app_user WHERE email = $1) AS org_id
         FROM login_attempt a, last_success s
        WHERE a.email = $1 AND NOT a.succeeded
          AND a.created_at > now() - make_interval(mins => $2)
          AND (s.at IS NULL OR a.created_at > s.at)`,
      [email, this.config.IDENTITY_LOCKOUT_WINDOW_MINUTES],
    )) as Array<{ failures: number; oldest: Date | null; user_id: string | null; org_id: string | null }>;
    const locked = row.failures >= this.config.IDENTITY_LOCKOUT_THRESHOLD;
    const retryAfterSeconds = row.oldest
      ? Math.max(1, Math.ceil((row.oldest.getTime() + this.config.IDENTITY_LOCKOUT_WINDOW_MINUTES * 60_000 - Date.now()) / 1000))
      : 0;
    return { locked, retryAfterSeconds, userId: row.user_id, orgId: row.org_id };
  }

  private async recordFailure(
    envelope: RequestEnvelope<LoginRequest>,
    email: string,
    user: LoginUserRow | null,
    reason: 'bad_credentials' | 'deactivated',
  ): Promise<number> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO login_attempt (id, email, user_id, succeeded, ip) VALUES ($1, $2, $3, false, $4)`, [
        newId(),
        email,
        user?.id ?? null,
        envelope.data.ip ?? null,
      ]);
      await this.events.emit(manager, contextOf(envelope), IdentityEvent.loginFailed.type, user?.id ?? email, user?.org_id ?? NIL_ORG, {
        userId: user?.id ?? null,
        email,
        reason,
        method: 'password',
        ip: envelope.data.ip,
        userAgent: envelope.data.userAgent,
      });
    });
    const state = await this.lockState(email);
    if (state.locked && user) {
      await this.dataSource.transaction((manager) =>
        this.events.emit(manager, contextOf(envelope), IdentityEvent.loginLockedOut.type, user.id, user.org_id, {
          userId: user.id,
          email,
          lockedForSeconds: state.retryAfterSeconds,
        }),
      );
    }
    this.events.flush();
    return state.locked ? this.config.IDENTITY_LOCKOUT_THRESHOLD : 0;
  }
}

/** Organization id used for security events about an email that matches no account. */
export const NIL_ORG = '00000000-0000-0000-0000-000000000000';

export function invalidCredentials(): DomainException {
  return new DomainException('unauthenticated', IdentityErrorCode.InvalidCredentials, 'The email or password is not correct');
}

function accountLocked(retryAfterSeconds: number): DomainException {
  return new DomainException(
    'too_many_requests',
    IdentityErrorCode.AccountLocked,
    `Too many failed sign-in attempts for this email address. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`,
    undefined,
    { retryAfterSeconds },
  );
}

function invalidToken(): DomainException {
  return new DomainException('validation', IdentityErrorCode.InvalidToken, 'The link is invalid or has expired', [
    { field: 'token', message: 'is invalid or has expired' },
  ]);
}
