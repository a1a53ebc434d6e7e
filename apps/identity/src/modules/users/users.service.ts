import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Updateable } from 'kysely';
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
  type UserStatus,
  type UserView,
} from '@keyhouse/contracts';
import { requireScope, requireUserSession } from '@keyhouse/platform/auth';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';
import { OneTimeTokenService } from '../auth/one-time-token.service';
import { PasswordService } from '../auth/password.service';
import { RevocationService } from '../auth/revocation.service';
import { SessionService } from '../auth/session.service';
import { EMAIL_SENDER, type EmailSender } from '../mail/email-sender.port';
import { escapeLike } from '../list-query.util';
import { IDENTITY_CONFIG, type IdentityConfig } from '../../config/identity.config';
import { RolePermissionsService } from './role-permissions.service';
import { selectUserViews, toUserView, UserQueries } from './user.queries';

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
    const db = kyselyFor<IdentityDb>(manager);
    await db
      .insertInto('app_user')
      .values({
        id: userId,
        org_id: orgId,
        email: input.email,
        name: input.name,
        phone: input.phone,
        password_hash: input.passwordHash,
        role: input.role,
        status,
        timezone: input.timezone ?? 'UTC',
        language: input.language ?? 'en-US',
      })
      .execute();
    for (const teamId of new Set(input.teamIds)) {
      await db.insertInto('team_member').values({ team_id: teamId, user_id: userId, org_id: orgId }).execute();
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
        variables: {},
        secrets: { token, link },
      });
    }
    await unit.emit(IdentityEvent.userCreated, userId, orgId, {
      userId,
      email: input.email,
      name: input.name,
      role: input.role,
      status,
      teamIds: [...new Set(input.teamIds)].sort(),
      phone: input.phone,
    });
    return this.queries.view(manager, orgId, userId);
  }

  /** Users of the organization visible at the caller's `users:read` scope, by creation (keyset page). */
  @RpcHandler(IdentityUserSubjects.list)
  async list(envelope: RequestEnvelope<UserListRequest>): Promise<Page<UserView>> {
    const actor = envelope.actor!;
    const data = envelope.data;
    let query = selectUserViews(kyselyFor<IdentityDb>(this.dataSource))
      .where('app_user.org_id', '=', actor.orgId)
      .where(this.queries.visibility(actor, 'users:read'));
    if (data.role) query = query.where('app_user.role', '=', data.role);
    if (data.status) query = query.where('app_user.status', '=', data.status);
    if (data.teamId) {
      const teamId = data.teamId;
      query = query.where('app_user.id', 'in', (eb) => eb.selectFrom('team_member').select('user_id').where('team_id', '=', teamId));
    }
    if (data.q) {
      const pattern = `%${escapeLike(data.q)}%`;
      query = query.where((eb) => eb.or([eb('app_user.name', 'ilike', pattern), eb(eb.cast('app_user.email', 'text'), 'ilike', pattern)]));
    }
    const page = keysetPage(
      query,
      { sort: sql.ref('app_user.created_at'), id: sql.ref('app_user.id'), direction: 'asc' },
      { cursor: data.cursor, limit: data.limit },
    );
    const rows = await page.query.execute();
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
      const db = kyselyFor<IdentityDb>(manager);
      if (data.status === 'active' && before.status === 'deactivated') {
        await db
          .updateTable('app_user')
          .set((eb) => ({
            status: eb
              .case()
              .when('password_hash', 'is', null)
              .then(eb.val<UserStatus>('invited'))
              .else(eb.val<UserStatus>('active'))
              .end(),
            deactivated_at: null,
            updated_at: sql<Date>`now()`,
          }))
          .where('id', '=', before.id)
          .execute();
        changes.status = { from: 'deactivated', to: 'active' };
      }
      if (data.role !== undefined && data.role !== before.role) {
        await this.assertRole(manager, actor.orgId, data.role);
        await db
          .updateTable('app_user')
          .set({ role: data.role, updated_at: sql<Date>`now()` })
          .where('id', '=', before.id)
          .execute();
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
          await db.deleteFrom('team_member').where('user_id', '=', before.id).execute();
          for (const teamId of next) {
            await db.insertInto('team_member').values({ team_id: teamId, user_id: before.id, org_id: actor.orgId }).execute();
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
        await kyselyFor<IdentityDb>(manager)
          .updateTable('app_user')
          .set({ status: 'deactivated', deactivated_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
          .where('id', '=', before.id)
          .execute();
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
    const rows = await kyselyFor<IdentityDb>(manager)
      .selectFrom('team')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', (eb) => eb.fn.any(sql<string[]>`${teamIds}::uuid[]`))
      .execute();
    if (rows.length !== new Set(teamIds).size) {
      throw new DomainException('validation', IdentityErrorCode.InvalidReference, 'Unknown team', [
        { field, message: 'names a team that does not exist' },
      ]);
    }
  }

  private async lockedView(manager: EntityManager, orgId: string, userId: string): Promise<UserView> {
    const locked = await kyselyFor<IdentityDb>(manager)
      .selectFrom('app_user')
      .select('id')
      .where('id', '=', userId)
      .where('org_id', '=', orgId)
      .forUpdate()
      .executeTakeFirst();
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
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const set: Updateable<IdentityDb['app_user']> = {};
    for (const [key, value] of Object.entries(fields) as Array<[keyof typeof fields, unknown]>) {
      if (value === undefined) continue;
      const previous = before[key];
      if (JSON.stringify(previous) === JSON.stringify(value)) continue;
      changes[key] = { from: previous, to: value };
      if (key === 'notificationPreferences') set.notification_preferences = JSON.stringify(fields.notificationPreferences);
      else if (key === 'phone') set.phone = fields.phone;
      else set[key] = fields[key];
    }
    if (Object.keys(set).length > 0) {
      await kyselyFor<IdentityDb>(manager)
        .updateTable('app_user')
        .set({ ...set, updated_at: sql<Date>`now()` })
        .where('id', '=', before.id)
        .execute();
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
