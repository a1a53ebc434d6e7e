import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IdentityEvent,
  IdentityUserSubjects,
  type AgentListRequest,
  type AgentProfileUpdatedData,
  type AgentUpsertRequest,
  type AgentView,
  type IdRequest,
  type Page,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { IdentityErrorCode } from '../../identity.exception';
import { PasswordService } from '../auth/password.service';
import { SessionService } from '../auth/session.service';
import { RevocationService } from '../auth/revocation.service';
import { escapeLike, pageOrThrow } from '../list-query.util';
import { UsersService } from './users.service';

interface AgentRow {
  user_id: string;
  org_id: string;
  name: string;
  email: string;
  status: AgentView['status'];
  team_ids: string[];
  license_number: string | null;
  license_state: string | null;
  regions: string[];
  languages: string[];
  capacity: number;
  working_hours: AgentView['workingHours'];
  created_at: Date;
  updated_at: Date;
}

const AGENT_COLUMNS = `a.user_id, a.org_id, u.name, u.email, u.status, a.license_number, a.license_state, a.regions,
  a.languages, a.capacity, a.working_hours, a.created_at, a.updated_at,
  coalesce((SELECT array_agg(tm.team_id ORDER BY tm.team_id) FROM team_member tm WHERE tm.user_id = u.id), '{}') AS team_ids`;

function toAgentView(row: AgentRow): AgentView {
  return {
    userId: row.user_id,
    orgId: row.org_id,
    name: row.name,
    email: row.email,
    status: row.status,
    teamIds: row.team_ids,
    licenseNumber: row.license_number,
    licenseState: row.license_state,
    regions: row.regions,
    languages: row.languages,
    capacity: row.capacity,
    workingHours: row.working_hours,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const PROFILE_FIELDS = {
  licenseNumber: 'license_number',
  licenseState: 'license_state',
  regions: 'regions',
  languages: 'languages',
  capacity: 'capacity',
  workingHours: 'working_hours',
} as const;

/**
 * Agents: users with role `agent` and a profile that lead routing reads (regions/ZIP codes,
 * languages, capacity, working hours). Admins add (creating the user), update and remove them;
 * removing deactivates the user and keeps the history.
 */
@Injectable()
export class AgentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly revocations: RevocationService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** Agents of the organization (default: active), by creation (keyset page); `agents:read`. */
  @RpcHandler(IdentityUserSubjects.agentList)
  async list(envelope: RequestEnvelope<AgentListRequest>): Promise<Page<AgentView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'agents:read');
    const data = envelope.data;
    const params: unknown[] = [actor.orgId];
    const where = ['a.org_id = $1'];
    if (data.region) {
      params.push(data.region);
      where.push(`$${params.length} = ANY(a.regions)`);
    }
    if (data.language) {
      params.push(data.language);
      where.push(`$${params.length} = ANY(a.languages)`);
    }
    if (data.teamId) {
      params.push(data.teamId);
      where.push(`u.id IN (SELECT user_id FROM team_member WHERE team_id = $${params.length})`);
    }
    params.push(data.status ?? 'active');
    where.push(`u.status = $${params.length}`);
    if (data.q) {
      params.push(`%${escapeLike(data.q)}%`);
      where.push(`(u.name ILIKE $${params.length} OR u.email::text ILIKE $${params.length} OR a.license_number ILIKE $${params.length})`);
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'a.created_at',
        idColumn: 'a.user_id',
        direction: 'ASC',
        cursor: data.cursor,
        limit: data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT ${AGENT_COLUMNS} FROM agent_profile a JOIN app_user u ON u.id = a.user_id
        WHERE ${where.join(' AND ')} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as AgentRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.user_id }), toAgentView);
  }

  /** An agent by user id (404 `AGENT_NOT_FOUND`). */
  @RpcHandler(IdentityUserSubjects.agentGet)
  async get(envelope: RequestEnvelope<IdRequest>): Promise<AgentView> {
    requireScope(envelope.actor, 'agents:read');
    return this.view(this.dataSource.manager, envelope.actor!.orgId, envelope.data.id);
  }

  /**
   * Adds an agent (creating or inviting the user with role `agent`) when `userId` is absent, else
   * updates the profile; emits `identity.user.created` for a new user and `identity.agent.profile_updated`
   * (always for a new agent, else when the profile changed).
   *
   * @throws DomainException 422 (email and name required to add); 404 `AGENT_NOT_FOUND`;
   *   409 `NOT_AN_AGENT`, `EMAIL_TAKEN`.
   */
  @RpcHandler(IdentityUserSubjects.agentUpsert)
  async upsert(envelope: RequestEnvelope<AgentUpsertRequest>): Promise<AgentView> {
    const actor = envelope.actor!;
    requireScope(actor, 'agents:write', 'org');
    const data = envelope.data;
    let passwordHash: string | null = null;
    if (!data.userId && data.password) {
      this.passwords.assertAcceptable(data.password, data.email);
      passwordHash = await this.passwords.hash(data.password);
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      let userId = data.userId;
      let before: AgentView | null = null;
      if (!userId) {
        if (!data.email || !data.name) {
          throw DomainException.validation([
            ...(data.email ? [] : [{ field: 'email', message: 'is required to add an agent' }]),
            ...(data.name ? [] : [{ field: 'name', message: 'is required to add an agent' }]),
          ]);
        }
        const user = await this.users.insertUser(unit, actor.orgId, {
          email: data.email.trim(),
          name: data.name.trim(),
          role: 'agent',
          passwordHash,
          teamIds: data.teamIds ?? [],
          phone: null,
          timezone: data.workingHours?.timezone,
        });
        userId = user.id;
        await manager.query(`INSERT INTO agent_profile (user_id, org_id) VALUES ($1, $2)`, [userId, actor.orgId]);
      } else {
        const [user] = (await manager.query(`SELECT role FROM app_user WHERE id = $1 AND org_id = $2 FOR UPDATE`, [
          userId,
          actor.orgId,
        ])) as Array<{ role: string }>;
        if (!user) throw DomainException.notFound(IdentityErrorCode.AgentNotFound, 'Agent');
        if (user.role !== 'agent') {
          throw new DomainException('conflict', 'NOT_AN_AGENT', 'Only users with the agent role have an agent profile');
        }
        await manager.query(`INSERT INTO agent_profile (user_id, org_id) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`, [
          userId,
          actor.orgId,
        ]);
        before = await this.view(manager, actor.orgId, userId);
      }
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const sets: string[] = [];
      const params: unknown[] = [userId];
      for (const [field, column] of Object.entries(PROFILE_FIELDS)) {
        const value = data[field as keyof typeof PROFILE_FIELDS];
        if (value === undefined) continue;
        const normalized = field === 'regions' || field === 'languages' ? [...new Set(value as string[])] : value;
        const previous = before ? before[field as keyof AgentView] : undefined;
        if (before && JSON.stringify(previous) === JSON.stringify(normalized)) continue;
        changes[field] = { from: previous ?? null, to: normalized };
        params.push(field === 'workingHours' ? JSON.stringify(normalized) : normalized);
        sets.push(`${column} = $${params.length}`);
      }
      if (sets.length > 0) {
        await manager.query(`UPDATE agent_profile SET ${sets.join(', ')}, updated_at = now() WHERE user_id = $1`, params);
      }
      const after = await this.view(manager, actor.orgId, userId);
      // A new agent always announces its profile (even the defaults): lead routing keeps a read model of it.
      if (sets.length > 0 || !before) {
        const event: AgentProfileUpdatedData = {
          userId,
          changes,
          profile: {
            regions: after.regions,
            languages: after.languages,
            capacity: after.capacity,
            workingHours: after.workingHours as AgentProfileUpdatedData['profile']['workingHours'],
            licenseNumber: after.licenseNumber ?? null,
            licenseState: after.licenseState ?? null,
          },
          name: after.name,
          email: after.email,
          status: after.status,
          teamIds: after.teamIds,
        };
        await unit.emit(IdentityEvent.agentProfileUpdated, userId, actor.orgId, event);
      }
      return after;
    });
  }

  /**
   * Removes an agent: the user is deactivated, every session ended (revocations broadcast after
   * commit), history kept; emits `identity.agent.removed` then `identity.user.deactivated`.
   *
   * @throws DomainException 404 `AGENT_NOT_FOUND`.
   */
  @RpcHandler(IdentityUserSubjects.agentRemove)
  async remove(envelope: RequestEnvelope<IdRequest>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'agents:write', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const agent = await this.view(manager, actor.orgId, envelope.data.id);
      await manager.query(`UPDATE app_user SET status = 'deactivated', deactivated_at = now(), updated_at = now() WHERE id = $1`, [
        agent.userId,
      ]);
      const revoked = await this.sessions.revokeAllSessions(manager, agent.userId);
      await unit.emit(IdentityEvent.agentRemoved, agent.userId, actor.orgId, { userId: agent.userId });
      await unit.emit(IdentityEvent.userDeactivated, agent.userId, actor.orgId, { userId: agent.userId });
      unit.afterCommit(() => this.revocations.broadcast(revoked));
    });
  }

  private async view(manager: EntityManager, orgId: string, userId: string): Promise<AgentView> {
    const [row] = (await manager.query(
      `SELECT ${AGENT_COLUMNS} FROM agent_profile a JOIN app_user u ON u.id = a.user_id WHERE a.user_id = $1 AND a.org_id = $2`,
      [userId, orgId],
    )) as AgentRow[];
    if (!row) throw DomainException.notFound(IdentityErrorCode.AgentNotFound, 'Agent');
    return toAgentView(row);
  }
}
