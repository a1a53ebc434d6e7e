import { Pool } from 'pg';
import { CrmContactEvent, IdentityEvent, type Actor, type CloudEvent, type UserStatus } from '@keyhouse/contracts';
import { actorFor, seedReadModel, startService, testEvent, type StartedApp, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startListings } from '../../src/main';
import { LISTINGS_CONTACTS_GROUP } from '../../src/modules/engagement/contact-events.consumer';
import { startDirectoryStandIn, type DirectoryStandIn } from './directory-stand-in.fixture';

/**
 * What the built-in roles hold of the permissions listings and its stand-ins check
 * (identity's role table: admins the organization, managers their team, agents their own
 * records, clients what is shared with them).
 */
export const LISTINGS_ROLE_PERMISSIONS = {
  owner: ['listings:read:org', 'listings:write:org', 'listings:import:org', 'users:read:org', 'contacts:read:org'],
  manager: ['listings:read:org', 'listings:write:team', 'users:read:team', 'contacts:read:team'],
  agent: ['listings:read:org', 'listings:write:own', 'users:read:own', 'contacts:read:own'],
  client: ['listings:read:own', 'contacts:read:own'],
} as const;

export type ListingsRole = keyof typeof LISTINGS_ROLE_PERMISSIONS;

/** The listings service alone, with the identity and crm answers it needs from a stand-in. */
export interface ListingsTestService extends TestService {
  directory: DirectoryStandIn;
  /** A new organization's owner (known to the identity stand-in). */
  owner(): Actor;
  /** A user of `orgId` with the role's permissions, known to the identity stand-in (active, no team unless given). */
  user(orgId: string, role: ListingsRole, options?: { teamIds?: string[]; status?: UserStatus }): Actor;
  /** A crm contact of `orgId` owned by `ownerId` (null: unassigned), known to the crm stand-in; returns its id. */
  contact(orgId: string, ownerId: string | null): string;
  /**
   * A self-registered portal client: an unassigned contact and a client user linked to it by
   * `identity.user.created` (with `contactId`), resolved once listings has applied it (`client_contact`).
   */
  portalClient(orgId: string): Promise<{ actor: Actor; contactId: string }>;
  /**
   * A client who registered with the address of an existing contact: `identity.user.created`
   * without `contactId`, then `link()` delivers `identity.user.contact_linked` (the address was
   * verified; issue 13 item 2), resolved once listings has applied it.
   */
  unverifiedClient(orgId: string): Promise<{ actor: Actor; contactId: string; link(): Promise<void> }>;
  /** Crm merges `mergedId` into `survivorId`: the stand-in answers CONTACT_MERGED; resolves once listings applied `crm.contact.merged`. */
  mergeContacts(orgId: string, survivorId: string, mergedId: string): Promise<void>;
  /** Crm erases the contact: the stand-in forgets it; resolves once listings applied `crm.contact.erased`. */
  eraseContact(orgId: string, contactId: string): Promise<void>;
  /** Events of the listings outbox (the relay's input) of `type` (all without), oldest first. */
  outboxEvents<T = Record<string, unknown>>(type?: string): Promise<Array<CloudEvent<T>>>;
  /** Runs SQL on the service's database as the listings role (tables qualified `listings.`). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Closes the service and starts it again on the same isolation with `overrides` added to its environment. */
  restart(overrides: Record<string, string>): Promise<void>;
}

/**
 * Starts listings with `startService(startListings)` and the directory stand-in on its subject
 * prefix. `overrides` are added to the service's environment.
 */
export async function startListingsService(overrides: Record<string, string> = {}): Promise<ListingsTestService> {
  const svc: TestService = await startService(startListings, overrides);
  const directory = await startDirectoryStandIn(svc.env).catch(async (error: unknown) => {
    await svc.stop();
    throw error;
  });
  const pool = new Pool({ connectionString: svc.env.LISTINGS_DATABASE_URL, max: 2 });
  let restarted: StartedApp | null = null;

  const harness: ListingsTestService = {
    ...svc,
    directory,
    owner() {
      return harness.user(newId(), 'owner');
    },
    user(orgId, role, options = {}) {
      const actor = actorFor({ orgId, role, permissions: LISTINGS_ROLE_PERMISSIONS[role], teamIds: options.teamIds });
      directory.users.set(actor.userId!, {
        id: actor.userId!,
        orgId,
        role,
        status: options.status ?? 'active',
        teamIds: [...actor.teamIds],
      });
      return actor;
    },
    contact(orgId, ownerId) {
      const id = newId();
      directory.contacts.set(id, { id, orgId, ownerId, mergedIntoId: null });
      return id;
    },
    async portalClient(orgId) {
      const contactId = harness.contact(orgId, null);
      const actor = harness.user(orgId, 'client');
      const created = testEvent(
        IdentityEvent.userCreated,
        orgId,
        {
          userId: actor.userId!,
          email: `client-${actor.userId}@example.test`,
          name: 'Portal Client',
          role: 'client',
          status: 'active',
          teamIds: [],
          contactId,
        },
        { subject: actor.userId },
      );
      await seedReadModel(svc, { service: 'listings', topic: 'identity.events', group: LISTINGS_CONTACTS_GROUP, events: [created] });
      return { actor, contactId };
    },
    async unverifiedClient(orgId) {
      const contactId = harness.contact(orgId, null);
      const actor = harness.user(orgId, 'client');
      const created = testEvent(
        IdentityEvent.userCreated,
        orgId,
        {
          userId: actor.userId!,
          email: `client-${actor.userId}@example.test`,
          name: 'Unverified Client',
          role: 'client',
          status: 'active',
          teamIds: [],
        },
        { subject: actor.userId },
      );
      await seedReadModel(svc, { service: 'listings', topic: 'identity.events', group: LISTINGS_CONTACTS_GROUP, events: [created] });
      const link = async () => {
        const linked = testEvent(
          IdentityEvent.userContactLinked,
          orgId,
          { userId: actor.userId!, contactId, via: 'email_verification' },
          { subject: actor.userId },
        );
        await seedReadModel(svc, { service: 'listings', topic: 'identity.events', group: LISTINGS_CONTACTS_GROUP, events: [linked] });
      };
      return { actor, contactId, link };
    },
    async mergeContacts(orgId, survivorId, mergedId) {
      directory.contacts.get(mergedId)!.mergedIntoId = survivorId;
      const merged = testEvent(CrmContactEvent.contactMerged, orgId, { contactId: survivorId, mergedId }, { subject: survivorId });
      await seedReadModel(svc, { service: 'listings', topic: 'crm.events', group: LISTINGS_CONTACTS_GROUP, events: [merged] });
    },
    async eraseContact(orgId, contactId) {
      directory.contacts.delete(contactId);
      const erased = testEvent(CrmContactEvent.contactErased, orgId, { contactId }, { subject: contactId });
      await seedReadModel(svc, { service: 'listings', topic: 'crm.events', group: LISTINGS_CONTACTS_GROUP, events: [erased] });
    },
    async outboxEvents<T>(type?: string) {
      const rows = await harness.query<{ payload: CloudEvent<T> }>(
        `SELECT payload FROM listings.outbox_event ${type ? 'WHERE event_type = $1' : ''} ORDER BY seq`,
        type ? [type] : [],
      );
      return rows.map((row) => row.payload);
    },
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async restart(more) {
      await (restarted ?? svc.app).close();
      restarted = null;
      Object.assign(svc.env, more);
      restarted = await startListings(svc.env);
      harness.app = restarted;
    },
    async stop() {
      try {
        await directory.stop();
        await pool.end();
        if (restarted) await restarted.close();
      } finally {
        await svc.stop();
      }
    },
  };
  return harness;
}
