import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  BUILT_IN_ROLES,
  IdentityEvent,
  IdentityUserSubjects,
  parsePermission,
  type RequestEnvelope,
  type Revocation,
  type RoleCreateRequest,
  type RoleKeyRequest,
  type RoleUpdateRequest,
  type RoleView,
} from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';
import { RevocationService } from '../auth/revocation.service';
import { BUILT_IN_ROLE_PERMISSIONS, ROLE_NAMES } from './built-in-roles.constant';
import { isBuiltInRole } from './role-permissions.service';

const ROLE_KEY = /^[a-z][a-z0-9-]{1,39}$/;

/**
 * Built-in roles (read-only) and the organization's custom roles built from catalogue permissions.
 * Changing a custom role's permissions revokes the tokens of its holders; a role in use cannot be
 * deleted.
 */
@Injectable()
export class RolesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly revocations: RevocationService,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** The built-in roles, then the organization's custom roles by key, with their permissions. */
  @RpcHandler(IdentityUserSubjects.roleList)
  async list(envelope: RequestEnvelope<Record<string, never>>): Promise<RoleView[]> {
    requireScope(envelope.actor, 'roles:read');
    const custom = await kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('custom_role')
      .select(['key', 'name', 'permissions'])
      .where('org_id', '=', envelope.actor!.orgId)
      .orderBy('key')
      .execute();
    return [
      ...BUILT_IN_ROLES.map((key) => ({ key, name: ROLE_NAMES[key], builtIn: true, permissions: BUILT_IN_ROLE_PERMISSIONS[key] })),
      ...custom.map((row) => ({ ...row, builtIn: false })),
    ];
  }

  /**
   * Creates a custom role; emits `identity.role.created`.
   *
   * @throws DomainException 422 (bad key), `INVALID_PERMISSION`; 409 `ROLE_KEY_TAKEN`.
   */
  @RpcHandler(IdentityUserSubjects.roleCreate)
  async create(envelope: RequestEnvelope<RoleCreateRequest>): Promise<RoleView> {
    const actor = envelope.actor!;
    requireScope(envelope.actor, 'roles:write', 'org');
    const { key, name, permissions } = envelope.data;
    if (!ROLE_KEY.test(key) || isBuiltInRole(key)) {
      throw DomainException.validation([{ field: 'key', message: 'must match [a-z][a-z0-9-]{1,39} and not be a built-in role' }]);
    }
    this.assertPermissions(permissions);
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const inserted = await kyselyFor<IdentityDb>(manager)
        .insertInto('custom_role')
        .values({ id: newId(), org_id: actor.orgId, key, name: name.trim(), permissions: [...new Set(permissions)].sort() })
        .onConflict((conflict) => conflict.columns(['org_id', 'key']).doNothing())
        .returning('id')
        .execute();
      if (inserted.length === 0) {
        throw new DomainException('conflict', IdentityErrorCode.RoleKeyTaken, 'A role with this key exists', [
          { field: 'key', message: 'is already used' },
        ]);
      }
      await unit.emit(IdentityEvent.roleCreated, key, actor.orgId, {
        key,
        name: name.trim(),
        permissions: [...new Set(permissions)].sort(),
      });
      return this.view(manager, actor.orgId, key);
    });
  }

  /**
   * Renames a custom role or changes its permissions (revoking its holders' tokens, broadcast
   * after commit); emits `identity.role.updated` when something changed.
   *
   * @throws DomainException 404 `ROLE_NOT_FOUND`; 422 `INVALID_PERMISSION`.
   */
  @RpcHandler(IdentityUserSubjects.roleUpdate)
  async update(envelope: RequestEnvelope<RoleUpdateRequest>): Promise<RoleView> {
    const actor = envelope.actor!;
    requireScope(envelope.actor, 'roles:write', 'org');
    const data = envelope.data;
    if (data.permissions) this.assertPermissions(data.permissions);
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const before = await this.view(manager, actor.orgId, data.key, true);
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const revocations: Revocation[] = [];
      const db = kyselyFor<IdentityDb>(manager);
      if (data.name !== undefined && data.name.trim() !== before.name) {
        changes.name = { from: before.name, to: data.name.trim() };
        await db
          .updateTable('custom_role')
          .set({ name: data.name.trim(), updated_at: sql<Date>`now()` })
          .where('org_id', '=', actor.orgId)
          .where('key', '=', data.key)
          .execute();
      }
      const next = data.permissions ? [...new Set(data.permissions)].sort() : before.permissions;
      if (next.join() !== before.permissions.join()) {
        changes.permissions = { from: before.permissions, to: next };
        await db
          .updateTable('custom_role')
          .set({ permissions: next, updated_at: sql<Date>`now()` })
          .where('org_id', '=', actor.orgId)
          .where('key', '=', data.key)
          .execute();
        const holders = await db
          .selectFrom('app_user')
          .select('id')
          .where('org_id', '=', actor.orgId)
          .where('role', '=', data.key)
          .execute();
        for (const { id } of holders) revocations.push(await this.revocations.revokeUser(manager, id));
      }
      if (Object.keys(changes).length > 0) {
        await unit.emit(IdentityEvent.roleUpdated, data.key, actor.orgId, { key: data.key, changes });
      }
      unit.afterCommit(() => this.revocations.broadcast(revocations));
      return this.view(manager, actor.orgId, data.key);
    });
  }

  /**
   * Deletes a custom role nobody holds; emits `identity.role.deleted`.
   *
   * @throws DomainException 404 `ROLE_NOT_FOUND`; 409 `ROLE_IN_USE`.
   */
  @RpcHandler(IdentityUserSubjects.roleDelete)
  async delete(envelope: RequestEnvelope<RoleKeyRequest>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(envelope.actor, 'roles:write', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      await this.view(manager, actor.orgId, envelope.data.key, true);
      const db = kyselyFor<IdentityDb>(manager);
      const inUse = await db
        .selectFrom('app_user')
        .select('id')
        .where('org_id', '=', actor.orgId)
        .where('role', '=', envelope.data.key)
        .limit(1)
        .executeTakeFirst();
      if (inUse) throw new DomainException('conflict', IdentityErrorCode.RoleInUse, 'Users still hold this role');
      await db.deleteFrom('custom_role').where('org_id', '=', actor.orgId).where('key', '=', envelope.data.key).execute();
      await unit.emit(IdentityEvent.roleDeleted, envelope.data.key, actor.orgId, { key: envelope.data.key });
    });
  }

  private async view(manager: EntityManager, orgId: string, key: string, lock = false): Promise<RoleView> {
    let query = kyselyFor<IdentityDb>(manager)
      .selectFrom('custom_role')
      .select(['key', 'name', 'permissions'])
      .where('org_id', '=', orgId)
      .where('key', '=', key);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw DomainException.notFound(IdentityErrorCode.RoleNotFound, 'Role');
    return { ...row, builtIn: false };
  }

  private assertPermissions(permissions: string[]): void {
    const invalid = permissions.filter((permission) => !parsePermission(permission));
    if (invalid.length > 0) {
      throw new DomainException('validation', IdentityErrorCode.InvalidPermission, 'Unknown permissions', [
        { field: 'permissions', message: `not in the permission catalogue: ${invalid.join(', ')}` },
      ]);
    }
  }
}
