/**
 * NATS request/reply contracts (subject + request `data` + reply `data`) and payloads for
 * authentication (identity service). Refusals are `DomainException`s (identity error codes);
 * a `void` reply is no content.
 */
import type { OrganizationView } from './identity-organizations.rpc';
import type { UserView } from './identity-users.rpc';
import { defineRpc } from '../rpc-contract.util';

export const IdentityAuthSubjects = {
  /**
   * A new organization and its owner, signed in (422 weak password). An address that already has an
   * account gets an answer of the same shape (whose tokens open nothing) and its owner an email.
   */
  register: defineRpc<RegisterRequest, RegisterResponse>('identity.auth.register'),
  /** Public client self-registration (organization resolved from its form key by the gateway). */
  registerClient: defineRpc<RegisterClientRequest, RegisterClientResponse>('identity.auth.register-client'),
  /** Tokens, or the MFA step (401 `INVALID_CREDENTIALS`, 429 `ACCOUNT_LOCKED`). */
  login: defineRpc<LoginRequest, LoginResponse>('identity.auth.login'),
  /** Second login step (401 `INVALID_MFA_TOKEN`, `INVALID_MFA_CODE`; 429 `MFA_LOCKED`). */
  mfaVerify: defineRpc<MfaVerifyRequest, TokenPair>('identity.auth.mfa-verify'),
  /** Rotates a refresh token (401 `INVALID_REFRESH_TOKEN`, `REFRESH_TOKEN_REUSED`). */
  refresh: defineRpc<RefreshRequest, TokenPair>('identity.auth.refresh'),
  logout: defineRpc<LogoutRequest, void>('identity.auth.logout'),
  /** Always succeeds, whether or not the email has an account. */
  passwordResetRequest: defineRpc<PasswordResetRequest, void>('identity.auth.password-reset-request'),
  passwordResetConfirm: defineRpc<PasswordResetConfirmRequest, void>('identity.auth.password-reset-confirm'),
  passwordChange: defineRpc<PasswordChangeRequest, void>('identity.auth.password-change'),
  emailVerify: defineRpc<EmailVerifyRequest, void>('identity.auth.email-verify'),
  /** The access-token signing keys (no request data). */
  jwks: defineRpc<Record<string, never>, JwksResponse>('identity.auth.jwks'),
  revocations: defineRpc<RevocationsRequest, RevocationsResponse>('identity.auth.revocations'),
  /** Resolves an `X-Api-Key` (401 `INVALID_API_KEY`). */
  apiKeyAuthenticate: defineRpc<ApiKeyAuthenticateRequest, ApiKeyAuthenticateResponse>('identity.auth.api-key-authenticate'),
  /** Starts TOTP enrolment of the caller (no request data). */
  mfaEnroll: defineRpc<Record<string, never>, MfaEnrollResponse>('identity.mfa.enroll'),
  mfaConfirm: defineRpc<MfaConfirmRequest, MfaConfirmResponse>('identity.mfa.confirm'),
  mfaDisable: defineRpc<MfaDisableRequest, void>('identity.mfa.disable'),
  mfaRecoveryCodes: defineRpc<MfaRecoveryCodesRequest, MfaRecoveryCodesResponse>('identity.mfa.recovery-codes'),
};

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
  /**
   * True when the crm created the contact for this registration: the user is linked to it at
   * once. Otherwise (an existing contact) the link waits for the email verification
   * (`identity.user.contact_linked`), so an unproven address sees nothing of the contact.
   */
  contactCreated: boolean;
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
  /**
   * The token of the sign-in link emailed to the account's address when its logins are throttled
   * (template `login_unlock`): with it, the password is checked whatever the throttling of the
   * address or of the client's IP. Single use; five wrong passwords spend it.
   */
  unlockToken?: string;
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
