import type { NatsConnection, Subscription } from 'nats';
import {
  CrmContactSubjects,
  IdentityOrganizationSubjects,
  IdentityUserSubjects,
  ListingsPropertySubjects,
  type Actor,
  type Branding,
  type OrganizationView,
  type RpcErrorBody,
  type RpcReply,
  type UserView,
} from '@keyhouse/contracts';
import { loadConfig, platformEnv } from '@keyhouse/platform/config';
import { connectNats, parseRequestEnvelope } from '@keyhouse/platform/messaging';
import type { TestService } from '@keyhouse/testing';

/** A user as the stand-in knows them: what deals reads from identity (`teamIds`, `name`). */
export interface StandInUser {
  id: string;
  orgId: string;
  name: string;
  email: string;
  role: string;
  teamIds: string[];
}

/** An organization as the stand-in knows it (`identity.organizations.get-current`). */
export interface StandInOrganization {
  id: string;
  name: string;
  branding: Branding;
}

/** A crm contact as the stand-in knows it: its organization and owner (who may read it). */
export interface StandInContact {
  id: string;
  orgId: string;
  ownerId: string;
}

/**
 * The questions the deals service asks other services over NATS (identity: users and the
 * organization; crm and listings: whether a deal's contacts and property exist for the caller),
 * answered in the test process from what the test declares, instead of running those services.
 */
export interface DirectoryStandIn {
  /** Adds (or replaces, by id) a user of the directory. */
  addUser(user: StandInUser): void;
  /** Adds (or replaces, by id) an organization. */
  setOrganization(organization: StandInOrganization): void;
  /** Adds (or replaces, by id) a crm contact. */
  addContact(contact: StandInContact): void;
  /** Adds a listings property of `orgId`. */
  addProperty(property: { id: string; orgId: string }): void;
  /** Unsubscribes and closes the NATS connection. */
  stop(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The widest scope of `permission` the actor holds, or null. */
function scopeOf(actor: Actor | null, permission: string): 'own' | 'team' | 'org' | null {
  const scopes = (actor?.permissions ?? [])
    .filter((granted) => granted.startsWith(`${permission}:`))
    .map((granted) => granted.slice(permission.length + 1));
  for (const scope of ['org', 'team', 'own'] as const) if (scopes.includes(scope)) return scope;
  return null;
}

class StandInRefusal extends Error {
  constructor(readonly body: RpcErrorBody) {
    super(body.message);
  }
}

const forbidden = () => new StandInRefusal({ kind: 'forbidden', code: 'FORBIDDEN', message: 'You do not have permission to do this' });

/**
 * Answers, on the service's isolation (`NATS_SUBJECT_PREFIX` of `service.env`), the subjects deals
 * calls on other services, with their owners' visibility rules on the caller's envelope:
 * - `identity.users.get` / `identity.users.list` by `users:read` (`own`: the actor alone; `team`:
 *   the actor and users sharing one of the actor's teams; `org`: the organization): the user, or
 *   404 `USER_NOT_FOUND`; one page of the visible users;
 * - `identity.organizations.get-current`: the actor's organization, 404 when not declared;
 * - `crm.contacts.get` by `contacts:read` (`own`: contacts the actor owns; `team`: also contacts of
 *   users sharing a team; `org`: the organization): `{ id, orgId, ownerId }` (deals reads only that
 *   crm answers), else 404 `CONTACT_NOT_FOUND`;
 * - `listings.properties.get` by `listings:read`: `{ id, orgId }` for a property of the actor's
 *   organization, else 404 `PROPERTY_NOT_FOUND`.
 * A caller without the permission gets 403 `FORBIDDEN`, as from the real services.
 *
 * @throws whatever the NATS connection throws.
 */
export async function startDirectoryStandIn(service: TestService): Promise<DirectoryStandIn> {
  const platform = loadConfig(platformEnv, service.env);
  const connection: NatsConnection = await connectNats({
    serviceName: 'directory-stand-in',
    servers: platform.NATS_URL,
    subjectPrefix: platform.NATS_SUBJECT_PREFIX,
    requestTimeoutMs: platform.NATS_REQUEST_TIMEOUT_MS,
  });
  const users = new Map<string, StandInUser>();
  const organizations = new Map<string, StandInOrganization>();
  const contacts = new Map<string, StandInContact>();
  const properties = new Map<string, { id: string; orgId: string }>();

  /** Whether `userId` is the actor or, at `team` scope, shares one of the actor's teams. */
  const reaches = (actor: Actor, scope: 'own' | 'team' | 'org', userId: string): boolean =>
    scope === 'org' ||
    userId === actor.userId ||
    (scope === 'team' && (users.get(userId)?.teamIds ?? []).some((id) => actor.teamIds.includes(id)));

  const visibleUsers = (actor: Actor | null): StandInUser[] => {
    const scope = scopeOf(actor, 'users:read');
    if (!actor || !scope) throw forbidden();
    return [...users.values()].filter((user) => user.orgId === actor.orgId && reaches(actor, scope, user.id));
  };
  const view = (user: StandInUser): UserView => ({
    id: user.id,
    orgId: user.orgId,
    email: user.email,
    name: user.name,
    phone: null,
    role: user.role,
    status: 'active',
    teamIds: [...user.teamIds],
    timezone: 'UTC',
    language: 'en-US',
    notificationPreferences: { email: true, sms: false, inApp: true },
    mfaEnabled: false,
    emailVerified: true,
    lastLoginAt: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  });

  const handlers: Record<string, (actor: Actor | null, data: Record<string, unknown>) => unknown> = {
    [IdentityUserSubjects.get.subject]: (actor, data) => {
      const user = visibleUsers(actor).find((candidate) => candidate.id === data.id);
      if (!user) throw new StandInRefusal({ kind: 'not_found', code: 'USER_NOT_FOUND', message: 'User not found' });
      return view(user);
    },
    [IdentityUserSubjects.list.subject]: (actor) => ({ items: visibleUsers(actor).map(view), nextCursor: null }),
    [IdentityOrganizationSubjects.getCurrent.subject]: (actor): OrganizationView => {
      const organization = actor ? organizations.get(actor.orgId) : undefined;
      if (!organization) throw new StandInRefusal({ kind: 'not_found', code: 'ORGANIZATION_NOT_FOUND', message: 'Organization not found' });
      return {
        id: organization.id,
        name: organization.name,
        branding: organization.branding,
        affiliateRateBps: 0,
        mfaRequiredRoles: [],
        sessionLifetimeMinutes: 43_200,
        publicFormKey: `form-${organization.id}`,
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      };
    },
    [CrmContactSubjects.get.subject]: (actor, data) => {
      const scope = scopeOf(actor, 'contacts:read');
      if (!actor || !scope) throw forbidden();
      const contact = contacts.get(String(data.id));
      if (!contact || contact.orgId !== actor.orgId || !reaches(actor, scope, contact.ownerId)) {
        throw new StandInRefusal({ kind: 'not_found', code: 'CONTACT_NOT_FOUND', message: 'Contact not found' });
      }
      return { ...contact };
    },
    [ListingsPropertySubjects.get.subject]: (actor, data) => {
      if (!actor || !scopeOf(actor, 'listings:read')) throw forbidden();
      const property = properties.get(String(data.id));
      if (!property || property.orgId !== actor.orgId) {
        throw new StandInRefusal({ kind: 'not_found', code: 'PROPERTY_NOT_FOUND', message: 'Property not found' });
      }
      return { ...property };
    },
  };

  const subscriptions: Subscription[] = Object.entries(handlers).map(([subject, handle]) =>
    connection.subscribe(`${platform.NATS_SUBJECT_PREFIX}${subject}`, {
      callback: (error, message) => {
        if (error || !message.reply) return;
        let reply: RpcReply<unknown>;
        try {
          const envelope = parseRequestEnvelope(decoder.decode(message.data));
          reply = { ok: true, data: handle(envelope.actor, (envelope.data ?? {}) as Record<string, unknown>) };
        } catch (refusal) {
          if (!(refusal instanceof StandInRefusal)) throw refusal;
          reply = { ok: false, error: refusal.body };
        }
        message.respond(encoder.encode(JSON.stringify(reply)));
      },
    }),
  );
  await connection.flush();

  return {
    addUser: (user) => void users.set(user.id, user),
    setOrganization: (organization) => void organizations.set(organization.id, organization),
    addContact: (contact) => void contacts.set(contact.id, contact),
    addProperty: (property) => void properties.set(property.id, property),
    async stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
      if (!connection.isClosed()) await connection.drain().catch(() => connection.close());
    },
  };
}
