import type { Actor, PermissionKey, PermissionScope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { InvalidCursorError } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { DealsErrorCode } from '../deals-commission.exception';

/** The caller, asserting there is one (the gateway authenticates every deals route). */
export function actorOf(envelope: { actor: Actor | null }): Actor & { userId: string } {
  const actor = envelope.actor;
  if (!actor) throw DomainException.forbidden();
  return { ...actor, userId: actor.userId ?? '00000000-0000-0000-0000-000000000000' };
}

/**
 * SQL condition limiting rows to what `scope` reaches: `own` = deals the actor is an agent on
 * (`agent_ids`), `team` = also deals of the actor's teams (`team_ids`), `org` = everything (the
 * org filter is always applied separately). Pushes its parameters onto `params`.
 */
export function scopeCondition(scope: PermissionScope, actor: Actor & { userId: string }, params: unknown[], alias = 't'): string {
  if (scope === 'org') return 'TRUE';
  params.push(actor.userId);
  const own = `$${params.length}::uuid = ANY(${alias}.agent_ids)`;
  if (scope === 'own') return own;
  params.push(actor.teamIds);
  return `(${own} OR ${alias}.team_ids && $${params.length}::uuid[])`;
}

/** `requireScope` re-exported for the modules of this service. */
export function scopeFor(actor: Actor, permission: PermissionKey, minimum: PermissionScope = 'own'): PermissionScope {
  return requireScope(actor, permission, minimum);
}

/** Runs a keyset builder, turning a bad cursor into a 400 `INVALID_CURSOR` naming `cursor`. */
export function pageOrThrow<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new DomainException('validation', DealsErrorCode.InvalidCursor, error.message, [
        { field: 'cursor', message: 'is not a cursor of this list' },
      ]);
    }
    throw error;
  }
}

/** Postgres `bigint` arrives as a string; cents fit a safe integer. */
export function cents(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}
