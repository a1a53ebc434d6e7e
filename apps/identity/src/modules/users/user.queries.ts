import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor, PermissionKey, UserView } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { definePreparedQuery, kyselyFor, sqlCompiler } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';
import type { AppUserRow } from './app-user.row';

/** What a `UserView` shows of an `app_user` row, with the user's team ids (`team_ids`, sorted). */
export type UserViewRow = Pick<
  AppUserRow,
  | 'id'
  | 'org_id'
  | 'email'
  | 'name'
  | 'phone'
  | 'role'
  | 'status'
  | 'timezone'
  | 'language'
  | 'notification_preferences'
  | 'mfa_enabled'
  | 'email_verified_at'
  | 'last_login_at'
  | 'created_at'
  | 'updated_at'
> & { team_ids: string[] };

/**
 * A condition on `app_user` (the table of `selectUserViews`' query), such as the visibility of
 * users to an actor (`UserQueries.visibility`).
 */
export type UserCondition = (eb: ExpressionBuilder<IdentityDb, 'app_user'>) => Expression<SqlBool>;

/**
 * The `UserView` columns of `app_user` with each user's team ids (`team_ids`: sorted, `{}` for
 * none), the one selection of every user read; callers add their conditions (`where`).
 */
export function selectUserViews(db: Kysely<IdentityDb>) {
  return db.selectFrom('app_user').select((eb) => [
    'app_user.id',
    'app_user.org_id',
    'app_user.email',
    'app_user.name',
    'app_user.phone',
    'app_user.role',
    'app_user.status',
    'app_user.timezone',
    'app_user.language',
    'app_user.notification_preferences',
    'app_user.mfa_enabled',
    'app_user.email_verified_at',
    'app_user.last_login_at',
    'app_user.created_at',
    'app_user.updated_at',
    eb.fn
      .coalesce(
        eb
          .selectFrom('team_member as tm')
          .select((sub) => sub.fn.agg<string[]>('array_agg', ['tm.team_id']).orderBy('tm.team_id').as('team_ids'))
          .whereRef('tm.user_id', '=', 'app_user.id'),
        sql<string[]>`'{}'`,
      )
      .as('team_ids'),
  ]);
}

/**
 * The caller's own profile, the hot read path of `GET /v1/users/me`: a named prepared statement
 * (`identity_user_me`) with `$1` = user id and `$2` = organization id, its rows typed by
 * `selectUserViews`. `bench/` runs the same statement (its `name` and `text`) as its reference.
 */
export const USER_ME_QUERY = definePreparedQuery('identity_user_me', (p: { userId: string; orgId: string }) =>
  selectUserViews(sqlCompiler<IdentityDb>()).where('app_user.id', '=', p.userId).where('app_user.org_id', '=', p.orgId),
);

export function toUserView(row: UserViewRow): UserView {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    name: row.name,
    phone: row.phone,
    role: row.role,
    status: row.status,
    teamIds: row.team_ids,
    timezone: row.timezone,
    language: row.language,
    notificationPreferences: row.notification_preferences,
    mfaEnabled: row.mfa_enabled,
    emailVerified: row.email_verified_at !== null,
    lastLoginAt: row.last_login_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Reads of users shared by the user, agent and auth use cases, always scoped to an organization,
 * and the visibility rule of a permission scope: `org` sees the organization, `team` the members
 * of the actor's teams (and the actor), `own` only the actor.
 */
@Injectable()
export class UserQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The user's view (in `manager`'s transaction, else on a pooled connection); 404 `USER_NOT_FOUND` when it is not in `orgId`. */
  async view(manager: EntityManager | null, orgId: string, userId: string): Promise<UserView> {
    const row = await selectUserViews(kyselyFor<IdentityDb>(manager ?? this.dataSource))
      .where('app_user.id', '=', userId)
      .where('app_user.org_id', '=', orgId)
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(IdentityErrorCode.UserNotFound, 'User');
    return toUserView(row);
  }

  /** The caller's own profile by prepared statement (`USER_ME_QUERY`): the hot read path of `GET /v1/users/me`. */
  me(userId: string, orgId: string): Promise<UserView> {
    // `then` rather than `async`/`await`: one promise and one microtask fewer per request
    return USER_ME_QUERY.run(this.dataSource, { userId, orgId }).then(([row]) => {
      if (!row) throw DomainException.notFound(IdentityErrorCode.UserNotFound, 'User');
      return toUserView(row);
    });
  }

  /** Throws 409 `EMAIL_TAKEN` (naming `field`) when any user, of any organization, has `email` (case-insensitive: citext). */
  async assertEmailFree(manager: EntityManager, email: string, field = 'email'): Promise<void> {
    const taken = await kyselyFor<IdentityDb>(manager).selectFrom('app_user').select('id').where('email', '=', email).executeTakeFirst();
    if (taken) {
      throw new DomainException('conflict', IdentityErrorCode.EmailTaken, 'This email address is already registered', [
        { field, message: 'is already registered' },
      ]);
    }
  }

  /**
   * The condition on `app_user` restricting users to what `actor` may see through `permission`:
   * every user at `org` scope; at `team` scope the actor, the members of the actor's teams and
   * their managers; at `own` scope only the actor. Throws 403 at once when the actor lacks it.
   */
  visibility(actor: Actor, permission: PermissionKey): UserCondition {
    const scope = requireScope(actor, permission);
    const self = actor.userId;
    if (scope === 'org') return (eb) => eb.lit(true);
    if (scope === 'team') {
      const teamIds = sql<string[]>`${actor.teamIds}::uuid[]`;
      return (eb) =>
        eb.or([
          // An actor without a user id (an API key) is no user: only its teams' users are visible.
          ...(self ? [eb('app_user.id', '=', self)] : []),
          eb('app_user.id', 'in', eb.selectFrom('team_member').select('user_id').where('team_id', '=', eb.fn.any(teamIds))),
          eb('app_user.id', 'in', eb.selectFrom('team').select('manager_id').where('id', '=', eb.fn.any(teamIds))),
        ]);
    }
    return (eb) => (self ? eb('app_user.id', '=', self) : eb.lit(false));
  }

  /** Throws 404 unless `userId` is in the actor's organization and visible at the actor's scope. */
  async assertVisible(manager: EntityManager, actor: Actor, permission: PermissionKey, userId: string): Promise<void> {
    const visible = this.visibility(actor, permission);
    const row = await kyselyFor<IdentityDb>(manager)
      .selectFrom('app_user')
      .select('app_user.id')
      .where('app_user.id', '=', userId)
      .where('app_user.org_id', '=', actor.orgId)
      .where(visible)
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(IdentityErrorCode.UserNotFound, 'User');
  }
}
