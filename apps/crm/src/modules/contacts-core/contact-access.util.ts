import type { Actor, PermissionKey } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';

/**
 * SQL condition (on alias `c`) limiting contacts to what `actor` reaches with `permission`:
 * `org` → the whole organization; `team` → contacts the actor owns or that members of the
 * actor's teams own (team membership from the identity read model `org_user`); `own` → contacts
 * the actor owns, or for a client the contact that is the client. Appends its parameters.
 * Throws 403 when the permission is not held at all.
 */
export function contactVisibility(actor: Actor | null | undefined, permission: PermissionKey, params: unknown[]): string {
  const scope = requireScope(actor, permission);
  if (scope === 'org') return 'TRUE';
  params.push(actor!.userId ?? null);
  const me = `$${params.length}::uuid`;
  if (scope === 'own' && actor!.role === 'client') return `c.client_user_id = ${me}`;
  // Reading (not changing) also reaches unclaimed leads of the ponds the actor may claim from.
  const pond =
    permission === 'contacts:read'
      ? ` OR (c.owner_id IS NULL AND c.pond_id IN (SELECT p.id FROM pond p WHERE p.org_id = c.org_id AND (${me} = ANY(p.agent_ids)
           OR (cardinality(p.agent_ids) = 0 AND EXISTS (SELECT 1 FROM org_user a WHERE a.user_id = ${me} AND a.is_agent)))))`
      : '';
  if (scope === 'own') return `(c.owner_id = ${me}${pond})`;
  params.push(actor!.teamIds ?? []);
  const teams = `$${params.length}::uuid[]`;
  return `(c.owner_id = ${me} OR c.owner_id IN (SELECT u.user_id FROM org_user u WHERE u.org_id = c.org_id AND u.team_ids && ${teams})${pond})`;
}
