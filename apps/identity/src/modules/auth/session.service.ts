import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import type { Revocation, TokenPair } from '@keyhouse/contracts';
import { ACCESS_TOKEN_TTL_SECONDS } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { newId, randomToken, sha256Hex } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';
import { RolePermissionsService } from '../users/role-permissions.service';
import { RevocationService } from './revocation.service';
import { SigningKeyService } from './signing-key.service';

export interface SessionUser {
  id: string;
  orgId: string;
  role: string;
  mfaEnabled: boolean;
}

export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

/** Outcome of a refresh: new tokens, or the reuse of a spent token (its family is then revoked). */
export type RotationResult =
  | { kind: 'rotated'; tokens: TokenPair; userId: string; orgId: string; revocations: Revocation[] }
  | { kind: 'reused'; userId: string; orgId: string; familyId: string; revocations: Revocation[] };

/**
 * Login sessions. A session is a refresh-token family (its id is the `sid` claim): refresh tokens
 * are 256-bit random strings stored as SHA-256 hashes, single use and rotated on every refresh; the
 * family has an absolute lifetime (the organization's session lifetime). Presenting a spent token
 * revokes the whole family (RFC 9700 §4.14.2, refresh token rotation with reuse detection).
 */
@Injectable()
export class SessionService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly signingKeys: SigningKeyService,
    private readonly roles: RolePermissionsService,
    private readonly revocations: RevocationService,
  ) {}

  /** Starts a new session for `user` and returns its first tokens. */
  async start(manager: EntityManager, user: SessionUser, client: ClientInfo): Promise<TokenPair> {
    const { minutes } = await kyselyFor<IdentityDb>(manager)
      .selectFrom('organization')
      .select('session_lifetime_minutes as minutes')
      .where('id', '=', user.orgId)
      .executeTakeFirstOrThrow();
    const familyId = newId();
    const expiresAt = new Date(Date.now() + minutes * 60_000);
    const refreshToken = await this.insertRefreshToken(manager, user, familyId, expiresAt, client);
    return this.tokens(manager, user, familyId, refreshToken);
  }

  /**
   * Tokens shaped like `start`'s for a session that exists nowhere (the decoy answer to a
   * registration of a taken address): the access token carries the claims of `user` but is signed
   * with a key no JWKS lists, the refresh token is stored nowhere; both are refused (401).
   */
  async decoyTokens(user: Omit<SessionUser, 'mfaEnabled'>): Promise<TokenPair> {
    const permissions = await this.roles.permissionsOf(this.dataSource.manager, user.orgId, user.role);
    const accessToken = await this.signingKeys.signDecoyAccessToken({
      userId: user.id,
      orgId: user.orgId,
      role: user.role,
      teamIds: [],
      permissions: permissions ?? [],
      sessionId: newId(),
    });
    return { accessToken, refreshToken: randomToken(32), expiresIn: ACCESS_TOKEN_TTL_SECONDS, tokenType: 'Bearer' };
  }

  /** Exchanges a refresh token for new tokens; see `RotationResult`. Throws 401 for unknown tokens. */
  async rotate(refreshToken: string, client: ClientInfo): Promise<RotationResult> {
    return this.dataSource.transaction(async (manager) => {
      const db = kyselyFor<IdentityDb>(manager);
      const row = await db
        .selectFrom('refresh_token as rt')
        .innerJoin('app_user as u', 'u.id', 'rt.user_id')
        .select([
          'rt.id',
          'rt.family_id',
          'rt.expires_at',
          'rt.used_at',
          'rt.revoked_at',
          'u.id as user_id',
          'u.org_id',
          'u.role',
          'u.status',
          'u.mfa_enabled',
        ])
        .where('rt.token_hash', '=', sha256Hex(refreshToken))
        .forUpdate('rt')
        .executeTakeFirst();
      if (!row || row.revoked_at || row.expires_at.getTime() <= Date.now() || row.status !== 'active') {
        throw invalidRefreshToken();
      }
      if (row.used_at) {
        const revocations = await this.revokeFamily(manager, row.family_id);
        return { kind: 'reused', userId: row.user_id, orgId: row.org_id, familyId: row.family_id, revocations };
      }
      await db
        .updateTable('refresh_token')
        .set({ used_at: sql<Date>`now()` })
        .where('id', '=', row.id)
        .execute();
      const user: SessionUser = { id: row.user_id, orgId: row.org_id, role: row.role, mfaEnabled: row.mfa_enabled };
      const next = await this.insertRefreshToken(manager, user, row.family_id, row.expires_at, client);
      const tokens = await this.tokens(manager, user, row.family_id, next);
      return { kind: 'rotated', tokens, userId: row.user_id, orgId: row.org_id, revocations: [] };
    });
  }

  /** Revokes one session: its refresh tokens and its access tokens. */
  async revokeFamily(manager: EntityManager, familyId: string): Promise<Revocation[]> {
    await kyselyFor<IdentityDb>(manager)
      .updateTable('refresh_token')
      .set({ revoked_at: sql<Date>`now()` })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .execute();
    return [await this.revocations.revokeSession(manager, familyId)];
  }

  /** Family id of a refresh token, or null. */
  async familyOf(manager: EntityManager, refreshToken: string): Promise<{ familyId: string; userId: string } | null> {
    const row = await kyselyFor<IdentityDb>(manager)
      .selectFrom('refresh_token')
      .select(['family_id', 'user_id'])
      .where('token_hash', '=', sha256Hex(refreshToken))
      .executeTakeFirst();
    return row ? { familyId: row.family_id, userId: row.user_id } : null;
  }

  /**
   * Ends every session of `userId` except `keepFamilyId`. Access tokens of other sessions are
   * revoked per session, so the kept session's current access token stays valid.
   */
  async revokeAllSessions(manager: EntityManager, userId: string, keepFamilyId?: string): Promise<Revocation[]> {
    let query = kyselyFor<IdentityDb>(manager)
      .selectFrom('refresh_token')
      .select('family_id')
      .distinct()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`);
    if (keepFamilyId) query = query.where('family_id', '<>', keepFamilyId);
    const families = await query.execute();
    const revocations: Revocation[] = [];
    for (const { family_id } of families) revocations.push(...(await this.revokeFamily(manager, family_id)));
    if (!keepFamilyId) revocations.push(await this.revocations.revokeUser(manager, userId));
    return revocations;
  }

  private async insertRefreshToken(
    manager: EntityManager,
    user: SessionUser,
    familyId: string,
    expiresAt: Date,
    client: ClientInfo,
  ): Promise<string> {
    const token = randomToken(32);
    await kyselyFor<IdentityDb>(manager)
      .insertInto('refresh_token')
      .values({
        id: newId(),
        org_id: user.orgId,
        user_id: user.id,
        family_id: familyId,
        token_hash: sha256Hex(token),
        expires_at: expiresAt,
        ip: client.ip ?? null,
        user_agent: client.userAgent?.slice(0, 512) ?? null,
      })
      .execute();
    return token;
  }

  private async tokens(manager: EntityManager, user: SessionUser, familyId: string, refreshToken: string): Promise<TokenPair> {
    // One after the other: a transaction is one connection, which runs one query at a time anyway
    // (node-postgres deprecates queueing several on one client).
    const permissions = await this.roles.permissionsOf(manager, user.orgId, user.role);
    const teamIds = await this.roles.teamIdsOf(manager, user.id);
    const org = await kyselyFor<IdentityDb>(manager)
      .selectFrom('organization')
      .select('mfa_required_roles')
      .where('id', '=', user.orgId)
      .executeTakeFirstOrThrow();
    const enrollmentRequired = !user.mfaEnabled && org.mfa_required_roles.includes(user.role);
    const accessToken = await this.signingKeys.signAccessToken({
      userId: user.id,
      orgId: user.orgId,
      role: user.role,
      teamIds,
      permissions: enrollmentRequired ? [] : (permissions ?? []),
      sessionId: familyId,
    });
    return {
      accessToken,
      refreshToken,
      expiresIn: ACCESS_TOKEN_TTL_SECONDS,
      tokenType: 'Bearer',
      ...(enrollmentRequired ? { mfaEnrollmentRequired: true as const } : {}),
    };
  }
}

export function invalidRefreshToken(): DomainException {
  return new DomainException('unauthenticated', IdentityErrorCode.InvalidRefreshToken, 'The refresh token is not valid');
}
