import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
import { keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { IdentityErrorCode } from '../../identity.exception';
import { RevocationService } from '../auth/revocation.service';
import { escapeLike, pageOrThrow } from '../list-query.util';

interface TeamRow {
  id: string;
  org_id: string;
  name: string;
  manager_id: string | null;
  member_ids: string[];
  created_at: Date;
  updated_at: Date;
}

const TEAM_COLUMNS = `t.id, t.org_id, t.name, t.manager_id, t.created_at, t.updated_at,
  coalesce((SELECT array_agg(m.user_id ORDER BY m.user_id) FROM team_member m WHERE m.team_id = t.id), '{}') AS member_ids`;

function toTeamView(row: TeamRow): TeamView {
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
      await manager.query(`INSERT INTO team (id, org_id, name, manager_id) VALUES ($1, $2, $3, $4)`, [
        id,
        actor.orgId,
        data.name.trim(),
        data.managerId ?? null,
      ]);
      for (const userId of memberIds) {
        await manager.query(`INSERT INTO team_member (team_id, user_id, org_id) VALUES ($1, $2, $3)`, [id, userId, actor.orgId]);
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
    const params: unknown[] = [actor.orgId];
    let filter = 'TRUE';
    if (envelope.data.q) {
      params.push(`%${escapeLike(envelope.data.q)}%`);
      filter = `t.name ILIKE $${params.length}`;
    }
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 't.created_at',
        idColumn: 't.id',
        direction: 'ASC',
        cursor: envelope.data.cursor,
        limit: envelope.data.limit,
        firstParam: params.length + 1,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT ${TEAM_COLUMNS} FROM team t WHERE t.org_id = $1 AND ${filter} AND ${page.where} ${page.tail}`,
      [...params, ...page.params],
    )) as TeamRow[];
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
      if (data.name !== undefined && data.name.trim() !== before.name) {
        await this.assertNameFree(manager, actor.orgId, data.name, before.id);
        await manager.query(`UPDATE team SET name = $2, updated_at = now() WHERE id = $1`, [before.id, data.name.trim()]);
        changes.name = { from: before.name, to: data.name.trim() };
      }
      if (data.managerId !== undefined && data.managerId !== before.managerId) {
        if (data.managerId) await this.assertUsers(manager, actor.orgId, [data.managerId]);
        await manager.query(`UPDATE team SET manager_id = $2, updated_at = now() WHERE id = $1`, [before.id, data.managerId]);
        changes.managerId = { from: before.managerId, to: data.managerId };
        for (const id of [before.managerId, data.managerId]) if (id) affected.add(id);
      }
      if (data.memberIds !== undefined) {
        const next = [...new Set(data.memberIds)].sort();
        if (next.join() !== before.memberIds.join()) {
          await this.assertUsers(manager, actor.orgId, next);
          await manager.query(`DELETE FROM team_member WHERE team_id = $1`, [before.id]);
          for (const userId of next) {
            await manager.query(`INSERT INTO team_member (team_id, user_id, org_id) VALUES ($1, $2, $3)`, [before.id, userId, actor.orgId]);
          }
          changes.memberIds = { from: before.memberIds, to: next };
          for (const id of [...before.memberIds, ...next]) {
            if (before.memberIds.includes(id) !== next.includes(id)) affected.add(id);
          }
        }
      }
      if (Object.keys(changes).length > 0) {
        await manager.query(`UPDATE team SET updated_at = now() WHERE id = $1`, [before.id]);
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
      await manager.query(`DELETE FROM team WHERE id = $1`, [before.id]);
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
    if (lock) await manager.query(`SELECT id FROM team WHERE id = $1 AND org_id = $2 FOR UPDATE`, [id, orgId]);
    const [row] = (await manager.query(`SELECT ${TEAM_COLUMNS} FROM team t WHERE t.id = $1 AND t.org_id = $2`, [id, orgId])) as TeamRow[];
    if (!row) throw DomainException.notFound(IdentityErrorCode.TeamNotFound, 'Team');
    return toTeamView(row);
  }

  private async assertNameFree(manager: EntityManager, orgId: string, name: string, exceptId?: string): Promise<void> {
    const [row] = (await manager.query(
      `SELECT 1 FROM team WHERE org_id = $1 AND lower(name) = lower($2) AND ($3::uuid IS NULL OR id <> $3::uuid)`,
      [orgId, name.trim(), exceptId ?? null],
    )) as unknown[];
    if (row) {
      throw new DomainException('conflict', IdentityErrorCode.TeamNameTaken, 'A team with this name exists', [
        { field: 'name', message: 'is already used by another team' },
      ]);
    }
  }

  private async assertUsers(manager: EntityManager, orgId: string, userIds: string[]): Promise<void> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return;
    const rows = (await manager.query(`SELECT id FROM app_user WHERE org_id = $1 AND id = ANY($2::uuid[])`, [orgId, unique])) as unknown[];
    if (rows.length !== unique.length) {
      throw new DomainException('validation', IdentityErrorCode.InvalidReference, 'Unknown user', [
        { field: 'memberIds', message: 'names a user that does not exist' },
      ]);
    }
  }
}
