/**
 * Permissions are `resource:action:scope` strings. `scope` narrows what a permission reaches:
 * `own` (records the actor owns), `team` (records of the actor's teams), `org` (the whole
 * organization). A route declares `resource:action`; the caller needs it at some scope, and the
 * owning service filters by the widest scope the caller holds.
 */
export const PERMISSION_SCOPES = ['own', 'team', 'org'] as const;
export type PermissionScope = (typeof PERMISSION_SCOPES)[number];

/** Every `resource:action` pair a role can be granted, with what it allows. */
export const PERMISSION_CATALOGUE = {
  'users:read': 'Read user accounts',
  'users:write': 'Create, update and deactivate user accounts',
  'agents:read': 'Read agent profiles',
  'agents:write': 'Add, update and remove agents',
  'teams:read': 'Read teams',
  'teams:write': 'Create, update and delete teams',
  'roles:read': 'Read roles',
  'roles:write': 'Create, update and delete custom roles',
  'organizations:read': 'Read organization settings',
  'organizations:write': 'Change organization settings',
  'api-keys:read': 'List API keys',
  'api-keys:write': 'Create and revoke API keys',
  'mailbox:read': 'Read messages recorded by the local email adapter',
  'contacts:read': 'Read contacts and leads',
  'contacts:write': 'Create and change contacts and leads',
  'contacts:export': 'Export contacts as CSV and a person’s data for a privacy request',
  'contacts:erase': 'Erase a person’s personal data for a privacy request',
  'leads:write': 'Submit lead events (API keys of websites and portals)',
  'assignment-rules:read': 'Read lead assignment rules, ponds and the fairness ledger',
  'assignment-rules:write': 'Create and change lead assignment rules and ponds',
  'tasks:read': 'Read tasks',
  'tasks:write': 'Create, change and complete tasks',
  'companies:read': 'Read companies',
  'companies:write': 'Create and change companies',
  'listings:read': 'Read listings',
  'listings:write': 'Create and change listings',
  'listings:import': 'Import listing files and configure MLS sources',
  'transactions:read': 'Read transactions',
  'transactions:write': 'Create and change transactions',
  'commission-plans:read': 'Read commission plans and agents’ plans',
  'commission-plans:write': 'Create and change commission plans and assign them',
  'reports:read': 'Read commission reports',
  'invoices:read': 'Read invoices and payments',
  'invoices:write': 'Create, send and void invoices and record payments',
  'audit:read': 'Read, export and verify the audit trail',
} as const;

export type PermissionKey = keyof typeof PERMISSION_CATALOGUE;

/** Parses `resource:action:scope`; returns null when malformed or not in the catalogue. */
export function parsePermission(
  permission: string,
): { resource: string; action: string; scope: PermissionScope } | null {
  const parts = permission.split(':');
  if (parts.length !== 3) return null;
  const [resource, action, scope] = parts;
  if (!(`${resource}:${action}` in PERMISSION_CATALOGUE)) return null;
  if (!(PERMISSION_SCOPES as readonly string[]).includes(scope)) return null;
  return { resource, action, scope: scope as PermissionScope };
}
