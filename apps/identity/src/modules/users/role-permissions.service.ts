import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BUILT_IN_ROLES, type BuiltInRole } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { IdentityDb } from '../../database/identity.db';
import { BUILT_IN_ROLE_PERMISSIONS } from './built-in-roles.constant';

export function isBuiltInRole(role: string): role is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(role);
}

/** Resolves a role key of an organization to its permissions (built-in table or `custom_role`). */
@Injectable()
export class RolePermissionsService {
  /** Returns null when the role is neither built in nor defined in the organization. */
  async permissionsOf(manager: EntityManager, orgId: string, role: string): Promise<string[] | null> {
    if (isBuiltInRole(role)) return BUILT_IN_ROLE_PERMISSIONS[role];
    const row = await kyselyFor<IdentityDb>(manager)
      .selectFrom('custom_role')
      .select('permissions')
      .where('org_id', '=', orgId)
      .where('key', '=', role)
      .executeTakeFirst();
    return row ? row.permissions : null;
  }

  /** The teams `userId` is a member or the manager of, sorted. */
  async teamIdsOf(manager: EntityManager, userId: string): Promise<string[]> {
    const db = kyselyFor<IdentityDb>(manager);
    const rows = await db
      .selectFrom('team_member')
      .select('team_id as id')
      .where('user_id', '=', userId)
      .union(db.selectFrom('team').select('id').where('manager_id', '=', userId))
      .execute();
    return rows.map((row) => row.id).sort();
  }
}
