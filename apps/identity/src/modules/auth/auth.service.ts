import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IdentityAuthSubjects,
  IdentityEvent,
  type EmailVerifyRequest,
  type LoginRequest,
  type LoginResponse,
  type LogoutRequest,
  type MfaVerifyRequest,
  type PasswordChangeRequest,
  type PasswordResetConfirmRequest,
  type PasswordResetRequest,
  type RefreshRequest,
  type RegisterClientRequest,
  type RegisterClientResponse,
  type RegisterRequest,
  type RegisterResponse,
  type RequestEnvelope,
  type TokenPair,
} from '@keyhouse/contracts';
import { requireUserSession } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId, randomToken } from '@keyhouse/util';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';
import { EMAIL_SENDER, type EmailSender } from '../mail/email-sender.port';
import { toOrganizationView } from '../organizations/organization.mapper';
import type { AppUserRow } from '../users/app-user.row';
import { toUserView, UserQueries } from '../users/user.queries';
import { LoginThrottleService } from './login-throttle.service';
import { MfaService } from './mfa.service';
import { MFA_TOKEN_MAX_FAILURES, OneTimeTokenService } from './one-time-token.service';
import { PasswordService } from './password.service';
import { RevocationService } from './revocation.service';
import { actAs, selfContext } from './self-actor.util';
import { invalidRefreshToken, SessionService } from './session.service';

/** The `app_user` columns a login reads: identity, state, password hash and second factor. */
const LOGIN_USER_COLUMNS = [
  'id',
  'org_id',
  'email',
  'name',
  'role',
  'status',
  'password_hash',
  'mfa_enabled',
  'mfa_secret_enc',
  'mfa_last_time_step',
] as const;

/** What a login reads of the user's `app_user` row (`LOGIN_USER_COLUMNS`). */
type LoginUser = Pick<AppUserRow, (typeof LOGIN_USER_COLUMNS)[number]>;

/**
 * Registration, login (password, then TOTP when enabled), refresh rotation, logout, password
 * reset and change, and email verification. Failures answer the same way whether or not the
 * email exists, and so does registration. Repeated password failures throttle the guessing IP and
 * then slow the address (`LoginThrottleService`), whatever the password; the account's owner gets
 * a sign-in link by email that lets them in meanwhile. Second-factor guesses are limited per
 * account (`MfaService.checkWithinLimit`).
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
    private readonly throttle: LoginThrottleService,
    private readonly revocations: RevocationService,
    private readonly users: UserQueries,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * A new organization and its owner (active, email verification sent), signed in; emits
   * `identity.organization.created` and `identity.user.created` with the owner as actor.
   *
   * An address that already has an account (any organization, any case) is answered the same way,
   * so that registration tells nobody which addresses have accounts (issue 13 item 12): a response
   * of the same shape for an organization and user that do not exist, whose tokens open nothing
   * (`SessionService.decoyTokens`), while the account's owner is told by email (`security_notice`,
   * reason `registration_attempt`). Nothing is stored and no event is emitted for it.
   *
   * @throws DomainException 422 `WEAK_PASSWORD`.
   */
  @RpcHandler(IdentityAuthSubjects.register)
  async register(envelope: RequestEnvelope<RegisterRequest>): Promise<RegisterResponse> {
    const { organizationName, name, password } = envelope.data;
    const email = envelope.data.email.trim();
    this.passwords.assertAcceptable(password, email);
    const passwordHash = await this.passwords.hash(password);
    const orgId = newId();
    const userId = newId();
    const user = { id: userId, orgId, role: 'owner' };
    const registered = await this.unitOfWork.run(selfContext(envelope, user, envelope.data), async (unit) => {
      const manager = unit.manager;
      const db = kyselyFor<IdentityDb>(manager);
      const existing = await db
        .selectFrom('app_user')
        .select(['id', 'org_id', 'email', 'name'])
        .where('email', '=', email)
        .executeTakeFirst();
      if (existing) {
        await this.email.send(manager, {
          orgId: existing.org_id,
          to: existing.email,
          subject: 'Someone tried to register with your email address',
          text:
            `Hello ${existing.name},\n\nSomeone tried to register a new brokerage on Keyhouse with this email address, ` +
            `which already has an account. If it was you, sign in instead, or reset your password if you forgot it:\n` +
            `${this.config.IDENTITY_PUBLIC_APP_URL}/sign-in\n\nIf it was not you, you can ignore this message: nothing has changed.`,
          template: 'security_notice',
          variables: { reason: 'registration_attempt' },
        });
        return null;
      }
      await db
        .insertInto('organization')
        .values({ id: orgId, name: organizationName.trim(), public_form_key: `pfk_${randomToken(18)}` })
        .execute();
      await db
        .insertInto('app_user')
        .values({ id: userId, org_id: orgId, email, name: name.trim(), password_hash: passwordHash, role: 'owner', status: 'active' })
        .execute();
      await unit.emit(IdentityEvent.organizationCreated, orgId, orgId, {
        organizationId: orgId,
        name: organizationName.trim(),
      });
      await unit.emit(IdentityEvent.userCreated, userId, orgId, {
        userId,
        email,
        name: name.trim(),
        role: 'owner',
        status: 'active',
        teamIds: [],
      });
      await this.sendVerification(manager, { id: userId, orgId, email, name: name.trim() });
      const tokens = await this.sessions.start(manager, { ...user, mfaEnabled: false }, envelope.data);
      const org = await db.selectFrom('organization').selectAll().where('id', '=', orgId).executeTakeFirstOrThrow();
      return {
        ...tokens,
        organization: toOrganizationView(org),
        user: await this.users.view(manager, orgId, userId),
      };
    });
    return registered ?? this.decoyRegistration(user, { organizationName: organizationName.trim(), name: name.trim(), email });
  }

  /**
   * The answer to a registration of a taken address: shaped as a new organization's (the column
   * defaults of `organization` and `app_user`), for ids that exist nowhere, with decoy tokens.
   */
  private async decoyRegistration(
    user: { id: string; orgId: string; role: string },
    input: { organizationName: string; name: string; email: string },
  ): Promise<RegisterResponse> {
    const now = new Date();
    const tokens = await this.sessions.decoyTokens(user);
    return {
      ...tokens,
      organization: toOrganizationView({
        id: user.orgId,
        name: input.organizationName,
        display_name: null,
        logo_url: null,
        primary_color: null,
        secondary_color: null,
        affiliate_rate_bps: 0,
        mfa_required_roles: [],
        session_lifetime_minutes: 43_200,
        public_form_key: `pfk_${randomToken(18)}`,
        created_at: now,
        updated_at: now,
      }),
      user: toUserView({
        id: user.id,
        org_id: user.orgId,
        email: input.email,
        name: input.name,
        phone: null,
        role: user.role,
        status: 'active',
        timezone: 'UTC',
        language: 'en-US',
        notification_preferences: { email: true, sms: false, inApp: true },
        mfa_enabled: false,
        email_verified_at: null,
        last_login_at: null,
        created_at: now,
        updated_at: now,
        team_ids: [],
      }),
    };
  }

  /**
   * Client self-registration (`POST /v1/public/clients/register`): a `client` user of the
   * organization, active with the password, and an email verification sent. The user is the crm
   * contact `contactId` (kept in `app_user.contact_id`, so that `crm.contact.erased` erases the
   * user), but sees it only once the link is made: at once when the crm created the contact for
   * this registration (`contactCreated`, `contactId` on `identity.user.created`), otherwise when the
   * address is verified (`identity.user.contact_linked`, see `verifyEmail`), so a stranger who
   * registers with someone's address sees nothing of their contact (issue 13 item 2).
   *
   * An address that already has an account is answered the same way as a new one (fresh ids that
   * exist nowhere), and its owner is told by email (`security_notice`, reason
   * `registration_attempt`); nothing is stored and no event is emitted for it.
   *
   * @throws DomainException 404 `FORM_KEY_UNKNOWN`; 422 `WEAK_PASSWORD`.
   */
  @RpcHandler(IdentityAuthSubjects.registerClient)
  async registerClient(envelope: RequestEnvelope<RegisterClientRequest>): Promise<RegisterClientResponse> {
    const { orgId, contactId, contactCreated, name, password } = envelope.data;
    const email = envelope.data.email.trim();
    this.passwords.assertAcceptable(password, email);
    const passwordHash = await this.passwords.hash(password);
    const id = newId();
    const registered = await this.unitOfWork.run(selfContext(envelope, { id, orgId, role: 'client' }, envelope.data), async (unit) => {
      const manager = unit.manager;
      const db = kyselyFor<IdentityDb>(manager);
      const org = await db.selectFrom('organization').select('id').where('id', '=', orgId).executeTakeFirst();
      if (!org) throw DomainException.notFound('FORM_KEY_UNKNOWN', 'Form key');
      const existing = await db
        .selectFrom('app_user')
        .select(['id', 'org_id', 'email', 'name'])
        .where('email', '=', email)
        .executeTakeFirst();
      if (existing) {
        await this.email.send(manager, {
          orgId: existing.org_id,
          to: existing.email,
          subject: 'Someone tried to register with your email address',
          text:
            `Hello ${existing.name},\n\nSomeone tried to register on a brokerage's client portal on Keyhouse with this email ` +
            `address, which already has an account. If it was you, sign in instead, or reset your password if you forgot it:\n` +
            `${this.config.IDENTITY_PUBLIC_APP_URL}/sign-in\n\nIf it was not you, you can ignore this message: nothing has changed.`,
          template: 'security_notice',
          variables: { reason: 'registration_attempt' },
        });
        return false;
      }
      await db
        .insertInto('app_user')
        .values({
          id,
          org_id: orgId,
          email,
          name: name.trim(),
          password_hash: passwordHash,
          role: 'client',
          status: 'active',
          contact_id: contactId,
        })
        .execute();
      await unit.emit(IdentityEvent.userCreated, id, orgId, {
        userId: id,
        email,
        name: name.trim(),
        role: 'client',
        status: 'active',
        teamIds: [],
        ...(contactCreated ? { contactId } : {}),
      });
      await this.sendVerification(manager, { id, orgId, email, name: name.trim() });
      return true;
    });
    return registered ? { userId: id, contactId } : { userId: id, contactId: newId() };
  }

  /**
   * Password login: tokens, or `{ mfaRequired, mfaToken }` when 2FA is on. Throttled per address and
   * client IP, then per address (`LoginThrottleService`); a valid `unlockToken` (the emailed sign-in
   * link) skips the throttle, and the login it lets in spends it. Emits `identity.login.succeeded` /
   * `identity.login.failed` (and `identity.login.locked_out` when a limit engages for an account,
   * whose owner is then emailed a sign-in link unless a live one was sent).
   *
   * @throws DomainException 401 `INVALID_CREDENTIALS` (the same whether or not the email exists);
   *   429 `ACCOUNT_LOCKED` with `retryAfterSeconds`.
   */
  @RpcHandler(IdentityAuthSubjects.login)
  async login(envelope: RequestEnvelope<LoginRequest>): Promise<LoginResponse> {
    const email = envelope.data.email.trim().toLowerCase();
    const ip = envelope.data.ip ?? null;
    const unlock = envelope.data.unlockToken ? await this.throttle.unlockToken(email, envelope.data.unlockToken) : null;
    if (!unlock) {
      const lock = await this.throttle.check(email, ip);
      if (lock.locked) {
        await this.unitOfWork.run(envelope, async (unit) => {
          await unit.emit(IdentityEvent.loginFailed, email, lock.orgId ?? NIL_ORG, {
            userId: lock.userId,
            email,
            reason: 'locked',
            method: 'password',
            ip: envelope.data.ip,
            userAgent: envelope.data.userAgent,
          });
        });
        throw accountLocked(lock.retryAfterSeconds);
      }
    }
    const user = await kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('app_user')
      .select(LOGIN_USER_COLUMNS)
      .where('email', '=', email)
      .executeTakeFirst();
    const passwordOk = await this.passwords.verify(user?.password_hash ?? null, envelope.data.password);
    if (!user || !passwordOk || user.status !== 'active') {
      const lock = await this.recordFailure(envelope, email, user ?? null, passwordOk ? 'deactivated' : 'bad_credentials', unlock);
      if (lock.locked && !unlock) throw accountLocked(lock.retryAfterSeconds);
      throw invalidCredentials();
    }
    if (this.passwords.needsRehash(user.password_hash!)) {
      await kyselyFor<IdentityDb>(this.dataSource)
        .updateTable('app_user')
        .set({ password_hash: await this.passwords.hash(envelope.data.password) })
        .where('id', '=', user.id)
        .execute();
    }
    if (user.mfa_enabled) {
      const mfaToken = await this.unitOfWork.run(envelope, async (unit) => {
        if (unlock) await this.oneTimeTokens.consume(unit.manager, unlock.id);
        return this.oneTimeTokens.issue(unit.manager, user.id, 'mfa_login');
      });
      return { mfaRequired: true, mfaToken };
    }
    return this.completeLogin(envelope, user, 'password', unlock?.id);
  }

  /**
   * Second login step: the `mfaToken` of `login` and a TOTP or recovery code → tokens. Wrong codes
   * count against the token (burned at five) and against the account's limit (`MfaService.checkWithinLimit`).
   *
   * @throws DomainException 401 `INVALID_MFA_TOKEN` (expired or burned); 401 `INVALID_MFA_CODE`;
   *   429 `MFA_LOCKED` with `retryAfterSeconds`.
   */
  @RpcHandler(IdentityAuthSubjects.mfaVerify)
  async verifyMfa(envelope: RequestEnvelope<MfaVerifyRequest>): Promise<TokenPair> {
    const outcome = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const token = await this.oneTimeTokens.find(manager, envelope.data.mfaToken, ['mfa_login']);
      if (!token) {
        throw new DomainException('unauthenticated', IdentityErrorCode.InvalidMfaToken, 'The sign-in step has expired; sign in again');
      }
      const user = await kyselyFor<IdentityDb>(manager)
        .selectFrom('app_user')
        .select(LOGIN_USER_COLUMNS)
        .where('id', '=', token.userId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      actAs(unit, { id: user.id, orgId: user.org_id, role: user.role }, envelope.data);
      const result = await this.mfa.checkWithinLimit(unit, user, envelope.data.code, 'any');
      if (!result.valid) {
        if (result.evaluated) await this.oneTimeTokens.recordFailure(manager, token.id);
        await unit.emit(IdentityEvent.loginFailed, user.id, user.org_id, {
          userId: user.id,
          reason: result.evaluated ? 'mfa_failed' : 'locked',
          method: 'mfa',
          ip: envelope.data.ip,
          userAgent: envelope.data.userAgent,
        });
        if (result.replay) {
          await unit.emit(IdentityEvent.mfaCodeReused, user.id, user.org_id, { userId: user.id });
        }
        return { ok: false as const, refusal: result.refusal };
      }
      await this.oneTimeTokens.consume(manager, token.id);
      return { ok: true as const, user, method: result.check.method === 'totp' ? ('mfa' as const) : ('recovery_code' as const) };
    });
    if (!outcome.ok) throw outcome.refusal;
    return this.completeLogin(envelope, outcome.user, outcome.method);
  }

  /**
   * Rotates a refresh token. A spent token ends its whole session (revocations broadcast after
   * commit) and emits `identity.session.refresh_token_reused`.
   *
   * @throws DomainException 401 `INVALID_REFRESH_TOKEN`; 401 `REFRESH_TOKEN_REUSED`.
   */
  @RpcHandler(IdentityAuthSubjects.refresh)
  async refresh(envelope: RequestEnvelope<RefreshRequest>): Promise<TokenPair> {
    const result = await this.sessions.rotate(envelope.data.refreshToken, envelope.data);
    if (result.kind === 'reused') {
      const context = selfContext(envelope, { id: result.userId, orgId: result.orgId, role: 'unknown' }, envelope.data);
      await this.unitOfWork.run(context, async (unit) => {
        await unit.emit(IdentityEvent.refreshTokenReused, result.userId, result.orgId, {
          userId: result.userId,
          sessionId: result.familyId,
          ip: envelope.data.ip,
          userAgent: envelope.data.userAgent,
        });
        unit.afterCommit(() => this.revocations.broadcast(result.revocations));
      });
      throw new DomainException(
        'unauthenticated',
        IdentityErrorCode.RefreshTokenReused,
        'This refresh token was already used; the session has been ended',
      );
    }
    return result.tokens;
  }

  /**
   * Ends a session (the refresh token's, else the caller's): its tokens are revoked and the
   * revocations broadcast after commit; emits `identity.session.revoked`.
   *
   * @throws DomainException 401 `INVALID_REFRESH_TOKEN` for a token that is not the caller's.
   */
  @RpcHandler(IdentityAuthSubjects.logout)
  async logout(envelope: RequestEnvelope<LogoutRequest>): Promise<void> {
    const actor = requireUserSession(envelope.actor);
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      let familyId = actor.sessionId;
      if (envelope.data.refreshToken) {
        const family = await this.sessions.familyOf(manager, envelope.data.refreshToken);
        if (!family || family.userId !== actor.userId) throw invalidRefreshToken();
        familyId = family.familyId;
      }
      if (!familyId) return;
      const revoked = await this.sessions.revokeFamily(manager, familyId);
      await unit.emit(IdentityEvent.sessionRevoked, actor.userId!, actor.orgId, {
        userId: actor.userId!,
        sessionId: familyId,
        reason: 'logout',
      });
      unit.afterCommit(() => this.revocations.broadcast(revoked));
    });
  }

  /**
   * Emails a reset link to an active account and emits `identity.password.reset_requested` (the
   * user as actor). Always succeeds (202 at the gateway) so that it reveals nothing about which
   * emails exist.
   */
  @RpcHandler(IdentityAuthSubjects.passwordResetRequest)
  async requestPasswordReset(envelope: RequestEnvelope<PasswordResetRequest>): Promise<void> {
    const email = envelope.data.email.trim().toLowerCase();
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const user = await kyselyFor<IdentityDb>(manager)
        .selectFrom('app_user')
        .select(['id', 'org_id', 'name', 'email', 'role', 'status'])
        .where('email', '=', email)
        .executeTakeFirst();
      if (!user || user.status !== 'active') return;
      const token = await this.oneTimeTokens.issue(manager, user.id, 'password_reset');
      const link = `${this.config.IDENTITY_PUBLIC_APP_URL}/reset-password?token=${token}`;
      await this.email.send(manager, {
        orgId: user.org_id,
        to: user.email,
        subject: 'Reset your Keyhouse password',
        text: `Hello ${user.name},\n\nUse this link within 60 minutes to choose a new password:\n${link}\n\nIf you did not ask for this, ignore this message.`,
        template: 'password_reset',
        variables: {},
        secrets: { token, link },
      });
      actAs(unit, { id: user.id, orgId: user.org_id, role: user.role });
      await unit.emit(IdentityEvent.passwordResetRequested, user.id, user.org_id, { userId: user.id });
    });
  }

  /**
   * Sets a new password from a reset or invitation token (an invited user becomes active and
   * verified); ends every session of the user and emits `identity.password.changed`.
   *
   * @throws DomainException 422 `INVALID_TOKEN`; 422 `WEAK_PASSWORD`.
   */
  @RpcHandler(IdentityAuthSubjects.passwordResetConfirm)
  async confirmPasswordReset(envelope: RequestEnvelope<PasswordResetConfirmRequest>): Promise<void> {
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const token = await this.oneTimeTokens.find(manager, envelope.data.token, ['password_reset', 'invitation']);
      if (!token) throw invalidToken();
      const db = kyselyFor<IdentityDb>(manager);
      const user = await db
        .selectFrom('app_user')
        .select(['id', 'org_id', 'email', 'role', 'status'])
        .where('id', '=', token.userId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (user.status === 'deactivated') throw invalidToken();
      this.passwords.assertAcceptable(envelope.data.newPassword, user.email, 'newPassword');
      const hash = await this.passwords.hash(envelope.data.newPassword);
      const invitation = token.purpose === 'invitation';
      await db
        .updateTable('app_user')
        .set((eb) => ({
          password_hash: hash,
          status: 'active',
          updated_at: sql<Date>`now()`,
          // Accepting an invitation proves the address: the link was sent to it.
          ...(invitation ? { email_verified_at: eb.fn.coalesce('email_verified_at', sql<Date>`now()`) } : {}),
        }))
        .where('id', '=', user.id)
        .execute();
      await this.oneTimeTokens.consume(manager, token.id);
      const revoked = await this.sessions.revokeAllSessions(manager, user.id);
      actAs(unit, { id: user.id, orgId: user.org_id, role: user.role });
      await unit.emit(IdentityEvent.passwordChanged, user.id, user.org_id, { userId: user.id, via: invitation ? 'invitation' : 'reset' });
      unit.afterCommit(() => this.revocations.broadcast(revoked));
    });
  }

  /**
   * Changes the caller's password; by default ends their other sessions (ASVS 5.0 7.4.3),
   * broadcasting the revocations after commit; emits `identity.password.changed`.
   *
   * @throws DomainException 401 `INVALID_CREDENTIALS` (wrong current password); 422 `WEAK_PASSWORD`.
   */
  @RpcHandler(IdentityAuthSubjects.passwordChange)
  async changePassword(envelope: RequestEnvelope<PasswordChangeRequest>): Promise<void> {
    const actor = requireUserSession(envelope.actor);
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const db = kyselyFor<IdentityDb>(manager);
      const user = await db
        .selectFrom('app_user')
        .select(['id', 'email', 'password_hash'])
        .where('id', '=', actor.userId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (!(await this.passwords.verify(user.password_hash, envelope.data.currentPassword))) throw invalidCredentials();
      this.passwords.assertAcceptable(envelope.data.newPassword, user.email, 'newPassword');
      await db
        .updateTable('app_user')
        .set({ password_hash: await this.passwords.hash(envelope.data.newPassword), updated_at: sql<Date>`now()` })
        .where('id', '=', user.id)
        .execute();
      const revoked =
        envelope.data.logoutOtherSessions === false ? [] : await this.sessions.revokeAllSessions(manager, user.id, actor.sessionId);
      await unit.emit(IdentityEvent.passwordChanged, user.id, actor.orgId, {
        userId: user.id,
        via: 'change',
        otherSessionsEnded: envelope.data.logoutOtherSessions !== false,
      });
      unit.afterCommit(() => this.revocations.broadcast(revoked));
    });
  }

  /**
   * Confirms the email address of the verification token's user; emits
   * `identity.user.email_verified` (the user as actor) and, for a self-registered client user,
   * `identity.user.contact_linked` (the crm then links the user to their contact).
   *
   * @throws DomainException 422 `INVALID_TOKEN`.
   */
  @RpcHandler(IdentityAuthSubjects.emailVerify)
  async verifyEmail(envelope: RequestEnvelope<EmailVerifyRequest>): Promise<void> {
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const token = await this.oneTimeTokens.find(manager, envelope.data.token, ['email_verification']);
      if (!token) throw invalidToken();
      const user = await kyselyFor<IdentityDb>(manager)
        .updateTable('app_user')
        .set((eb) => ({ email_verified_at: eb.fn.coalesce('email_verified_at', sql<Date>`now()`), updated_at: sql<Date>`now()` }))
        .where('id', '=', token.userId)
        .returning(['id', 'org_id', 'role', 'contact_id'])
        .executeTakeFirstOrThrow();
      await this.oneTimeTokens.consume(manager, token.id);
      actAs(unit, { id: user.id, orgId: user.org_id, role: user.role });
      await unit.emit(IdentityEvent.emailVerified, user.id, user.org_id, { userId: user.id });
      if (user.role === 'client' && user.contact_id) {
        // The address is proven: the self-registered client may now see the contact they are.
        await unit.emit(IdentityEvent.userContactLinked, user.id, user.org_id, {
          userId: user.id,
          contactId: user.contact_id,
          via: 'email_verification',
        });
      }
    });
  }

  /** Issues an email-verification token and records the message (used at registration and creation). */
  async sendVerification(manager: EntityManager, user: { id: string; orgId: string; email: string; name: string }): Promise<void> {
    const token = await this.oneTimeTokens.issue(manager, user.id, 'email_verification');
    const link = `${this.config.IDENTITY_PUBLIC_APP_URL}/verify-email?token=${token}`;
    await this.email.send(manager, {
      orgId: user.orgId,
      to: user.email,
      subject: 'Confirm your email address',
      text: `Hello ${user.name},\n\nConfirm your email address for Keyhouse:\n${link}`,
      template: 'email_verification',
      variables: {},
      secrets: { token, link },
    });
  }

  private async completeLogin(
    envelope: RequestEnvelope<{ ip?: string; userAgent?: string }>,
    user: LoginUser,
    method: 'password' | 'mfa' | 'recovery_code',
    unlockTokenId?: string,
  ): Promise<TokenPair> {
    const context = selfContext(envelope, { id: user.id, orgId: user.org_id, role: user.role }, envelope.data);
    return this.unitOfWork.run(context, async (unit) => {
      const manager = unit.manager;
      const db = kyselyFor<IdentityDb>(manager);
      if (unlockTokenId) await this.oneTimeTokens.consume(manager, unlockTokenId);
      await db
        .insertInto('login_attempt')
        .columns(['id', 'email', 'user_id', 'succeeded', 'ip'])
        .expression((eb) =>
          eb
            .selectFrom('app_user')
            .select([
              eb.val(newId()).as('id'),
              'email',
              'id as user_id',
              eb.lit(true).as('succeeded'),
              eb.val(envelope.data.ip ?? null).as('ip'),
            ])
            .where('id', '=', user.id),
        )
        .execute();
      await db
        .updateTable('app_user')
        .set({ last_login_at: sql<Date>`now()` })
        .where('id', '=', user.id)
        .execute();
      await unit.emit(IdentityEvent.loginSucceeded, user.id, user.org_id, {
        userId: user.id,
        method,
        ip: envelope.data.ip,
        userAgent: envelope.data.userAgent,
      });
      return this.sessions.start(
        manager,
        { id: user.id, orgId: user.org_id, role: user.role, mfaEnabled: user.mfa_enabled },
        envelope.data,
      );
    });
  }

  /**
   * Records a failed password login (and a failure against the sign-in link token it came with),
   * then answers the address's throttle for this IP. When a limit has just engaged for an account
   * (no token in play): emits `identity.login.locked_out` and, for an active account without a
   * live sign-in link, emails one (template `login_unlock`).
   */
  private async recordFailure(
    envelope: RequestEnvelope<LoginRequest>,
    email: string,
    user: LoginUser | null,
    reason: 'bad_credentials' | 'deactivated',
    unlock: { id: string } | null,
  ): Promise<{ locked: boolean; retryAfterSeconds: number }> {
    await this.unitOfWork.run(envelope, async (unit) => {
      await kyselyFor<IdentityDb>(unit.manager)
        .insertInto('login_attempt')
        .values({ id: newId(), email, user_id: user?.id ?? null, succeeded: false, ip: envelope.data.ip ?? null })
        .execute();
      if (unlock) await this.oneTimeTokens.recordFailure(unit.manager, unlock.id);
      await unit.emit(IdentityEvent.loginFailed, user?.id ?? email, user?.org_id ?? NIL_ORG, {
        userId: user?.id ?? null,
        email,
        reason,
        method: 'password',
        ip: envelope.data.ip,
        userAgent: envelope.data.userAgent,
      });
    });
    const state = await this.throttle.check(email, envelope.data.ip ?? null);
    if (state.locked && user && !unlock) {
      await this.unitOfWork.run(envelope, async (unit) => {
        await unit.emit(IdentityEvent.loginLockedOut, user.id, user.org_id, {
          userId: user.id,
          email,
          lockedForSeconds: state.retryAfterSeconds,
          factor: 'password',
        });
        if (user.status === 'active') await this.sendSignInLink(unit.manager, user);
      });
    }
    return state;
  }

  /** Emails `user` a sign-in link (`login_unlock` token) unless a live one was already sent. */
  private async sendSignInLink(manager: EntityManager, user: LoginUser): Promise<void> {
    const live = await kyselyFor<IdentityDb>(manager)
      .selectFrom('one_time_token')
      .select('id')
      .where('user_id', '=', user.id)
      .where('purpose', '=', 'login_unlock')
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .where('failed_attempts', '<', MFA_TOKEN_MAX_FAILURES)
      .executeTakeFirst();
    if (live) return;
    const token = await this.oneTimeTokens.issue(manager, user.id, 'login_unlock');
    const link = `${this.config.IDENTITY_PUBLIC_APP_URL}/sign-in?unlock=${token}`;
    await this.email.send(manager, {
      orgId: user.org_id,
      to: user.email,
      subject: 'Failed sign-in attempts on your Keyhouse account',
      text:
        `Hello ${user.name},\n\nThere were several failed attempts to sign in to your Keyhouse account, so sign-ins are ` +
        `slowed down for a while. If this was you, use this link within 60 minutes to sign in with your password now:\n${link}\n\n` +
        `If it was not you, your password was not accepted; change it if you use it anywhere else.`,
      template: 'login_unlock',
      variables: { reason: 'login_throttled' },
      secrets: { token, link },
    });
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
