import { Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import {
  IdentityEvent,
  type AgentProfileUpdatedData,
  type CloudEvent,
  type UserCreatedData,
  type UserRoleChangedData,
  type UserTeamsChangedData,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { CrmDb } from '../../database/crm.db';
import { upsertAgent, upsertOrgUser } from './org-user-upsert.util';

/** Consumer group of the read model (also its inbox consumer name: never change it). */
export const IDENTITY_READ_MODEL_GROUP = 'crm.identity-read-model';

/** The `identity.events` types the read model applies. */
export const IDENTITY_READ_MODEL_EVENTS = [
  IdentityEvent.userCreated,
  IdentityEvent.userUpdated,
  IdentityEvent.userRoleChanged,
  IdentityEvent.userTeamsChanged,
  IdentityEvent.userDeactivated,
  IdentityEvent.agentProfileUpdated,
  IdentityEvent.agentRemoved,
  IdentityEvent.teamCreated,
  IdentityEvent.teamUpdated,
  IdentityEvent.teamDeleted,
];

/**
 * The crm's local read model of the organization's users (`org_user`): role, status, teams and,
 * for agents, the routing profile (regions/ZIP codes, capacity, working hours). Fed by
 * `identity.events` (consumer group `crm.identity-read-model`, each event applied once through the
 * inbox), so lead routing and team scope never call identity. Events are applied as idempotent
 * upserts of the latest known state. Team events and user events arrive in either order (different
 * partitions): a team event's members are also kept in `team_member`, which a member's later
 * `identity.user.created` merges into its teams.
 */
@Injectable()
export class IdentityReadModelConsumer {
  /** Applies one identity event to `org_user` (and links a self-registered client to its contact), in the event's unit of work. */
  @OnEvent<unknown>(IDENTITY_READ_MODEL_EVENTS, { group: IDENTITY_READ_MODEL_GROUP })
  async onIdentityEvent(event: CloudEvent<unknown>, unit: UnitOfWorkContext): Promise<void> {
    await this.apply(kyselyFor<CrmDb>(unit.manager), event);
  }

  private async apply(db: Kysely<CrmDb>, event: CloudEvent<unknown>): Promise<void> {
    const orgId = event.orgid;
    switch (event.type) {
      case IdentityEvent.userCreated.type: {
        const data = event.data as UserCreatedData;
        await upsertOrgUser(db, orgId, data);
        // Teams whose event arrived before this one (another partition) named the user already.
        await db
          .updateTable('org_user')
          .set({
            team_ids: sql<string[]>`ARRAY(SELECT DISTINCT t FROM unnest(team_ids || ARRAY(
              SELECT team_id FROM team_member WHERE user_id = ${data.userId}::uuid AND org_id = ${orgId}::uuid)) AS t ORDER BY t)`,
          })
          .where('user_id', '=', data.userId)
          .where('org_id', '=', orgId)
          .where((eb) =>
            eb.exists(eb.selectFrom('team_member').select('team_id').where('user_id', '=', data.userId).where('org_id', '=', orgId)),
          )
          .execute();
        if (data.contactId && data.role === 'client') {
          // A self-registered client: this contact is the person; the client sees only it.
          const linked = await db
            .updateTable('contact')
            .set({ client_user_id: data.userId, updated_at: sql<Date>`now()` })
            .where('id', '=', data.contactId)
            .where('org_id', '=', orgId)
            .returning('id')
            .execute();
          if (linked.length > 0) {
            await db
              .insertInto('timeline_entry')
              .values({
                id: newId(),
                org_id: orgId,
                contact_id: data.contactId,
                kind: 'client.registered',
                actor_id: data.userId,
                data: JSON.stringify({ userId: data.userId }),
              })
              .execute();
          }
        }
        return;
      }
      case IdentityEvent.agentProfileUpdated.type: {
        const data = event.data as AgentProfileUpdatedData;
        if (!data.profile) return; // an older event without the snapshot
        await upsertAgent(db, orgId, data);
        return;
      }
      case IdentityEvent.userRoleChanged.type: {
        const data = event.data as UserRoleChangedData;
        await db
          .updateTable('org_user')
          .set({ role: data.to, is_agent: data.to === 'agent', updated_at: sql<Date>`now()` })
          .where('user_id', '=', data.userId)
          .execute();
        return;
      }
      case IdentityEvent.userTeamsChanged.type: {
        const data = event.data as UserTeamsChangedData;
        await db
          .updateTable('org_user')
          .set({ team_ids: data.to, updated_at: sql<Date>`now()` })
          .where('user_id', '=', data.userId)
          .execute();
        return;
      }
      case IdentityEvent.userDeactivated.type:
      case IdentityEvent.agentRemoved.type: {
        const data = event.data as { userId: string };
        await db
          .updateTable('org_user')
          .set({ status: 'deactivated', updated_at: sql<Date>`now()` })
          .where('user_id', '=', data.userId)
          .execute();
        return;
      }
      case IdentityEvent.userUpdated.type: {
        const data = event.data as { userId: string; changes: Record<string, { from: unknown; to: unknown }> };
        const changes = data.changes ?? {};
        const user = db.updateTable('org_user').where('user_id', '=', data.userId);
        if (changes.status) await user.set({ status: changes.status.to as string }).execute();
        if (changes.name) await user.set({ name: changes.name.to as string }).execute();
        if (changes.email) await user.set({ email: changes.email.to as string }).execute();
        return;
      }
      case IdentityEvent.teamCreated.type:
      case IdentityEvent.teamUpdated.type: {
        // Apply only the difference: team and user events travel on different partitions (keyed by
        // their own ids), so a team event may arrive before or after the users' own events.
        const data = event.data as { teamId: string; memberIds?: string[]; changes?: Record<string, { from: unknown; to: unknown }> };
        const change = data.changes?.memberIds as { from: string[]; to: string[] } | undefined;
        const added = data.memberIds ?? (change ? change.to.filter((id) => !change.from.includes(id)) : []);
        const removed = change ? change.from.filter((id) => !change.to.includes(id)) : [];
        // Kept for members whose own user.created has not arrived yet (see team_member's migration).
        if (added.length > 0) {
          await db
            .insertInto('team_member')
            .values(added.map((userId) => ({ org_id: orgId, team_id: data.teamId, user_id: userId })))
            .onConflict((conflict) => conflict.columns(['team_id', 'user_id']).doNothing())
            .execute();
        }
        if (removed.length > 0) {
          await db.deleteFrom('team_member').where('team_id', '=', data.teamId).where('user_id', 'in', removed).execute();
        }
        if (removed.length > 0) {
          await db
            .updateTable('org_user')
            .set({ team_ids: sql<string[]>`array_remove(team_ids, ${data.teamId}::uuid)` })
            .where('org_id', '=', orgId)
            .where('user_id', '=', (eb) => eb.fn.any(sql<string[]>`${removed}::uuid[]`))
            .execute();
        }
        if (added.length > 0) {
          await db
            .updateTable('org_user')
            .set({ team_ids: sql<string[]>`array_append(team_ids, ${data.teamId}::uuid)` })
            .where('org_id', '=', orgId)
            .where('user_id', '=', (eb) => eb.fn.any(sql<string[]>`${added}::uuid[]`))
            .where((eb) => eb.not(eb(sql<string>`${data.teamId}::uuid`, '=', eb.fn.any('team_ids'))))
            .execute();
        }
        return;
      }
      case IdentityEvent.teamDeleted.type: {
        const data = event.data as { teamId: string };
        await db.deleteFrom('team_member').where('team_id', '=', data.teamId).where('org_id', '=', orgId).execute();
        await db
          .updateTable('org_user')
          .set({ team_ids: sql<string[]>`array_remove(team_ids, ${data.teamId}::uuid)` })
          .where('org_id', '=', orgId)
          .execute();
        return;
      }
      default:
        return;
    }
  }
}
