import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IdentityEvent,
  IdentityUserSubjects,
  type Actor,
  type IdRequest,
  type Page,
  type RequestEnvelope,
  type Revocation,
  type UpdateMeRequest,
  type UserCreateRequest,
  type UserListRequest,
  type UserUpdateRequest,
  type UserView,
} from '@keyhouse/contracts';
import { requireScope, requireUserSession } from '@keyhouse/platform/auth';
import { keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { IdentityErrorCode } from '../../identity.exception';
import { OneTimeTokenService } from '../auth/one-time-token.service';
import { PasswordService } from '../auth/password.service';
import { RevocationService } from '../auth/revocation.service';
import { SessionService } from '../auth/session.service';
import { EMAIL_SENDER, type EmailSender } from '../mail/email-sender.port';
import { escapeLike, pageOrThrow } from '../list-query.util';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import { RolePermissionsService } from './role-permissions.service';
import { toUserView, USER_VIEW_COLUMNS, UserQueries, type UserRow } from './user.queries';

/**
 * User accounts of an organization: the caller's own profile, and administration (create or
 * invite, list, read, update, deactivate). Role and team changes and deactivation revoke the user's
 * current access tokens so new rights apply on the next request (ASVS 5.0 8.3.2); deactivation also
 * ends every session. Only an owner can give or take the `owner` role or change an owner.
 */
@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(IDENTITY_CONFIG) private readonly config: IdentityConfig,
    @Inject(EMAIL_SENDER) private readonly email: EmailSender,
    private readonly queries: UserQueries,
    private readonly passwords: PasswordService,
    private readonly roles: RolePermissionsService,
    private readonly sessions: SessionService,
    private readonly revocations: RevocationService,
    private readonly oneTimeTokens: OneTimeTokenService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** The caller's own profile (404 `USER_NOT_FOUND` for an API key's actor). */
  @RpcHandler(IdentityUserSubjects.getMe)
  getMe(envelope: RequestEnvelope<Record<string, never>>): Promise<UserView> {
    const actor = requireUserSession(envelope.actor);
    return this.queries.me(actor.userId, actor.orgId);
  }

  /** Updates the caller's profile and preferences; emits `identity.user.updated` when something changed. */
  @RpcHandler(IdentityUserSubjects.updateMe)
  async updateMe(envelope: RequestEnvelope<UpdateMeRequest>): Promise<UserView> {
    const actor = requireUserSession(envelope.actor);
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.queries.view(manager, actor.orgId, actor.userId!);
      const data = envelope.data;
      const preferences = data.notificationPreferences ? { ...before.notificationPreferences, ...data.notificationPreferences } : undefined;
      const changes = await this.applyProfile(manager, before, {
        name: data.name,
        phone: data.phone,
        timezone: data.timezone,
        language: data.language,
        notificationPreferences: preferences,
      });
      if (Object.keys(changes).length > 0) {
        await unit.emit(IdentityEvent.userUpdated, before.id, actor.orgId, {
          userId: before.id,
          changes,
        });
      }
      return this.queries.view(manager, actor.orgId, actor.userId!);
    });
  }

  /**
   * Creates a user: active with a password, else invited by email; emits `identity.user.created`.
   *
   * @throws DomainException 403 `OWNER_PROTECTED`; 409 `EMAIL_TAKEN`; 422 `UNKNOWN_ROLE`,
   *   `INVALID_REFERENCE` (team), `WEAK_PASSWORD`.
   */
  @RpcHandler(IdentityUserSubjects.create)
  async create(envelope: RequestEnvelope<UserCreateRequest>): Promise<UserView> {
    const actor = envelope.actor!;
    requireScope(actor, 'users:write', 'org');
    const data = envelope.data;
    const email = data.email.trim();
    if (data.role === 'owner' && actor.role !== 'owner') throw ownerProtected();
    if (data.password) this.passwords.assertAcceptable(data.password, email);
    const passwordHash = data.password ? await this.passwords.hash(data.password) : null;
    return this.unitOfWork.run(envelope, async (unit) => {
      const view = await this.insertUser(unit, actor.orgId, {
        email,
        name: data.name.trim(),
        role: data.role,
        passwordHash,
        teamIds: data.teamIds ?? [],
        phone: data.phone ?? null,
        timezone: data.timezone,
        language: data.language,
      });
      return view;
    });
  }

  /**
   * Inserts a user (active with a password, else invited with an invitation email) and its team
   * memberships, validating role and teams, in `unit`, and emits `identity.user.created`. Shared by
   * `create` and agent creation.
   */
  async insertUser(
    unit: UnitOfWorkContext,
    orgId: string,
    input: {
      email: string;
      name: string;
      role: string;
      passwordHash: string | null;
      teamIds: string[];
      phone: string | null;
      timezone?: string;
      language?: string;
    },
  ): Promise<UserView> {
    const manager = unit.manager;
    await this.queries.assertEmailFree(manager, input.email);
    await this.assertRole(manager, orgId, input.role);
    await this.assertTeams(manager, orgId, input.teamIds);
    const userId = newId();
    const status = input.passwordHash ? 'active' : 'invited';
    await manager.query(
      `INSERT INTO app_user (id, org_id, email, name, phone, password_hash, role, status, timezone, language)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        userId,
        orgId,
        input.email,
        input.name,
        input.phone,
        input.passwordHash,
        input.role,
        status,
        input.timezone ?? 'UTC',
        input.language ?? 'en-US',
      ],
    );
    for (const teamId of new Set(input.teamIds)) {
      await manager.query(`INSERT INTO team_member (team_id, user_id, org_id) VALUES ($1, $2, $3)`, [teamId, userId, orgId]);
    }
    if (status === 'invited') {
      const token = await this.oneTimeTokens.issue(manager, userId, 'invitation');
      const link = `${this.config.IDENTITY_PUBLIC_APP_URL}/accept-invitation?token=${token}`;
      await this.email.send(manager, {
        orgId,
        to: input.email,
        subject: 'You have been invited to Keyhouse',
        text: `Hello ${input.name},\n\nYou have been invited to Keyhouse. Choose your password within 7 days:\n${link}`,
        template: 'invitation',
        variables: { token, link },
      });
    }
    await unit.emit(IdentityEvent.userCreated, userId, orgId, {
      userId,
      email: input.email,
      name: input.name,
      role: input.role,
      status,
      teamIds: [...new Set(input.teamIds)].sort(),
    });
    return this.queries.view(manager, orgId, userId);
  }

  /** Users of the organization visible at the caller's `users:read` scope, by creation (keyset page). */
  @RpcHandler(IdentityUserSubjects.list)
  async list(envelope: RequestEnvelope<UserListRequest>): Promise<Page<UserView>> {
    const actor = envelope.actor!;
    const data = envelope.data;
    const params: unknown[] = [actor.orgId];
    const where: string[] = ['u.org_id = $1'];
    const visibility = this.queries.visibility(actor, 'users:read', params.length + 1);
    where.push(visibility.sql);
    params.push(...visibility.params);
    if (data.role) {
      params.push(data.role);
      where.push(`u.role = $${params.length}`);
    }
    if (data.status) {
      params.push(data.status);
      where.push(`u.status = $${params.length}`);
    }
    if (data.teamId) {
      params.push(data.teamId);
      where.push(`u.id IN (SELECT user_id FROM team_member WHERE team_id = $${params.length})`);
    }
    if (data.q) {
      params.push(`%${escapeLike(data.q)}%`);
      where.push(`(u.name ILIKE $${params.length} OR u.email::text ILIKE $${params.length})`);
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'u.created_at',
        idColumn: 'u.id',
        direction: 'ASC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT ${USER_VIEW_COLUMNS} FROM app_user u WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as UserRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toUserView);
  }

  /** A user visible to the caller (404 `USER_NOT_FOUND` otherwise). */
  @RpcHandler(IdentityUserSubjects.get)
  async get(envelope: RequestEnvelope<IdRequest>): Promise<UserView> {
    const actor = envelope.actor!;
    await this.queries.assertVisible(this.dataSource.manager, actor, 'users:read', envelope.data.id);
    return this.queries.view(null, actor.orgId, envelope.data.id);
  }

  /**
   * Updates profile, role, teams or reactivates; emits `identity.user.role_changed`,
   * `identity.user.teams_changed`, `identity.user.updated` and broadcasts the revocations after commit.
   *
   * @throws DomainException 404 `USER_NOT_FOUND`; 403 `OWNER_PROTECTED`; 409 `CANNOT_CHANGE_OWN_ROLE`;
   *   422 `UNKNOWN_ROLE`, `INVALID_REFERENCE`.
   */
  @RpcHandler(IdentityUserSubjects.update)
  async update(envelope: RequestEnvelope<UserUpdateRequest>): Promise<UserView> {
    const actor = envelope.actor!;
    requireScope(actor, 'users:write', 'org');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const revocations: Revocation[] = [];
      const before = await this.lockedView(manager, actor.orgId, data.id);
      this.assertMayChange(actor, before, data.role);
      const changes = await this.applyProfile(manager, before, {
        name: data.name,
        phone: data.phone,
        timezone: data.timezone,
        language: data.language,
      });
      if (data.status === 'active' && before.status === 'deactivated') {
        await manager.query(
          `UPDATE app_user SET status = CASE WHEN password_hash IS NULL THEN 'invited' ELSE 'active' END,
                               deactivated_at = NULL, updated_at = now() WHERE id = $1`,
          [before.id],
        );
        changes.status = { from: 'deactivated', to: 'active' };
      }
      if (data.role !== undefined && data.role !== before.role) {
        await this.assertRole(manager, actor.orgId, data.role);
        await manager.query(`UPDATE app_user SET role = $2, updated_at = now() WHERE id = $1`, [before.id, data.role]);
        await unit.emit(IdentityEvent.userRoleChanged, before.id, actor.orgId, {
          userId: before.id,
          from: before.role,
          to: data.role,
        });
        revocations.push(await this.revocations.revokeUser(manager, before.id));
      }
      if (data.teamIds !== undefined) {
        const next = [...new Set(data.teamIds)].sort();
        if (next.join() !== [...before.teamIds].sort().join()) {
          await this.assertTeams(manager, actor.orgId, next);
          await manager.query(`DELETE FROM team_member WHERE user_id = $1`, [before.id]);
          for (const teamId of next) {
            await manager.query(`INSERT INTO team_member (team_id, user_id, org_id) VALUES ($1, $2, $3)`, [teamId, before.id, actor.orgId]);
          }
          await unit.emit(IdentityEvent.userTeamsChanged, before.id, actor.orgId, {
            userId: before.id,
            from: before.teamIds,
            to: next,
          });
          revocations.push(await this.revocations.revokeUser(manager, before.id));
        }
      }
      if (Object.keys(changes).length > 0) {
        await unit.emit(IdentityEvent.userUpdated, before.id, actor.orgId, { userId: before.id, changes });
      }
      unit.afterCommit(() => this.revocations.broadcast(revocations));
      return this.queries.view(manager, actor.orgId, before.id);
    });
  }

  /**
   * Deactivates a user: cannot log in, sessions and tokens revoked (broadcast after commit),
   * history kept; emits `identity.user.deactivated` unless already deactivated.
   *
   * @throws DomainException 409 `CANNOT_DEACTIVATE_SELF`; 404 `USER_NOT_FOUND`; 403 `OWNER_PROTECTED`.
   */
  @RpcHandler(IdentityUserSubjects.deactivate)
  async deactivate(envelope: RequestEnvelope<IdRequest>): Promise<UserView> {
    const actor = envelope.actor!;
    requireScope(actor, 'users:write', 'org');
    if (envelope.data.id === actor.userId) {
      throw new DomainException('conflict', 'CANNOT_DEACTIVATE_SELF', 'You cannot deactivate your own account');
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.lockedView(manager, actor.orgId, envelope.data.id);
      this.assertMayChange(actor, before, undefined);
      if (before.status !== 'deactivated') {
        await manager.query(`UPDATE app_user SET status = 'deactivated', deactivated_at = now(), updated_at = now() WHERE id = $1`, [
          before.id,
        ]);
        const revocations = await this.sessions.revokeAllSessions(manager, before.id);
        await unit.emit(IdentityEvent.userDeactivated, before.id, actor.orgId, {
          userId: before.id,
        });
        unit.afterCommit(() => this.revocations.broadcast(revocations));
      }
      return this.queries.view(manager, actor.orgId, before.id);
    });
  }

  async assertRole(manager: EntityManager, orgId: string, role: string): Promise<void> {
    if ((await this.roles.permissionsOf(manager, orgId, role)) === null) {
      throw new DomainException('validation', IdentityErrorCode.UnknownRole, `Unknown role "${role}"`, [
        { field: 'role', message: 'is not a role of this organization' },
      ]);
    }
  }

  async assertTeams(manager: EntityManager, orgId: string, teamIds: string[], field = 'teamIds'): Promise<void> {
    if (teamIds.length === 0) return;
    const rows = (await manager.query(`SELECT id FROM team WHERE org_id = $1 AND id = ANY($2::uuid[])`, [orgId, teamIds])) as Array<{
      id: string;
    }>;
    if (rows.length !== new Set(teamIds).size) {
      throw new DomainException('validation', IdentityErrorCode.InvalidReference, 'Unknown team', [
        { field, message: 'names a team that does not exist' },
      ]);
    }
  }

  private async lockedView(manager: EntityManager, orgId: string, userId: string): Promise<UserView> {
    const [locked] = (await manager.query(`SELECT id FROM app_user WHERE id = $1 AND org_id = $2 FOR UPDATE`, [
      userId,
      orgId,
    ])) as unknown[];
    if (!locked) throw DomainException.notFound(IdentityErrorCode.UserNotFound, 'User');
    return this.queries.view(manager, orgId, userId);
  }

  private assertMayChange(actor: Actor, target: UserView, newRole: string | undefined): void {
    const touchesOwner = target.role === 'owner' || newRole === 'owner';
    if (touchesOwner && actor.role !== 'owner') throw ownerProtected();
    if (target.id === actor.userId && newRole !== undefined && newRole !== target.role) {
      throw new DomainException('conflict', 'CANNOT_CHANGE_OWN_ROLE', 'You cannot change your own role');
    }
  }

  /** Updates plain profile columns; returns the change set. */
  private async applyProfile(
    manager: EntityManager,
    before: UserView,
    fields: Partial<Pick<UserView, 'name' | 'phone' | 'timezone' | 'language' | 'notificationPreferences'>>,
  ): Promise<Record<string, { from: unknown; to: unknown }>> {
    const columns: Record<string, string> = {
      name: 'name',
      phone: 'phone',
      timezone: 'timezone',
      language: 'language',
      notificationPreferences: 'notification_preferences',
    };
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const sets: string[] = [];
    const params: unknown[] = [before.id];
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      const previous = before[key as keyof UserView];
      if (JSON.stringify(previous) === JSON.stringify(value)) continue;
      changes[key] = { from: previous, to: value };
      params.push(key === 'notificationPreferences' ? JSON.stringify(value) : value);
      sets.push(`${columns[key]} = $${params.length}`);
    }
    if (sets.length > 0) {
      await manager.query(`UPDATE app_user SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params);
    }
    return changes;
  }
}

function ownerProtected(): DomainException {
  return new DomainException(
    'forbidden',
    IdentityErrorCode.OwnerProtected,
    'Only the owner can change the owner role or the owner account',
  );
}
