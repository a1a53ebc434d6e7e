import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  IdentityEvent,
  IdentityUserSubjects,
  type IdRequest,
  type Page,
  type RequestEnvelope,
  type Revocation,
  type TeamCreateRequest,
  type TeamListRequest,
  type TeamUpdateRequest,
  type TeamView,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';
import { RevocationService } from '../auth/revocation.service';
import { escapeLike } from '../list-query.util';

/** The `TeamView` columns of `team` with each team's member ids (`member_ids`: sorted, `{}` for none). */
function selectTeamViews(db: Kysely<IdentityDb>) {
  return db.selectFrom('team').select((eb) => [
    'team.id',
    'team.org_id',
    'team.name',
    'team.manager_id',
    'team.created_at',
    'team.updated_at',
    eb.fn
      .coalesce(
        eb
          .selectFrom('team_member as m')
          .select((sub) => sub.fn.agg<string[]>('array_agg', ['m.user_id']).orderBy('m.user_id').as('member_ids'))
          .whereRef('m.team_id', '=', 'team.id'),
        sql<string[]>`'{}'`,
      )
      .as('member_ids'),
  ]);
}

/** What a `TeamView` shows of a `team` row, with the team's member ids (`member_ids`, sorted). */
type TeamViewRow = Pick<Selectable<IdentityDb['team']>, 'id' | 'org_id' | 'name' | 'manager_id' | 'created_at' | 'updated_at'> & {
  member_ids: string[];
};

function toTeamView(row: TeamViewRow): TeamView {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    managerId: row.manager_id,
    memberIds: row.member_ids,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Teams (groups) with a manager and members. Membership and manager changes revoke the access
 * tokens of the users affected, since team ids are in their tokens and decide manager scope.
 */
@Injectable()
export class TeamsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly revocations: RevocationService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * Creates a team; emits `identity.team.created` and revokes the tokens of its manager and
   * members (broadcast after commit).
   *
   * @throws DomainException 409 `TEAM_NAME_TAKEN`; 422 `INVALID_REFERENCE` (unknown user).
   */
  @RpcHandler(IdentityUserSubjects.teamCreate)
  async create(envelope: RequestEnvelope<TeamCreateRequest>): Promise<TeamView> {
    const actor = envelope.actor!;
    requireScope(envelope.actor, 'teams:write', 'org');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      await this.assertNameFree(manager, actor.orgId, data.name);
      const memberIds = [...new Set(data.memberIds ?? [])].sort();
      await this.assertUsers(manager, actor.orgId, [...memberIds, ...(data.managerId ? [data.managerId] : [])]);
      const id = newId();
      const db = kyselyFor<IdentityDb>(manager);
      await db
        .insertInto('team')
        .values({ id, org_id: actor.orgId, name: data.name.trim(), manager_id: data.managerId ?? null })
        .execute();
      for (const userId of memberIds) {
        await db.insertInto('team_member').values({ team_id: id, user_id: userId, org_id: actor.orgId }).execute();
      }
      await unit.emit(IdentityEvent.teamCreated, id, actor.orgId, {
        teamId: id,
        name: data.name.trim(),
        managerId: data.managerId ?? null,
        memberIds,
      });
      const affected = [...memberIds, ...(data.managerId ? [data.managerId] : [])];
      const revocations: Revocation[] = [];
      for (const userId of new Set(affected)) revocations.push(await this.revocations.revokeUser(manager, userId));
      unit.afterCommit(() => this.revocations.broadcast(revocations));
      return this.view(manager, actor.orgId, id);
    });
  }

  /** Teams of the organization, by creation (keyset page), optionally by name (`q`). */
  @RpcHandler(IdentityUserSubjects.teamList)
  async list(envelope: RequestEnvelope<TeamListRequest>): Promise<Page<TeamView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'teams:read');
    let query = selectTeamViews(kyselyFor<IdentityDb>(this.dataSource)).where('team.org_id', '=', actor.orgId);
    if (envelope.data.q) query = query.where('team.name', 'ilike', `%${escapeLike(envelope.data.q)}%`);
    const page = keysetPage(
      query,
      { sort: sql.ref('team.created_at'), id: sql.ref('team.id'), direction: 'asc' },
      { cursor: envelope.data.cursor, limit: envelope.data.limit },
    );
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toTeamView);
  }

  /** A team (404 `TEAM_NOT_FOUND`). */
  @RpcHandler(IdentityUserSubjects.teamGet)
  async get(envelope: RequestEnvelope<IdRequest>): Promise<TeamView> {
    requireScope(envelope.actor, 'teams:read');
    return this.view(this.dataSource.manager, envelope.actor!.orgId, envelope.data.id);
  }

  /**
   * Renames a team, changes its manager or members; emits `identity.team.updated` and revokes the
   * tokens of the users affected (broadcast after commit).
   *
   * @throws DomainException 404 `TEAM_NOT_FOUND`; 409 `TEAM_NAME_TAKEN`; 422 `INVALID_REFERENCE`.
   */
  @RpcHandler(IdentityUserSubjects.teamUpdate)
  async update(envelope: RequestEnvelope<TeamUpdateRequest>): Promise<TeamView> {
    const actor = envelope.actor!;
    requireScope(envelope.actor, 'teams:write', 'org');
    const data = envelope.data;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.view(manager, actor.orgId, data.id, true);
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const affected = new Set<string>();
      const db = kyselyFor<IdentityDb>(manager);
      if (data.name !== undefined && data.name.trim() !== before.name) {
        await this.assertNameFree(manager, actor.orgId, data.name, before.id);
        await db
          .updateTable('team')
          .set({ name: data.name.trim(), updated_at: sql<Date>`now()` })
          .where('id', '=', before.id)
          .execute();
        changes.name = { from: before.name, to: data.name.trim() };
      }
      if (data.managerId !== undefined && data.managerId !== before.managerId) {
        if (data.managerId) await this.assertUsers(manager, actor.orgId, [data.managerId]);
        await db
          .updateTable('team')
          .set({ manager_id: data.managerId, updated_at: sql<Date>`now()` })
          .where('id', '=', before.id)
          .execute();
        changes.managerId = { from: before.managerId, to: data.managerId };
        for (const id of [before.managerId, data.managerId]) if (id) affected.add(id);
      }
      if (data.memberIds !== undefined) {
        const next = [...new Set(data.memberIds)].sort();
        if (next.join() !== before.memberIds.join()) {
          await this.assertUsers(manager, actor.orgId, next);
          await db.deleteFrom('team_member').where('team_id', '=', before.id).execute();
          for (const userId of next) {
            await db.insertInto('team_member').values({ team_id: before.id, user_id: userId, org_id: actor.orgId }).execute();
          }
          changes.memberIds = { from: before.memberIds, to: next };
          for (const id of [...before.memberIds, ...next]) {
            if (before.memberIds.includes(id) !== next.includes(id)) affected.add(id);
          }
        }
      }
      if (Object.keys(changes).length > 0) {
        await db
          .updateTable('team')
          .set({ updated_at: sql<Date>`now()` })
          .where('id', '=', before.id)
          .execute();
        await unit.emit(IdentityEvent.teamUpdated, before.id, actor.orgId, {
          teamId: before.id,
          changes,
        });
      }
      const revocations: Revocation[] = [];
      for (const userId of affected) revocations.push(await this.revocations.revokeUser(manager, userId));
      unit.afterCommit(() => this.revocations.broadcast(revocations));
      return this.view(manager, actor.orgId, before.id);
    });
  }

  /**
   * Deletes a team (its members keep their accounts); emits `identity.team.deleted` and revokes
   * the tokens of its manager and members (broadcast after commit).
   *
   * @throws DomainException 404 `TEAM_NOT_FOUND`.
   */
  @RpcHandler(IdentityUserSubjects.teamDelete)
  async delete(envelope: RequestEnvelope<IdRequest>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(envelope.actor, 'teams:write', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.view(manager, actor.orgId, envelope.data.id, true);
      await kyselyFor<IdentityDb>(manager).deleteFrom('team').where('id', '=', before.id).execute();
      await unit.emit(IdentityEvent.teamDeleted, before.id, actor.orgId, {
        teamId: before.id,
        name: before.name,
      });
      const revoked: Revocation[] = [];
      for (const userId of new Set([...before.memberIds, ...(before.managerId ? [before.managerId] : [])])) {
        revoked.push(await this.revocations.revokeUser(manager, userId));
      }
      unit.afterCommit(() => this.revocations.broadcast(revoked));
    });
  }

  private async view(manager: EntityManager, orgId: string, id: string, lock = false): Promise<TeamView> {
    const db = kyselyFor<IdentityDb>(manager);
    if (lock) await db.selectFrom('team').select('id').where('id', '=', id).where('org_id', '=', orgId).forUpdate().execute();
    const row = await selectTeamViews(db).where('team.id', '=', id).where('team.org_id', '=', orgId).executeTakeFirst();
    if (!row) throw DomainException.notFound(IdentityErrorCode.TeamNotFound, 'Team');
    return toTeamView(row);
  }

  private async assertNameFree(manager: EntityManager, orgId: string, name: string, exceptId?: string): Promise<void> {
    let query = kyselyFor<IdentityDb>(manager)
      .selectFrom('team')
      .select('id')
      .where('org_id', '=', orgId)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', eb.fn('lower', [eb.val(name.trim())])));
    if (exceptId) query = query.where('id', '<>', exceptId);
    const row = await query.executeTakeFirst();
    if (row) {
      throw new DomainException('conflict', IdentityErrorCode.TeamNameTaken, 'A team with this name exists', [
        { field: 'name', message: 'is already used by another team' },
      ]);
    }
  }

  private async assertUsers(manager: EntityManager, orgId: string, userIds: string[]): Promise<void> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return;
    const rows = await kyselyFor<IdentityDb>(manager)
      .selectFrom('app_user')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', (eb) => eb.fn.any(sql<string[]>`${unique}::uuid[]`))
      .execute();
    if (rows.length !== unique.length) {
      throw new DomainException('validation', IdentityErrorCode.InvalidReference, 'Unknown user', [
        { field: 'memberIds', message: 'names a user that does not exist' },
      ]);
    }
  }
}
