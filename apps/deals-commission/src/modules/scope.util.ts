import { sql, type Expression, type SqlBool } from 'kysely';
import type { Actor, PermissionKey, PermissionScope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { DomainException } from '@keyhouse/platform/messaging';

/** The caller, asserting there is one (the gateway authenticates every deals route). */
export function actorOf(envelope: { actor: Actor | null }): Actor & { userId: string } {
  const actor = envelope.actor;
  if (!actor) throw DomainException.forbidden();
  return { ...actor, userId: actor.userId ?? '00000000-0000-0000-0000-000000000000' };
}

/** A text parameter read as `uuid` (`$n::uuid`), e.g. to compare it with the elements of a `uuid[]` column. */
export function uuid(value: string): Expression<string> {
  return sql<string>`${value}::uuid`;
}

/** An array parameter read as `uuid[]` (`$n::uuid[]`), for `&&` and `= any(...)` against `uuid[]` columns. */
export function uuids(values: readonly string[]): Expression<string[]> {
  return sql<string[]>`${values}::uuid[]`;
}

/**
 * The condition limiting rows to what `scope` reaches, over a row's `agent_ids` and `team_ids`
 * (`uuid[]`, e.g. `{ agentIds: eb.ref('t.agent_ids'), teamIds: eb.ref('t.team_ids') }`): `own` =
 * deals the actor is an agent on, `team` = also deals of the actor's teams, `org` = everything
 * (`TRUE`; the organization filter is always applied separately). Values are bound.
 */
export function scopeCondition(
  scope: PermissionScope,
  actor: Actor & { userId: string },
  columns: { agentIds: Expression<string[]>; teamIds: Expression<string[]> },
): Expression<SqlBool> {
  if (scope === 'org') return sql<SqlBool>`TRUE`;
  const own = sql<SqlBool>`${uuid(actor.userId)} = ANY(${columns.agentIds})`;
  if (scope === 'own') return own;
  return sql<SqlBool>`(${own} OR ${columns.teamIds} && ${uuids(actor.teamIds)})`;
}

/** `requireScope` re-exported for the modules of this service. */
export function scopeFor(actor: Actor, permission: PermissionKey, minimum: PermissionScope = 'own'): PermissionScope {
  return requireScope(actor, permission, minimum);
}

/** Postgres `bigint` arrives as a string; cents fit a safe integer. */
export function cents(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}
