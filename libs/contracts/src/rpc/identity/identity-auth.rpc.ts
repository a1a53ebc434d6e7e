/** NATS subjects and payloads for authentication (identity service). */
import type { OrganizationView } from './identity-organizations.rpc';
import type { UserView } from './identity-users.rpc';

export const IdentityAuthSubjects = {
  register: 'identity.auth.register',
  /** Public client self-registration (organization resolved from its form key by the gateway). */
  registerClient: 'identity.auth.register-client',
  login: 'identity.auth.login',
  mfaVerify: 'identity.auth.mfa-verify',
  refresh: 'identity.auth.refresh',
  logout: 'identity.auth.logout',
  passwordResetRequest: 'identity.auth.password-reset-request',
  passwordResetConfirm: 'identity.auth.password-reset-confirm',
  passwordChange: 'identity.auth.password-change',
  emailVerify: 'identity.auth.email-verify',
  jwks: 'identity.auth.jwks',
  revocations: 'identity.auth.revocations',
  apiKeyAuthenticate: 'identity.auth.api-key-authenticate',
  mfaEnroll: 'identity.mfa.enroll',
  mfaConfirm: 'identity.mfa.confirm',
  mfaDisable: 'identity.mfa.disable',
  mfaRecoveryCodes: 'identity.mfa.recovery-codes',
} as const;

/** Core NATS subject (pub/sub, not request/reply) on which identity announces revocations. */
export const IDENTITY_REVOCATION_BROADCAST = 'identity.broadcast.revocation';

export interface ClientContext {
  ip?: string;
  userAgent?: string;
}

export interface RegisterRequest extends ClientContext {
  organizationName: string;
  name: string;
  email: string;
  password: string;
}

/**
 * A `client` user of `orgId` linked to the crm contact `contactId` (the person found or created by
 * the crm's duplicate rules). Active with the password; an email verification is sent.
 */
export interface RegisterClientRequest extends ClientContext {
  orgId: string;
  contactId: string;
  name: string;
  email: string;
  password: string;
}

export interface RegisterClientResponse {
  userId: string;
  contactId: string;
}

/** Issued tokens. `expiresIn` is the access token lifetime in seconds. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
  /**
   * Set when the organization requires 2FA for the user's role and the user has not enrolled:
   * the tokens then carry no permissions until enrolment is confirmed and the session refreshed.
   */
  mfaEnrollmentRequired?: true;
}

export interface RegisterResponse extends TokenPair {
  organization: OrganizationView;
  user: UserView;
}

export interface LoginRequest extends ClientContext {
  email: string;
  password: string;
}

/** Either tokens, or a second step: `mfaToken` is then exchanged with a TOTP or recovery code. */
export type LoginResponse = TokenPair | { mfaRequired: true; mfaToken: string };

export interface MfaVerifyRequest extends ClientContext {
  mfaToken: string;
  /** Six-digit TOTP code, or one of the recovery codes. */
  code: string;
}

export interface RefreshRequest extends ClientContext {
  refreshToken: string;
}

export interface LogoutRequest {
  /** Revokes this refresh token's family; without it, the session of the calling access token. */
  refreshToken?: string;
}

export interface PasswordResetRequest {
  email: string;
}

export interface PasswordResetConfirmRequest {
  token: string;
  newPassword: string;
}

export interface PasswordChangeRequest {
  currentPassword: string;
  newPassword: string;
  /** Ends every other session (refresh-token family) of the user; default true. */
  logoutOtherSessions?: boolean;
}

export interface EmailVerifyRequest {
  token: string;
}

/** RFC 7517 JSON Web Key Set of the access-token signing keys. */
export interface JwksResponse {
  keys: Array<Record<string, unknown>>;
}

/**
 * Access-token revocations the gateway must honour until the tokens expire: every token of a
 * session (`kind: 'session'`, `id` = the `sid` claim), or every token of a user issued before
 * `notBefore` (`kind: 'user'`). Times are epoch milliseconds, compared with the token's `iat_ms`.
 */
export interface Revocation {
  kind: 'session' | 'user';
  id: string;
  notBefore: number;
  at: number;
}

export interface RevocationsRequest {
  /** Epoch milliseconds; revocations at or after it. */
  since: number;
}

export interface RevocationsResponse {
  revocations: Revocation[];
}

export interface ApiKeyAuthenticateRequest {
  key: string;
}

/** The actor an API key acts as; `permissions` are its scopes. */
export interface ApiKeyAuthenticateResponse {
  apiKeyId: string;
  orgId: string;
  createdBy: string;
  scopes: string[];
}

export interface MfaEnrollResponse {
  /** Base32 TOTP secret (RFC 4648), shown once for manual entry. */
  secret: string;
  /** `otpauth://totp/...` URI for authenticator apps (Key Uri Format). */
  otpauthUri: string;
}

export interface MfaConfirmRequest {
  code: string;
}

export interface MfaConfirmResponse {
  enabled: true;
  /** Ten single-use recovery codes, shown once. */
  recoveryCodes: string[];
}

export interface MfaDisableRequest {
  code: string;
}

export interface MfaRecoveryCodesRequest {
  code: string;
}

export interface MfaRecoveryCodesResponse {
  recoveryCodes: string[];
}
