import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { IdentityErrorCode } from '../../identity.exception';
import { RevocationService } from '../auth/revocation.service';
import { BUILT_IN_ROLE_PERMISSIONS, ROLE_NAMES } from './built-in-roles';
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
    const custom = (await this.dataSource.query(`SELECT key, name, permissions FROM custom_role WHERE org_id = $1 ORDER BY key`, [
      envelope.actor!.orgId,
    ])) as Array<{ key: string; name: string; permissions: string[] }>;
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
      const inserted = (await manager.query(
        `INSERT INTO custom_role (id, org_id, key, name, permissions) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, key) DO NOTHING RETURNING id`,
        [newId(), actor.orgId, key, name.trim(), [...new Set(permissions)].sort()],
      )) as unknown[];
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
      if (data.name !== undefined && data.name.trim() !== before.name) {
        changes.name = { from: before.name, to: data.name.trim() };
        await manager.query(`UPDATE custom_role SET name = $3, updated_at = now() WHERE org_id = $1 AND key = $2`, [
          actor.orgId,
          data.key,
          data.name.trim(),
        ]);
      }
      const next = data.permissions ? [...new Set(data.permissions)].sort() : before.permissions;
      if (next.join() !== before.permissions.join()) {
        changes.permissions = { from: before.permissions, to: next };
        await manager.query(`UPDATE custom_role SET permissions = $3, updated_at = now() WHERE org_id = $1 AND key = $2`, [
          actor.orgId,
          data.key,
          next,
        ]);
        const holders = (await manager.query(`SELECT id FROM app_user WHERE org_id = $1 AND role = $2`, [actor.orgId, data.key])) as Array<{
          id: string;
        }>;
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
      const [inUse] = (await manager.query(`SELECT 1 FROM app_user WHERE org_id = $1 AND role = $2 LIMIT 1`, [
        actor.orgId,
        envelope.data.key,
      ])) as unknown[];
      if (inUse) throw new DomainException('conflict', IdentityErrorCode.RoleInUse, 'Users still hold this role');
      await manager.query(`DELETE FROM custom_role WHERE org_id = $1 AND key = $2`, [actor.orgId, envelope.data.key]);
      await unit.emit(IdentityEvent.roleDeleted, envelope.data.key, actor.orgId, { key: envelope.data.key });
    });
  }

  private async view(manager: EntityManager, orgId: string, key: string, lock = false): Promise<RoleView> {
    const [row] = (await manager.query(
      `SELECT key, name, permissions FROM custom_role WHERE org_id = $1 AND key = $2 ${lock ? 'FOR UPDATE' : ''}`,
      [orgId, key],
    )) as Array<{ key: string; name: string; permissions: string[] }>;
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
