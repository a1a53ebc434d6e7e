import type { Actor, PermissionKey, PermissionScope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';
import { CrmWorkErrorCode } from './crm-work.exception';

/**
 * SQL condition limiting rows to what `actor` reaches with `permission`, where `userColumns` name
 * the user columns that make a row "theirs" (e.g. `t.assignee_id`, `t.created_by`):
 * `org` → every row of the organization (the query scopes by `org_id` itself); `team` → rows where
 * one of those columns is the actor or a member of one of the actor's teams (membership from the
 * identity read model `org_user`); `own` → rows where one of those columns is the actor.
 * Appends its parameters to `params`; throws 403 when the permission is not held at all.
 */
export function ownershipFilter(
  actor: Actor | null | undefined,
  permission: PermissionKey,
  params: unknown[],
  userColumns: string[],
): { sql: string; scope: PermissionScope } {
  const scope = requireScope(actor, permission);
  if (scope === 'org') return { sql: 'TRUE', scope };
  params.push(actor!.userId ?? null);
  const me = `$${params.length}::uuid`;
  const mine = userColumns.map((column) => `${column} = ${me}`);
  if (scope === 'own') return { sql: `(${mine.join(' OR ')})`, scope };
  params.push(actor!.teamIds ?? []);
  const teams = `$${params.length}::uuid[]`;
  const team = userColumns.map((column) => `${column} IN (SELECT u.user_id FROM org_user u WHERE u.team_ids && ${teams})`);
  return { sql: `(${[...mine, ...team].join(' OR ')})`, scope };
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
