import type { NatsConnection, Subscription } from 'nats';
import {
  CrmContactSubjects,
  IdentityUserSubjects,
  type Actor,
  type CrmContactView,
  type RequestEnvelope,
  type RpcContract,
  type RpcReply,
  type UserStatus,
  type UserView,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { loadConfig, platformEnv } from '@keyhouse/platform/config';
import { connectNats, DomainException, parseRequestEnvelope } from '@keyhouse/platform/messaging';

/** A user as the identity stand-in knows them. */
export interface DirectoryUser {
  id: string;
  orgId: string;
  role: string;
  status: UserStatus;
  teamIds: string[];
}

/** A crm contact as the crm stand-in knows it; `ownerId` null for an unassigned one (a portal sign-up). */
export interface DirectoryContact {
  id: string;
  orgId: string;
  ownerId: string | null;
  mergedIntoId: string | null;
}

/**
 * The two questions listings asks other services over NATS, answered from memory the way their
 * owners answer them, so the listings service runs without identity and crm:
 * - `identity.users.get`: the user when the caller may see them by `users:read` (org: the
 *   organization; team: themselves and anyone sharing one of their teams; own: themselves), else
 *   404 `USER_NOT_FOUND`;
 * - `crm.contacts.get`: the contact when the caller may read it by `contacts:read` (org: the
 *   organization; team: contacts owned by them or by someone sharing one of their teams; own:
 *   contacts they own), else 404 `CONTACT_NOT_FOUND` (`CONTACT_MERGED` once merged).
 * A caller without the permission gets 403 `FORBIDDEN`, as from the real services.
 */
export interface DirectoryStandIn {
  users: Map<string, DirectoryUser>;
  contacts: Map<string, DirectoryContact>;
  /** Unsubscribes and closes the stand-in's NATS connection. */
  stop(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Answers `identity.users.get` and `crm.contacts.get` on the subject prefix of `env` (a test
 * service's environment) from the returned maps; the test fills them.
 */
export async function startDirectoryStandIn(env: NodeJS.ProcessEnv): Promise<DirectoryStandIn> {
  const platform = loadConfig(platformEnv, env);
  const connection = await connectNats({
    serviceName: 'directory-stand-in',
    servers: platform.NATS_URL,
    subjectPrefix: platform.NATS_SUBJECT_PREFIX,
    requestTimeoutMs: platform.NATS_REQUEST_TIMEOUT_MS,
  });
  const users = new Map<string, DirectoryUser>();
  const contacts = new Map<string, DirectoryContact>();
  const subscriptions = [
    answer(connection, platform.NATS_SUBJECT_PREFIX, IdentityUserSubjects.get, (envelope) =>
      userView(visibleUser(users, envelope.actor, envelope.data.id)),
    ),
    answer(connection, platform.NATS_SUBJECT_PREFIX, CrmContactSubjects.get, (envelope) =>
      contactView(visibleContact(users, contacts, envelope.actor, envelope.data.id)),
    ),
  ];
  return {
    users,
    contacts,
    async stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
      if (!connection.isClosed()) await connection.drain().catch(() => connection.close());
    },
  };
}

/**
 * Subscribes `handler` to the contract's subject as a service does: `RpcReply` JSON, a
 * `DomainException` as its body. The handler answers the part of the response the caller reads.
 */
function answer<TRequest, TResponse>(
  connection: NatsConnection,
  prefix: string,
  contract: RpcContract<TRequest, TResponse>,
  handler: (envelope: RequestEnvelope<TRequest>) => Partial<TResponse>,
): Subscription {
  return connection.subscribe(prefix + contract.subject, {
    callback: (error, message) => {
      if (error) return;
      let reply: RpcReply<Partial<TResponse>>;
      try {
        reply = { ok: true, data: handler(parseRequestEnvelope(decoder.decode(message.data)) as RequestEnvelope<TRequest>) };
      } catch (thrown) {
        const failure = thrown instanceof DomainException ? thrown : new DomainException('internal', 'INTERNAL_ERROR', String(thrown));
        reply = { ok: false, error: failure.toBody() };
      }
      message.respond(encoder.encode(JSON.stringify(reply)));
    },
  });
}

function visibleUser(users: Map<string, DirectoryUser>, actor: Actor | null, id: string): DirectoryUser {
  const scope = requireScope(actor, 'users:read');
  const user = users.get(id);
  const visible =
    !!user &&
    user.orgId === actor!.orgId &&
    (scope === 'org' || user.id === actor!.userId || (scope === 'team' && sharesTeam(user.teamIds, actor!.teamIds)));
  if (!visible) throw DomainException.notFound('USER_NOT_FOUND', 'User');
  return user;
}

function visibleContact(
  users: Map<string, DirectoryUser>,
  contacts: Map<string, DirectoryContact>,
  actor: Actor | null,
  id: string,
): DirectoryContact {
  const scope = requireScope(actor, 'contacts:read');
  const contact = contacts.get(id);
  const owner = contact?.ownerId ? users.get(contact.ownerId) : undefined;
  const visible =
    !!contact &&
    contact.orgId === actor!.orgId &&
    (scope === 'org' ||
      (!!contact.ownerId && contact.ownerId === actor!.userId) ||
      (scope === 'team' && !!owner && sharesTeam(owner.teamIds, actor!.teamIds)));
  if (!visible) throw DomainException.notFound('CONTACT_NOT_FOUND', 'Contact');
  if (contact.mergedIntoId) {
    throw new DomainException('not_found', 'CONTACT_MERGED', 'This contact was merged into another', undefined, {
      mergedIntoId: contact.mergedIntoId,
    });
  }
  return contact;
}

const sharesTeam = (a: readonly string[], b: readonly string[]) => a.some((teamId) => b.includes(teamId));

/** What listings reads of identity's `UserView` (`PropertyAccess`): the rest of the view is left out. */
function userView(user: DirectoryUser): Partial<UserView> {
  return { id: user.id, orgId: user.orgId, role: user.role, status: user.status, teamIds: user.teamIds };
}

/** What listings reads of crm's `CrmContactView` (`ContactAccess`): the rest of the view is left out. */
function contactView(contact: DirectoryContact): Partial<CrmContactView> {
  return { id: contact.id, orgId: contact.orgId, ownerId: contact.ownerId, mergedIntoId: contact.mergedIntoId };
}
