import { IdentityEvent, type Actor, type AgentProfileSnapshot, type BuiltInRole, type CloudEvent } from '@keyhouse/contracts';
import { actorFor, seedReadModel, testEvent, type TestService } from '@keyhouse/testing';
import { BUILT_IN_ROLE_PERMISSIONS } from '../../../identity/src/modules/users/built-in-roles.constant';
import { IDENTITY_READ_MODEL_GROUP } from '../../src/modules/agents/identity-read-model.consumer';

/** Options of `userOf`. */
export interface TestUserOptions {
  /** Default: a new UUIDv7. */
  userId?: string;
  /** Teams the user belongs to (or manages); default none. */
  teamIds?: string[];
}

/**
 * A user of organization `orgId` with a built-in role, as the gateway sends them to crm: the
 * permissions are the role's in identity's built-in table (what a signed-in user of that role
 * carries), so the crm's checks see exactly what they see behind the gateway.
 */
export function userOf(orgId: string, role: BuiltInRole, options: TestUserOptions = {}): Actor {
  return actorFor({ orgId, role, permissions: BUILT_IN_ROLE_PERMISSIONS[role], userId: options.userId, teamIds: options.teamIds });
}

/** What identity announces about a user besides the actor (see `identityEventsOf`). */
export interface IdentityUserOptions {
  /** Default `<role> <first 8 characters of the id>`. */
  name?: string;
  /** Default `<role>-<id>@example.test`. */
  email?: string;
  /** Default `active`. */
  status?: string;
  /** A self-registered client's contact (crm links the user to it). */
  contactId?: string;
  /**
   * An agent added through `POST /v1/agents` also announces its routing profile
   * (`identity.agent.profile_updated`); the given fields replace `DEFAULT_AGENT_PROFILE`'s. Leave
   * it out for a user created with the agent role through `POST /v1/users` (no profile event).
   */
  profile?: Partial<AgentProfileSnapshot>;
}

/** Every ISO weekday, all day (00:00–23:59). */
const ALL_DAY_EVERY_DAY: Record<string, Array<{ start: string; end: string }>> = Object.fromEntries(
  ['1', '2', '3', '4', '5', '6', '7'].map((day) => [day, [{ start: '00:00', end: '23:59' }]]),
);

/** The profile the gateway fixtures gave a new agent: 25 leads, every day all day (Los Angeles), no regions. */
export const DEFAULT_AGENT_PROFILE: AgentProfileSnapshot = {
  regions: [],
  languages: [],
  capacity: 25,
  workingHours: { timezone: 'America/Los_Angeles', days: ALL_DAY_EVERY_DAY },
  licenseNumber: null,
  licenseState: null,
};

/**
 * The `identity.events` identity emits when `actor`'s user is created (`identity.user.created`,
 * and `identity.agent.profile_updated` when `options.profile` is given), keyed by the user id
 * like identity's outbox, so they apply in order.
 */
export function identityEventsOf(actor: Actor, options: IdentityUserOptions = {}): CloudEvent[] {
  const userId = actor.userId!;
  const name = options.name ?? `${actor.role} ${userId.slice(0, 8)}`;
  const email = options.email ?? `${actor.role}-${userId}@example.test`;
  const status = options.status ?? 'active';
  const teamIds = [...actor.teamIds].sort();
  const key = { subject: userId };
  const events: CloudEvent[] = [
    testEvent(
      IdentityEvent.userCreated,
      actor.orgId,
      { userId, email, name, role: actor.role, status, teamIds, ...(options.contactId ? { contactId: options.contactId } : {}) },
      key,
    ),
  ];
  if (options.profile) {
    const profile = { ...DEFAULT_AGENT_PROFILE, ...options.profile };
    events.push(
      testEvent(IdentityEvent.agentProfileUpdated, actor.orgId, { userId, changes: {}, profile, name, email, status, teamIds }, key),
    );
  }
  return events;
}

/**
 * Seeds crm's read model of identity's users (`org_user`, consumer group
 * `crm.identity-read-model`) with `events` (see `identityEventsOf`), resolving once crm applied
 * every one.
 *
 * @throws Error when crm has not applied them in 30 s.
 */
export async function seedIdentity(crm: TestService, events: CloudEvent[]): Promise<void> {
  await seedReadModel(crm, { service: 'crm', topic: 'identity.events', group: IDENTITY_READ_MODEL_GROUP, events });
}

/** Seeds the users of `actors` (`identity.user.created` each, no agent profile). */
export async function seedUsers(crm: TestService, actors: Actor[]): Promise<void> {
  await seedIdentity(
    crm,
    actors.flatMap((actor) => identityEventsOf(actor)),
  );
}
