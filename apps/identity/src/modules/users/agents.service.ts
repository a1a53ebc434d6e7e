import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
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
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';
import { PasswordService } from '../auth/password.service';
import { SessionService } from '../auth/session.service';
import { RevocationService } from '../auth/revocation.service';
import { escapeLike } from '../list-query.util';
import type { AppUserRow } from './app-user.row';
import { UsersService } from './users.service';

/**
 * What an `AgentView` shows: the `agent_profile` row, the user's name, email and status, and the
 * user's team ids (`team_ids`, sorted).
 */
type AgentViewRow = Selectable<IdentityDb['agent_profile']> & Pick<AppUserRow, 'name' | 'email' | 'status'> & { team_ids: string[] };

/** The `AgentView` columns of agents (`agent_profile` as `a` joined with their `app_user` as `u`). */
function selectAgentViews(db: Kysely<IdentityDb>) {
  return db
    .selectFrom('agent_profile as a')
    .innerJoin('app_user as u', 'u.id', 'a.user_id')
    .select((eb) => [
      'a.user_id',
      'a.org_id',
      'u.name',
      'u.email',
      'u.status',
      'a.license_number',
      'a.license_state',
      'a.regions',
      'a.languages',
      'a.capacity',
      'a.working_hours',
      'a.created_at',
      'a.updated_at',
      eb.fn
        .coalesce(
          eb
            .selectFrom('team_member as tm')
            .select((sub) => sub.fn.agg<string[]>('array_agg', ['tm.team_id']).orderBy('tm.team_id').as('team_ids'))
            .whereRef('tm.user_id', '=', 'u.id'),
          sql<string[]>`'{}'`,
        )
        .as('team_ids'),
    ]);
}

function toAgentView(row: AgentViewRow): AgentView {
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

const PROFILE_FIELDS = ['licenseNumber', 'licenseState', 'regions', 'languages', 'capacity', 'workingHours'] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];

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
    let query = selectAgentViews(kyselyFor<IdentityDb>(this.dataSource)).where('a.org_id', '=', actor.orgId);
    const { region, language, teamId, q } = data;
    if (region) query = query.where((eb) => eb(eb.val(region), '=', eb.fn.any('a.regions')));
    if (language) query = query.where((eb) => eb(eb.val(language), '=', eb.fn.any('a.languages')));
    if (teamId) query = query.where('u.id', 'in', (eb) => eb.selectFrom('team_member').select('user_id').where('team_id', '=', teamId));
    query = query.where('u.status', '=', data.status ?? 'active');
    if (q) {
      const pattern = `%${escapeLike(q)}%`;
      query = query.where((eb) =>
        eb.or([eb('u.name', 'ilike', pattern), eb(eb.cast('u.email', 'text'), 'ilike', pattern), eb('a.license_number', 'ilike', pattern)]),
      );
    }
    const page = keysetPage(
      query,
      { sort: sql.ref('a.created_at'), id: sql.ref('a.user_id'), direction: 'asc' },
      { cursor: data.cursor, limit: data.limit },
    );
    const rows = await page.query.execute();
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
      const db = kyselyFor<IdentityDb>(manager);
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
        await db.insertInto('agent_profile').values({ user_id: userId, org_id: actor.orgId }).execute();
      } else {
        const user = await db
          .selectFrom('app_user')
          .select('role')
          .where('id', '=', userId)
          .where('org_id', '=', actor.orgId)
          .forUpdate()
          .executeTakeFirst();
        if (!user) throw DomainException.notFound(IdentityErrorCode.AgentNotFound, 'Agent');
        if (user.role !== 'agent') {
          throw new DomainException('conflict', 'NOT_AN_AGENT', 'Only users with the agent role have an agent profile');
        }
        await db
          .insertInto('agent_profile')
          .values({ user_id: userId, org_id: actor.orgId })
          .onConflict((conflict) => conflict.column('user_id').doNothing())
          .execute();
        before = await this.view(manager, actor.orgId, userId);
      }
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const changed = new Set<ProfileField>();
      for (const field of PROFILE_FIELDS) {
        const value = data[field];
        if (value === undefined) continue;
        const normalized = field === 'regions' || field === 'languages' ? [...new Set(value as string[])] : value;
        const previous = before ? before[field] : undefined;
        if (before && JSON.stringify(previous) === JSON.stringify(normalized)) continue;
        changes[field] = { from: previous ?? null, to: normalized };
        changed.add(field);
      }
      const profileChanged = changed.size > 0;
      if (profileChanged) {
        await db
          .updateTable('agent_profile')
          .set({ ...profileColumns(data, changed), updated_at: sql<Date>`now()` })
          .where('user_id', '=', userId)
          .execute();
      }
      const after = await this.view(manager, actor.orgId, userId);
      // A new agent always announces its profile (even the defaults): lead routing keeps a read model of it.
      if (profileChanged || !before) {
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
      await kyselyFor<IdentityDb>(manager)
        .updateTable('app_user')
        .set({ status: 'deactivated', deactivated_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
        .where('id', '=', agent.userId)
        .execute();
      const revoked = await this.sessions.revokeAllSessions(manager, agent.userId);
      await unit.emit(IdentityEvent.agentRemoved, agent.userId, actor.orgId, { userId: agent.userId });
      await unit.emit(IdentityEvent.userDeactivated, agent.userId, actor.orgId, { userId: agent.userId });
      unit.afterCommit(() => this.revocations.broadcast(revoked));
    });
  }

  private async view(manager: EntityManager, orgId: string, userId: string): Promise<AgentView> {
    const row = await selectAgentViews(kyselyFor<IdentityDb>(manager))
      .where('a.user_id', '=', userId)
      .where('a.org_id', '=', orgId)
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(IdentityErrorCode.AgentNotFound, 'Agent');
    return toAgentView(row);
  }
}

/**
 * The `agent_profile` columns of the profile fields of `data` named in `fields` (regions and
 * languages deduplicated; working hours as JSON text, `null` as JSON null, as `JsonColumn` writes).
 */
function profileColumns(data: AgentUpsertRequest, fields: ReadonlySet<ProfileField>): Updateable<IdentityDb['agent_profile']> {
  const set: Updateable<IdentityDb['agent_profile']> = {};
  if (fields.has('licenseNumber')) set.license_number = data.licenseNumber;
  if (fields.has('licenseState')) set.license_state = data.licenseState;
  if (fields.has('regions')) set.regions = [...new Set(data.regions)];
  if (fields.has('languages')) set.languages = [...new Set(data.languages)];
  if (fields.has('capacity')) set.capacity = data.capacity;
  if (fields.has('workingHours')) set.working_hours = JSON.stringify(data.workingHours);
  return set;
}
