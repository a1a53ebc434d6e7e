import { defineEvent } from '../event-definition.util';
/**
 * Domain events of the identity service, published on topic `identity.events`, keyed by the
 * aggregate id (user, organization, team or API key). All are version 1.
 */
export const IDENTITY_EVENTS_TOPIC = 'identity.events';

export const IdentityEvent = {
  organizationCreated: defineEvent<OrganizationCreatedData>('identity.organization.created'),
  organizationUpdated: defineEvent<OrganizationUpdatedData>('identity.organization.updated'),
  userCreated: defineEvent<UserCreatedData>('identity.user.created'),
  userUpdated: defineEvent<UserUpdatedData>('identity.user.updated'),
  userDeactivated: defineEvent<UserDeactivatedData>('identity.user.deactivated'),
  /** A client user's personal data was erased because crm erased their contact (`crm.contact.erased`). */
  userErased: defineEvent<UserErasedData>('identity.user.erased'),
  /**
   * A self-registered client user was linked to the crm contact they registered as, after proving
   * the address (`via: email_verification`); the crm then shows them that contact.
   */
  userContactLinked: defineEvent<UserContactLinkedData>('identity.user.contact_linked'),
  userRoleChanged: defineEvent<UserRoleChangedData>('identity.user.role_changed'),
  userTeamsChanged: defineEvent<UserTeamsChangedData>('identity.user.teams_changed'),
  agentProfileUpdated: defineEvent<AgentProfileUpdatedData>('identity.agent.profile_updated'),
  agentRemoved: defineEvent<AgentRemovedData>('identity.agent.removed'),
  teamCreated: defineEvent<TeamCreatedData>('identity.team.created'),
  teamUpdated: defineEvent<TeamUpdatedData>('identity.team.updated'),
  teamDeleted: defineEvent<TeamDeletedData>('identity.team.deleted'),
  roleCreated: defineEvent<RoleCreatedData>('identity.role.created'),
  roleUpdated: defineEvent<RoleUpdatedData>('identity.role.updated'),
  roleDeleted: defineEvent<RoleDeletedData>('identity.role.deleted'),
  loginSucceeded: defineEvent<LoginData>('identity.login.succeeded'),
  loginFailed: defineEvent<LoginData>('identity.login.failed'),
  loginLockedOut: defineEvent<LoginLockedOutData>('identity.login.locked_out'),
  refreshTokenReused: defineEvent<RefreshTokenReusedData>('identity.session.refresh_token_reused'),
  sessionRevoked: defineEvent<SessionRevokedData>('identity.session.revoked'),
  mfaEnabled: defineEvent<UserSecurityEventData>('identity.mfa.enabled'),
  mfaDisabled: defineEvent<UserSecurityEventData>('identity.mfa.disabled'),
  mfaCodeReused: defineEvent<UserSecurityEventData>('identity.mfa.code_reused'),
  recoveryCodesRegenerated: defineEvent<UserSecurityEventData>('identity.mfa.recovery_codes_regenerated'),
  passwordResetRequested: defineEvent<UserSecurityEventData>('identity.password.reset_requested'),
  passwordChanged: defineEvent<PasswordChangedData>('identity.password.changed'),
  emailVerified: defineEvent<UserSecurityEventData>('identity.user.email_verified'),
  apiKeyCreated: defineEvent<ApiKeyCreatedData>('identity.api_key.created'),
  apiKeyRevoked: defineEvent<ApiKeyEventData>('identity.api_key.revoked'),
  apiKeyUsed: defineEvent<ApiKeyEventData>('identity.api_key.used'),
};

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
  /** The user's mobile number (E.164, `+15551234567`) as identity holds it, or null; absent on older events. */
  phone?: string | null;
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

/** `identity.user.contact_linked`: the client user `userId` is the crm contact `contactId`. */
export interface UserContactLinkedData {
  /** @format uuid */
  userId: string;
  /** @format uuid */
  contactId: string;
  /** What proved the address: the verification link sent to it. */
  via: 'email_verification';
}

/**
 * `identity.user.erased` (keyed by the user id): the client user linked to an erased crm contact
 * lost their personal data (name, email, phone, password, 2FA, pending tokens, login history
 * addresses, local mail) and can no longer sign in; the row stays, anonymised. Carries no personal
 * data. Preceded by `identity.user.updated` (name and email, `from` redacted) and, when the user was
 * active, `identity.user.deactivated`, so read models built from those follow without change.
 */
export interface UserErasedData {
  /** @format uuid */
  userId: string;
  /** The erased crm contact the user was linked to. @format uuid */
  contactId: string;
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

/** `identity.organization.created` (keyed by the organization id): emitted once, at registration. */
export interface OrganizationCreatedData {
  /** @format uuid */
  organizationId: string;
  /** Name as registered (trimmed). */
  name: string;
}

/**
 * `identity.organization.updated`: `changes` holds only the fields that changed, among `name`,
 * `branding` (the whole `{ displayName, logoUrl, primaryColor, secondaryColor }` object),
 * `affiliateRateBps` (basis points), `mfaRequiredRoles`, `sessionLifetimeMinutes` and
 * `publicFormKey` (not a secret: it identifies the organization on public lead forms).
 */
export interface OrganizationUpdatedData {
  /** @format uuid */
  organizationId: string;
  changes: ChangeSet;
}

/** `identity.agent.removed` (keyed by the agent's user id): the agent is deactivated too (`identity.user.deactivated` follows). */
export interface AgentRemovedData {
  /** @format uuid */
  userId: string;
}

/** `identity.team.created`. */
export interface TeamCreatedData {
  /** @format uuid */
  teamId: string;
  name: string;
  /** Manager's user id, or null for a team without a manager. */
  managerId: string | null;
  /** Member user ids, sorted, without duplicates. */
  memberIds: string[];
}

/** `identity.team.updated`: `changes` among `name`, `managerId` (user id or null) and `memberIds` (sorted lists). */
export interface TeamUpdatedData {
  /** @format uuid */
  teamId: string;
  changes: ChangeSet;
}

/** `identity.team.deleted`: the team's name at deletion (its members keep their accounts). */
export interface TeamDeletedData {
  /** @format uuid */
  teamId: string;
  name: string;
}

/** `identity.role.created` (keyed by the role key): a custom role. */
export interface RoleCreatedData {
  /** Role key, unique in the organization (e.g. `transaction-coordinator`). */
  key: string;
  name: string;
  /** Permissions (`resource:action[:scope]`), sorted, without duplicates. */
  permissions: string[];
}

/** `identity.role.updated`: `changes` among `name` and `permissions` (sorted lists); holders' sessions are refreshed. */
export interface RoleUpdatedData {
  key: string;
  changes: ChangeSet;
}

/** `identity.role.deleted` (only a role no user holds can be deleted). */
export interface RoleDeletedData {
  key: string;
}

/**
 * `identity.login.locked_out`: too many failures for the account; the user is told by email.
 * `factor` `password` (the default when absent): wrong passwords from one client IP (that IP is
 * refused for the address) or from many (every attempt waits a growing delay), until
 * `lockedForSeconds` or the emailed sign-in link. `mfa`: wrong second-factor codes (login step,
 * disabling 2FA, new recovery codes); codes are refused for `lockedForSeconds`.
 */
export interface LoginLockedOutData {
  /** @format uuid */
  userId: string;
  /** Lower-cased email of the account. */
  email: string;
  /** Seconds until an attempt may be tried again. */
  lockedForSeconds: number;
  /** Which factor was being guessed; absent means `password`. */
  factor?: 'password' | 'mfa';
}

/**
 * `identity.session.refresh_token_reused`: a refresh token was presented a second time (theft
 * suspected, RFC 9700 §4.14.2); the whole session (token family) was ended.
 */
export interface RefreshTokenReusedData {
  /** @format uuid */
  userId: string;
  /** The session (refresh-token family) that was ended. @format uuid */
  sessionId: string;
  ip?: string;
  userAgent?: string;
}

/** `identity.session.revoked`: a session ended by its user (logout). */
export interface SessionRevokedData {
  /** @format uuid */
  userId: string;
  /** @format uuid */
  sessionId: string;
  reason: 'logout';
}

/**
 * The payload of the user-only security events `identity.mfa.enabled`, `identity.mfa.disabled`,
 * `identity.mfa.code_reused` (a replayed TOTP code was refused), `identity.mfa.recovery_codes_regenerated`,
 * `identity.password.reset_requested` (only for an active account; nothing when the email matches
 * none) and `identity.user.email_verified`. Codes, secrets and tokens never appear.
 */
export interface UserSecurityEventData {
  /** @format uuid */
  userId: string;
}

/** `identity.password.changed`: every session of the user ends, except the caller's own on a `change` with `otherSessionsEnded: false`. */
export interface PasswordChangedData {
  /** @format uuid */
  userId: string;
  /** `reset`: with a reset token; `invitation`: first password of an invited user; `change`: by the signed-in user. */
  via: 'reset' | 'invitation' | 'change';
  /** On `change` only: whether the user's other sessions were ended (the default). */
  otherSessionsEnded?: boolean;
}

/** `identity.api_key.created` (keyed by the API key id). The key itself never appears. */
export interface ApiKeyCreatedData {
  /** @format uuid */
  apiKeyId: string;
  name: string;
  /** Permissions granted to the key, sorted, without duplicates. */
  scopes: string[];
}

/** `identity.api_key.revoked`, and `identity.api_key.used` (at most once a minute per key). */
export interface ApiKeyEventData {
  /** @format uuid */
  apiKeyId: string;
}
