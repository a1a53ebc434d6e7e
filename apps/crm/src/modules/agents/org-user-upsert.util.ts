import { sql, type Kysely } from 'kysely';
import type { AgentProfileSnapshot, WorkingHours } from '@keyhouse/contracts';
import type { CrmDb } from '../../database/crm.db';

/** What identity says about a user (`identity.user.created`, `identity.users.get`): the columns of `org_user` it sets. */
export interface OrgUserSnapshot {
  userId: string;
  name: string;
  email: string;
  /** Role key (`agent`, `manager`, … or a custom role). */
  role: string;
  /** `active`, `invited` or `deactivated`. */
  status: string;
  teamIds: string[];
}

/** What identity says about an agent (`identity.agent.profile_updated`, `identity.agents.get`): the user's columns and the routing profile. */
export interface AgentSnapshot {
  userId: string;
  name: string;
  email: string;
  status: string;
  teamIds: string[];
  /** Regions/ZIP codes served, capacity (active leads), working hours (null = always available). */
  profile: { regions: string[]; capacity: number; workingHours: AgentProfileSnapshot['workingHours'] | WorkingHours | null };
}

/**
 * Upserts the user's row of `org_user` in `orgId` as identity describes it: inserts it, or
 * replaces name, email, role, status and teams (an agent stays an agent: `is_agent` is or-ed, a
 * role change is `identity.user.role_changed`'s). Idempotent: the read model's consumer and the
 * directory's look-up both write through it, so applying the same state twice changes nothing.
 */
export async function upsertOrgUser(db: Kysely<CrmDb>, orgId: string, user: OrgUserSnapshot): Promise<void> {
  await db
    .insertInto('org_user')
    .values({
      user_id: user.userId,
      org_id: orgId,
      name: user.name,
      email: user.email,
      role: user.role,
      status: user.status,
      team_ids: user.teamIds ?? [],
      is_agent: user.role === 'agent',
    })
    .onConflict((conflict) =>
      conflict.column('user_id').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        email: eb.ref('excluded.email'),
        role: eb.ref('excluded.role'),
        status: eb.ref('excluded.status'),
        team_ids: eb.ref('excluded.team_ids'),
        is_agent: eb.or([eb.ref('org_user.is_agent'), eb.ref('excluded.is_agent')]).$castTo<boolean>(),
        updated_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

/**
 * Upserts the agent's row of `org_user` in `orgId` with the routing profile (regions/ZIP codes,
 * capacity, working hours; `is_agent` true). A new row gets role `agent` until
 * `identity.user.created` tells the user's own role; an existing row keeps its role. Idempotent
 * like `upsertOrgUser`.
 */
export async function upsertAgent(db: Kysely<CrmDb>, orgId: string, agent: AgentSnapshot): Promise<void> {
  await db
    .insertInto('org_user')
    .values({
      user_id: agent.userId,
      org_id: orgId,
      name: agent.name,
      email: agent.email,
      role: 'agent',
      status: agent.status,
      team_ids: agent.teamIds ?? [],
      regions: agent.profile.regions,
      capacity: agent.profile.capacity,
      working_hours: agent.profile.workingHours ? JSON.stringify(agent.profile.workingHours) : null,
      is_agent: true,
    })
    .onConflict((conflict) =>
      conflict.column('user_id').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        email: eb.ref('excluded.email'),
        status: eb.ref('excluded.status'),
        team_ids: eb.ref('excluded.team_ids'),
        regions: eb.ref('excluded.regions'),
        capacity: eb.ref('excluded.capacity'),
        working_hours: eb.ref('excluded.working_hours'),
        is_agent: true,
        updated_at: sql<Date>`now()`,
      })),
    )
    .execute();
}
