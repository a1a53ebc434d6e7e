import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  IdentityEvent,
  type AgentProfileUpdatedData,
  type CloudEvent,
  type UserCreatedData,
  type UserRoleChangedData,
  type UserTeamsChangedData,
} from '@keyhouse/contracts';
import { OnEvent, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';

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
 * upserts of the latest known state.
 */
@Injectable()
export class IdentityReadModelConsumer {
  /** Applies one identity event to `org_user` (and links a self-registered client to its contact), in the event's unit of work. */
  @OnEvent<unknown>(IDENTITY_READ_MODEL_EVENTS, { group: IDENTITY_READ_MODEL_GROUP })
  async onIdentityEvent(event: CloudEvent<unknown>, unit: UnitOfWorkContext): Promise<void> {
    await this.apply(unit.manager, event);
  }

  private async apply(manager: EntityManager, event: CloudEvent<unknown>): Promise<void> {
    const orgId = event.orgid;
    switch (event.type) {
      case IdentityEvent.userCreated.type: {
        const data = event.data as UserCreatedData;
        await manager.query(
          `INSERT INTO org_user (user_id, org_id, name, email, role, status, team_ids, is_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (user_id) DO UPDATE SET name = $3, email = $4, role = $5, status = $6, team_ids = $7,
                 is_agent = org_user.is_agent OR $8, updated_at = now()`,
          [data.userId, orgId, data.name, data.email, data.role, data.status, data.teamIds ?? [], data.role === 'agent'],
        );
        if (data.contactId && data.role === 'client') {
          // A self-registered client: this contact is the person; the client sees only it.
          const linked = (await manager.query(
            `UPDATE contact SET client_user_id = $2, updated_at = now() WHERE id = $1 AND org_id = $3 RETURNING id`,
            [data.contactId, data.userId, orgId],
          )) as [unknown[], number];
          if (linked[1] > 0) {
            await manager.query(
              `INSERT INTO timeline_entry (id, org_id, contact_id, kind, actor_id, data) VALUES ($1, $2, $3, 'client.registered', $4, $5)`,
              [newId(), orgId, data.contactId, data.userId, JSON.stringify({ userId: data.userId })],
            );
          }
        }
        return;
      }
      case IdentityEvent.agentProfileUpdated.type: {
        const data = event.data as AgentProfileUpdatedData;
        if (!data.profile) return; // an older event without the snapshot
        await manager.query(
          `INSERT INTO org_user (user_id, org_id, name, email, role, status, team_ids, regions, capacity, working_hours, is_agent)
           VALUES ($1, $2, $3, $4, 'agent', $5, $6, $7, $8, $9, true)
           ON CONFLICT (user_id) DO UPDATE SET name = $3, email = $4, status = $5, team_ids = $6, regions = $7, capacity = $8,
                 working_hours = $9, is_agent = true, updated_at = now()`,
          [
            data.userId,
            orgId,
            data.name,
            data.email,
            data.status,
            data.teamIds ?? [],
            data.profile.regions,
            data.profile.capacity,
            data.profile.workingHours ? JSON.stringify(data.profile.workingHours) : null,
          ],
        );
        return;
      }
      case IdentityEvent.userRoleChanged.type: {
        const data = event.data as UserRoleChangedData;
        await manager.query(`UPDATE org_user SET role = $2, is_agent = ($2 = 'agent'), updated_at = now() WHERE user_id = $1`, [
          data.userId,
          data.to,
        ]);
        return;
      }
      case IdentityEvent.userTeamsChanged.type: {
        const data = event.data as UserTeamsChangedData;
        await manager.query(`UPDATE org_user SET team_ids = $2, updated_at = now() WHERE user_id = $1`, [data.userId, data.to]);
        return;
      }
      case IdentityEvent.userDeactivated.type:
      case IdentityEvent.agentRemoved.type: {
        const data = event.data as { userId: string };
        await manager.query(`UPDATE org_user SET status = 'deactivated', updated_at = now() WHERE user_id = $1`, [data.userId]);
        return;
      }
      case IdentityEvent.userUpdated.type: {
        const data = event.data as { userId: string; changes: Record<string, { from: unknown; to: unknown }> };
        const changes = data.changes ?? {};
        if (changes.status) await manager.query(`UPDATE org_user SET status = $2 WHERE user_id = $1`, [data.userId, changes.status.to]);
        if (changes.name) await manager.query(`UPDATE org_user SET name = $2 WHERE user_id = $1`, [data.userId, changes.name.to]);
        if (changes.email) await manager.query(`UPDATE org_user SET email = $2 WHERE user_id = $1`, [data.userId, changes.email.to]);
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
        if (removed.length > 0) {
          await manager.query(
            `UPDATE org_user SET team_ids = array_remove(team_ids, $2::uuid) WHERE org_id = $1 AND user_id = ANY($3::uuid[])`,
            [orgId, data.teamId, removed],
          );
        }
        if (added.length > 0) {
          await manager.query(
            `UPDATE org_user SET team_ids = array_append(team_ids, $2::uuid) WHERE org_id = $1 AND user_id = ANY($3::uuid[]) AND NOT ($2::uuid = ANY(team_ids))`,
            [orgId, data.teamId, added],
          );
        }
        return;
      }
      case IdentityEvent.teamDeleted.type: {
        const data = event.data as { teamId: string };
        await manager.query(`UPDATE org_user SET team_ids = array_remove(team_ids, $2::uuid) WHERE org_id = $1`, [orgId, data.teamId]);
        return;
      }
      default:
        return;
    }
  }
}
