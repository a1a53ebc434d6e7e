import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BUILT_IN_ROLES, type BuiltInRole } from '@keyhouse/contracts';
import { BUILT_IN_ROLE_PERMISSIONS } from './built-in-roles';

export function isBuiltInRole(role: string): role is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(role);
}

/** Resolves a role key of an organization to its permissions (built-in table or `custom_role`). */
@Injectable()
export class RolePermissionsService {
  /** Returns null when the role is neither built in nor defined in the organization. */
  async permissionsOf(manager: EntityManager, orgId: string, role: string): Promise<string[] | null> {
    if (isBuiltInRole(role)) return BUILT_IN_ROLE_PERMISSIONS[role];
    const [row] = (await manager.query(`SELECT permissions FROM custom_role WHERE org_id = $1 AND key = $2`, [orgId, role])) as Array<{
      permissions: string[];
    }>;
    return row ? row.permissions : null;
  }

  async teamIdsOf(manager: EntityManager, userId: string): Promise<string[]> {
    const rows = (await manager.query(
      `SELECT team_id AS id FROM team_member WHERE user_id = $1
       UNION SELECT id FROM team WHERE manager_id = $1`,
      [userId],
    )) as Array<{ id: string }>;
    return rows.map((row) => row.id).sort();
  }
}
