import type { Actor } from '@keyhouse/contracts';
import { actorFor } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import type { DirectoryStandIn } from './directory-stand-in.fixture';

/** A user actor: `userId` always set. */
export type DealsActor = Actor & { userId: string };

/**
 * What the built-in roles may do in the deals service and what deals asks other services on their
 * behalf (identity's `users:read`, `organizations:read`; crm's `contacts:read`; listings'
 * `listings:read`), as identity grants them (owner: everything at org scope; manager: deals and
 * contacts of their teams, plans of the organization; agent: their own deals, contacts and plan).
 */
export const DEALS_ROLE_PERMISSIONS = {
  owner: [
    'transactions:read:org',
    'transactions:write:org',
    'commission-plans:read:org',
    'commission-plans:write:org',
    'reports:read:org',
    'invoices:read:org',
    'invoices:write:org',
    'users:read:org',
    'organizations:read:org',
    'contacts:read:org',
    'listings:read:org',
  ],
  manager: [
    'transactions:read:team',
    'transactions:write:team',
    'reports:read:team',
    'invoices:read:team',
    'users:read:team',
    'commission-plans:read:org',
    'organizations:read:org',
    'contacts:read:team',
    'listings:read:org',
  ],
  agent: [
    'transactions:read:own',
    'transactions:write:own',
    'reports:read:own',
    'commission-plans:read:own',
    'users:read:own',
    'organizations:read:org',
    'contacts:read:own',
    'listings:read:org',
  ],
} as const;

export type DealsRole = keyof typeof DEALS_ROLE_PERMISSIONS;

/** A user of `orgId` with `role`'s permissions, declared to the directory stand-in (name, teams) when one is given. */
export function dealsUser(
  identity: DirectoryStandIn | null,
  orgId: string,
  role: DealsRole,
  options: { name?: string; teamIds?: string[] } = {},
): DealsActor {
  const actor = actorFor({ orgId, role, permissions: DEALS_ROLE_PERMISSIONS[role], teamIds: options.teamIds ?? [] }) as DealsActor;
  identity?.addUser({
    id: actor.userId,
    orgId,
    name: options.name ?? `${role} ${actor.userId.slice(-6)}`,
    email: `${role}-${actor.userId.slice(-8)}@example.test`,
    role,
    teamIds: options.teamIds ?? [],
  });
  return actor;
}

/** Names identity's stand-in gives the users of {@link dealsOrg} (what reports print). */
export const DEALS_ORG_NAMES = { owner: 'Dana Owner', manager: 'Morgan Manager', agent1: 'Alex Agent', agent2: 'Blake Agent' } as const;

/** A brokerage for deals tests: owner (admin rights), a manager with agent1 in their team, agent2 outside it. */
export interface DealsOrg {
  orgId: string;
  teamId: string;
  owner: DealsActor;
  manager: DealsActor;
  agent1: DealsActor;
  agent2: DealsActor;
}

/**
 * A new organization named `name` (its `displayName` too unless `branding` says otherwise) with
 * the users of {@link DealsOrg}, all declared to `identity` (the directory stand-in, when given)
 * as identity would answer them: the manager manages team `teamId`, agent1 is a member of it.
 */
export function dealsOrg(identity: DirectoryStandIn | null, name = 'Evergreen Realty', branding: { displayName?: string } = {}): DealsOrg {
  const orgId = newId();
  const teamId = newId();
  identity?.setOrganization({ id: orgId, name, branding: { displayName: branding.displayName ?? name } });
  return {
    orgId,
    teamId,
    owner: dealsUser(identity, orgId, 'owner', { name: DEALS_ORG_NAMES.owner }),
    manager: dealsUser(identity, orgId, 'manager', { name: DEALS_ORG_NAMES.manager, teamIds: [teamId] }),
    agent1: dealsUser(identity, orgId, 'agent', { name: DEALS_ORG_NAMES.agent1, teamIds: [teamId] }),
    agent2: dealsUser(identity, orgId, 'agent', { name: DEALS_ORG_NAMES.agent2 }),
  };
}

/** A new crm contact owned by `owner`, declared to the directory stand-in; returns its id. */
export function dealsContact(directory: DirectoryStandIn, owner: DealsActor): string {
  const id = newId();
  directory.addContact({ id, orgId: owner.orgId, ownerId: owner.userId });
  return id;
}

/** A new listings property of `orgId`, declared to the directory stand-in; returns its id. */
export function dealsProperty(directory: DirectoryStandIn, orgId: string): string {
  const id = newId();
  directory.addProperty({ id, orgId });
  return id;
}

/** `YYYY-MM-DD` of today (UTC) plus `days`. */
export function utcDate(days: number): string {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
