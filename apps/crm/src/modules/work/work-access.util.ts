import { expressionBuilder, sql, type Expression, type SqlBool } from 'kysely';
import type { Actor, PermissionKey, PermissionScope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { InvalidCursorError } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { decodeCursor, pageLimit, type CursorPosition } from '@keyhouse/util';
import type { CrmDb } from '../../database/crm.db';
import { pageOrThrow } from '../shared/list-query.util';
import { CrmWorkErrorCode } from './crm-work.exception';

/**
 * Condition limiting rows to what `actor` reaches with `permission`, where `userColumns` are the
 * user columns that make a row "theirs" (typed references such as `t.ref('t.assignee_id')` of an
 * `expressionBuilder` over the query's alias): `org` → every row of the organization (`true`; the
 * query scopes by `org_id` itself); `team` → rows where one of those columns is the actor or a
 * member of one of the actor's teams (membership from the identity read model `org_user`); `own` →
 * rows where one of those columns is the actor. Values are bound parameters.
 *
 * @throws DomainException 403 `FORBIDDEN` when the permission is not held at all.
 */
export function ownershipFilter(
  actor: Actor | null | undefined,
  permission: PermissionKey,
  userColumns: ReadonlyArray<Expression<string | null>>,
): { where: Expression<SqlBool>; scope: PermissionScope } {
  const scope = requireScope(actor, permission);
  const eb = expressionBuilder<CrmDb, never>();
  if (scope === 'org') return { where: eb.lit(true), scope };
  const me = sql<string | null>`${actor!.userId ?? null}::uuid`;
  const mine = userColumns.map((column) => eb(column, '=', me));
  if (scope === 'own') return { where: eb.or(mine), scope };
  const teams = sql<string[]>`${actor!.teamIds ?? []}::uuid[]`;
  const team = userColumns.map((column) =>
    eb(column, 'in', eb.selectFrom('org_user as u').select('u.user_id').where('u.team_ids', '&&', teams)),
  );
  return { where: eb.or([...mine, ...team]), scope };
}

/** One page of a keyset-paginated list: the row limit and the position after which it starts (null: the first page). */
export interface KeysetPage {
  limit: number;
  after: CursorPosition | null;
}

/**
 * The page a list request asks for: `limit` clamped as every list does (`pageLimit`) and the
 * decoded `cursor`. Queries fetch `limit + 1` rows ordered by (sort, id) and compare
 * `(sort, id)` with `(after.v, after.id)`; `toPage` cuts the extra row and makes the next cursor.
 *
 * @throws DomainException 400 `INVALID_CURSOR` (field `cursor`) for a cursor no list made.
 */
export function keysetPage(cursor: string | undefined, limit: number | undefined): KeysetPage {
  const after = cursor
    ? pageOrThrow(() => {
        const position = decodeCursor(cursor);
        if (!position) throw new InvalidCursorError();
        return position;
      })
    : null;
  return { limit: pageLimit(limit), after };
}

/** The user behind the request; API keys act as the user who created them. Throws 403 for system callers. */
export function userIdOf(actor: Actor | null | undefined): string {
  if (!actor?.userId) throw DomainException.forbidden(CrmWorkErrorCode.UserActorRequired, 'This action needs a user');
  return actor.userId;
}

/** Parses an ISO 8601 time or throws a 400 naming `field`. */
export function parseTime(value: string, field: string): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw DomainException.validation([{ field, message: 'must be an ISO 8601 date-time' }]);
  return time;
}

/** Field-level changes between two plain records, for `*.updated` events. */
export function changesBetween(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key] ?? null, to: after[key] ?? null };
  }
  return changes;
}

/** The actor of events emitted by the service's own jobs (reminders, overdue detection). */
export function systemActor(orgId: string): Actor {
  return { type: 'system', orgId, role: 'system', teamIds: [], permissions: [] };
}
