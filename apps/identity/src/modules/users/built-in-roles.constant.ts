import { PERMISSION_CATALOGUE, type BuiltInRole, type PermissionKey, type PermissionScope } from '@keyhouse/contracts';

const ALL = Object.keys(PERMISSION_CATALOGUE) as PermissionKey[];

function grant(scope: PermissionScope, keys: PermissionKey[]): string[] {
  return keys.map((key) => `${key}:${scope}`);
}

/**
 * Permissions of the built-in roles (ARCHITECTURE.md, HTTP API: agents see their own records,
 * managers their team's, admins the organization's; clients only what is shared with them).
 * `leads:write` is for API keys of lead sources, so no person holds it by default.
 */
/** Held by no staff role: `leads:write` is for lead-source API keys, `portal:read` for client users. */
const PEOPLE_WITHOUT: PermissionKey[] = ['leads:write', 'portal:read'];

export const BUILT_IN_ROLE_PERMISSIONS: Record<BuiltInRole, string[]> = {
  owner: grant(
    'org',
    ALL.filter((key) => !PEOPLE_WITHOUT.includes(key)),
  ),
  admin: grant(
    'org',
    ALL.filter((key) => !PEOPLE_WITHOUT.includes(key)),
  ),
  manager: [
    ...grant('team', [
      'users:read',
      'contacts:read',
      'contacts:write',
      'contacts:export',
      'tasks:read',
      'tasks:write',
      'listings:write',
      'transactions:read',
      'transactions:write',
      'reports:read',
      'invoices:read',
      // Read only while the organization allows it (audit setting `managersMayRead`, off by default).
      'audit:read',
      // The notification history of their teams' members (issue 14).
      'notifications:read',
    ]),
    ...grant('org', [
      'agents:read',
      'teams:read',
      'roles:read',
      'organizations:read',
      'listings:read',
      'companies:read',
      'companies:write',
      'assignment-rules:read',
      'commission-plans:read',
    ]),
  ],
  agent: [
    ...grant('own', [
      'users:read',
      'contacts:read',
      'contacts:write',
      'tasks:read',
      'tasks:write',
      'listings:write',
      'transactions:read',
      'transactions:write',
      'reports:read',
      'commission-plans:read',
      // Their own notification history (issue 14).
      'notifications:read',
    ]),
    ...grant('org', [
      'agents:read',
      'teams:read',
      'organizations:read',
      'listings:read',
      'companies:read',
      'companies:write',
      // Agents see the rules and ponds that route leads to them (and claim from ponds).
      'assignment-rules:read',
    ]),
  ],
  client: grant('own', ['contacts:read', 'listings:read', 'portal:read', 'notifications:read']),
};

export const ROLE_NAMES: Record<BuiltInRole, string> = {
  owner: 'Owner',
  admin: 'Administrator',
  manager: 'Manager',
  agent: 'Agent',
  client: 'Client',
};
