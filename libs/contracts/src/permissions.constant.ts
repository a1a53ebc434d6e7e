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
  'reports:read': 'Read reports (commission reports, lead-source reports)',
  'invoices:read': 'Read invoices and payments',
  'invoices:write': 'Create, send and void invoices and record payments',
  'audit:read': 'Read, export and verify the audit trail',
  'portal:read': 'Client portal: read one’s own transactions, the documents shared with one and one’s invoices',
  'notifications:read': 'Read the notification history (own, team or organization); one’s own in-app notifications need only a session',
  'notifications:manage':
    'Change the organization’s notification settings: default channels per type, mandatory types, the quiet-hours time zone, trigger switches',
} as const;

export type PermissionKey = keyof typeof PERMISSION_CATALOGUE;

/** Parses `resource:action:scope`; returns null when malformed or not in the catalogue. */
export function parsePermission(permission: string): { resource: string; action: string; scope: PermissionScope } | null {
  const parts = permission.split(':');
  if (parts.length !== 3) return null;
  const [resource, action, scope] = parts;
  if (!(`${resource}:${action}` in PERMISSION_CATALOGUE)) return null;
  if (!(PERMISSION_SCOPES as readonly string[]).includes(scope)) return null;
  return { resource, action, scope: scope as PermissionScope };
}

/**
 * Pairs in wire order: the catalogue's declaration order. `encodePermissions` gives each pair one
 * position, so **new pairs are appended at the end of the catalogue, and none is reordered or
 * removed** (a retired pair keeps its place); `permissions.constant.spec.ts` pins the order.
 */
export const PERMISSION_WIRE_ORDER = Object.keys(PERMISSION_CATALOGUE) as PermissionKey[];

const SCOPE_BIT: Record<PermissionScope, number> = { own: 1, team: 2, org: 4 };
const WIRE_POSITION = new Map<string, number>(PERMISSION_WIRE_ORDER.map((key, index) => [key, index]));

/**
 * Compact form of a permission list for the request envelope (docs/adr/0024): one digit per pair
 * of `PERMISSION_WIRE_ORDER`, the sum of the scopes held (`own` 1, `team` 2, `org` 4, so `0`–`7`),
 * trailing zeros dropped: a role holding all 35 pairs at `org` is 35 digits `4` (37 bytes of JSON)
 * instead of about 700. Duplicates collapse; order is not kept.
 *
 * @returns the code, or null when a permission is malformed or not in the catalogue (the caller
 *   then sends the list as it is, so that nothing is dropped).
 */
export function encodePermissions(permissions: readonly string[]): string | null {
  const digits: number[] = [];
  for (const permission of permissions) {
    const cut = permission.lastIndexOf(':');
    const position = WIRE_POSITION.get(permission.slice(0, cut));
    const bit =
      cut > 0 && Object.hasOwn(SCOPE_BIT, permission.slice(cut + 1)) ? SCOPE_BIT[permission.slice(cut + 1) as PermissionScope] : 0;
    if (position === undefined || bit === 0) return null;
    while (digits.length <= position) digits.push(0);
    digits[position] |= bit;
  }
  return digits.join('');
}

/**
 * The permissions an `encodePermissions` code stands for, `resource:action:scope` in wire order
 * (scopes of a pair `own`, `team`, `org`). Positions past the end of this build's catalogue (a
 * sender with a newer catalogue) are ignored: no code here could check them.
 *
 * @throws Error when the code holds a character other than `0`–`7`.
 */
export function decodePermissions(code: string): string[] {
  const permissions: string[] = [];
  const known = Math.min(code.length, PERMISSION_WIRE_ORDER.length);
  for (let position = 0; position < code.length; position++) {
    const digit = code.charCodeAt(position) - 48;
    if (digit < 0 || digit > 7) throw new Error(`Malformed permission code at position ${position}`);
    if (position >= known || digit === 0) continue;
    const key = PERMISSION_WIRE_ORDER[position];
    if (digit & 1) permissions.push(`${key}:own`);
    if (digit & 2) permissions.push(`${key}:team`);
    if (digit & 4) permissions.push(`${key}:org`);
  }
  return permissions;
}
