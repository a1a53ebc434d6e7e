/**
 * Domain events of the identity service, published on topic `identity.events`, keyed by the
 * aggregate id (user, organization, team or API key). All are version 1.
 */
export const IDENTITY_EVENTS_TOPIC = 'identity.events';

export const IdentityEventTypes = {
  organizationCreated: 'identity.organization.created',
  organizationUpdated: 'identity.organization.updated',
  userCreated: 'identity.user.created',
  userUpdated: 'identity.user.updated',
  userDeactivated: 'identity.user.deactivated',
  userRoleChanged: 'identity.user.role_changed',
  userTeamsChanged: 'identity.user.teams_changed',
  agentProfileUpdated: 'identity.agent.profile_updated',
  agentRemoved: 'identity.agent.removed',
  teamCreated: 'identity.team.created',
  teamUpdated: 'identity.team.updated',
  teamDeleted: 'identity.team.deleted',
  roleCreated: 'identity.role.created',
  roleUpdated: 'identity.role.updated',
  roleDeleted: 'identity.role.deleted',
  loginSucceeded: 'identity.login.succeeded',
  loginFailed: 'identity.login.failed',
  loginLockedOut: 'identity.login.locked_out',
  refreshTokenReused: 'identity.session.refresh_token_reused',
  sessionRevoked: 'identity.session.revoked',
  mfaEnabled: 'identity.mfa.enabled',
  mfaDisabled: 'identity.mfa.disabled',
  mfaCodeReused: 'identity.mfa.code_reused',
  recoveryCodesRegenerated: 'identity.mfa.recovery_codes_regenerated',
  passwordResetRequested: 'identity.password.reset_requested',
  passwordChanged: 'identity.password.changed',
  emailVerified: 'identity.user.email_verified',
  apiKeyCreated: 'identity.api_key.created',
  apiKeyRevoked: 'identity.api_key.revoked',
  apiKeyUsed: 'identity.api_key.used',
} as const;

export type IdentityEventType = (typeof IdentityEventTypes)[keyof typeof IdentityEventTypes];

/** A field-level change: value before and after. Secrets never appear; they read `"[redacted]"`. */
export type ChangeSet = Record<string, { from: unknown; to: unknown }>;

export interface UserCreatedData {
  userId: string;
  email: string;
  name: string;
  role: string;
  status: string;
  teamIds: string[];
  /** For a self-registered client: the crm contact this user is (crm links them). */
  contactId?: string;
}

/**
 * Routing profile of an agent, carried in full by `identity.agent.profile_updated` (and on
 * `identity.user.created` of an agent) so that consumers keep a local read model without calls.
 */
export interface AgentProfileSnapshot {
  regions: string[];
  languages: string[];
  capacity: number;
  /** `{ timezone, days: { '1'..'7': [{ start: 'HH:mm', end: 'HH:mm' }] } }`, ISO weekdays; null = always available. */
  workingHours: { timezone: string; days: Record<string, Array<{ start: string; end: string }>> } | null;
  licenseNumber: string | null;
  licenseState: string | null;
}

export interface AgentProfileUpdatedData {
  userId: string;
  changes: ChangeSet;
  /** The whole profile after the change, plus the user's name, email, status and teams. */
  profile: AgentProfileSnapshot;
  name: string;
  email: string;
  status: string;
  teamIds: string[];
  /** For a self-registered client: the crm contact this user is (crm links them). */
  contactId?: string;
}

export interface UserUpdatedData {
  userId: string;
  changes: ChangeSet;
}

export interface UserRoleChangedData {
  userId: string;
  from: string;
  to: string;
}

export interface UserTeamsChangedData {
  userId: string;
  from: string[];
  to: string[];
}

export interface UserDeactivatedData {
  userId: string;
}

export interface LoginData {
  userId: string | null;
  /** Present on failures; an address that matches no account is still recorded, lower-cased. */
  email?: string;
  reason?: 'bad_credentials' | 'locked' | 'deactivated' | 'mfa_failed';
  method?: 'password' | 'mfa' | 'recovery_code' | 'refresh';
  ip?: string;
  userAgent?: string;
}
