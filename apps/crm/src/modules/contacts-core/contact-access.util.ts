import { expressionBuilder, sql, type Expression, type SqlBool } from 'kysely';
import type { Actor, PermissionKey } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import type { CrmDb } from '../../database/crm.db';

/** The crm schema with `contact` under the alias `c`, as the contact queries name it (`selectFrom('contact as c')`). */
export type ContactAliasDb = CrmDb & { c: CrmDb['contact'] };

/**
 * Condition (on alias `c`, a `selectFrom('contact as c')`) limiting contacts to what `actor`
 * reaches with `permission`: `org` → the whole organization; `team` → contacts the actor owns or
 * that members of the actor's teams own (team membership from the identity read model
 * `org_user`); `own` → contacts the actor owns, or for a client the contact that is the client.
 * Reading (`contacts:read`) also reaches unclaimed leads of the ponds the actor may claim from.
 * Values are bound parameters.
 *
 * @throws DomainException 403 `FORBIDDEN` when the permission is not held at all.
 */
export function contactVisibleTo(actor: Actor | null | undefined, permission: PermissionKey): Expression<SqlBool> {
  const scope = requireScope(actor, permission);
  const eb = expressionBuilder<ContactAliasDb, 'c'>();
  if (scope === 'org') return eb.lit(true);
  const me = actor!.userId ?? null;
  if (scope === 'own' && actor!.role === 'client') return eb('c.client_user_id', '=', me);
  const reach = [eb('c.owner_id', '=', me)];
  if (scope === 'team') {
    reach.push(
      eb(
        'c.owner_id',
        'in',
        eb
          .selectFrom('org_user as u')
          .select('u.user_id')
          .whereRef('u.org_id', '=', 'c.org_id')
          .where('u.team_ids', '&&', sql<string[]>`${actor!.teamIds ?? []}::uuid[]`),
      ),
    );
  }
  if (permission === 'contacts:read') {
    reach.push(
      eb.and([
        eb('c.owner_id', 'is', null),
        eb(
          'c.pond_id',
          'in',
          eb
            .selectFrom('pond as p')
            .select('p.id')
            .whereRef('p.org_id', '=', 'c.org_id')
            .where((p) =>
              p.or([
                p(sql<string>`${me}::uuid`, '=', p.fn.any('p.agent_ids')),
                p.and([
                  p(p.fn<number>('cardinality', ['p.agent_ids']), '=', 0),
                  p.exists(
                    p.selectFrom('org_user as a').select(p.lit(1).as('one')).where('a.user_id', '=', me).where('a.is_agent', '=', true),
                  ),
                ]),
              ]),
            ),
        ),
      ]),
    );
  }
  return eb.or(reach);
}
