/**
 * NATS request/reply contracts (subject + request `data` + reply `data`) and payloads for
 * organizations (brokerages), their API keys and the local mailbox. Refusals are
 * `DomainException`s (identity error codes).
 */
import type { Page, PageQuery } from '../../pagination.type';
import { defineRpc } from '../rpc-contract.util';

export const IdentityOrganizationSubjects = {
  /** The caller's organization (no request data). */
  getCurrent: defineRpc<Record<string, never>, OrganizationView>('identity.organizations.get-current'),
  updateCurrent: defineRpc<OrganizationUpdateRequest, OrganizationView>('identity.organizations.update-current'),
  /** The new key with its secret, shown once. */
  apiKeyCreate: defineRpc<ApiKeyCreateRequest, ApiKeyCreateResponse>('identity.api-keys.create'),
  /** Newest first. */
  apiKeyList: defineRpc<PageQuery, Page<ApiKeyView>>('identity.api-keys.list'),
  /** The revoked key (404 `API_KEY_NOT_FOUND`). */
  apiKeyRevoke: defineRpc<ApiKeyRevokeRequest, ApiKeyView>('identity.api-keys.revoke'),
  /** Messages the local email adapter recorded, newest first. */
  /** Messages to the caller's organization with every secret (token, link) redacted; `mailbox:read` at org scope. */
  localMailboxList: defineRpc<LocalMailboxListRequest, Page<LocalMailView>>('identity.local-mailbox.list'),
  /**
   * Development and tests only, never routed by the gateway: the secrets (token, link) of the
   * messages recorded to one address, when identity runs with `IDENTITY_LOCAL_MAILBOX_SECRETS` on
   * (refused in production). A system call (no actor); a user actor gets 403 `FORBIDDEN`, a
   * service with the switch off 404 `LOCAL_MAILBOX_SECRETS_OFF`.
   */
  localMailboxSecrets: defineRpc<LocalMailSecretsRequest, LocalMailSecretsResponse>('identity.local-mailbox.secrets'),
  /** Public (no actor): the organization of a public form key. Not found → 404 `FORM_KEY_UNKNOWN`. */
  resolveFormKey: defineRpc<ResolveFormKeyRequest, ResolveFormKeyResponse>('identity.organizations.resolve-form-key'),
};

export interface ResolveFormKeyRequest {
  formKey: string;
}

export interface ResolveFormKeyResponse {
  orgId: string;
}

export interface Branding {
  displayName?: string | null;
  logoUrl?: string | null;
  primaryColor?: string | null;
  secondaryColor?: string | null;
}

export interface OrganizationView {
  id: string;
  name: string;
  branding: Branding;
  /** Affiliate (referral) rate in basis points (1 bp = 0.01 %). */
  affiliateRateBps: number;
  /** Roles for which TOTP 2FA is mandatory (`owner`, `admin`). */
  mfaRequiredRoles: string[];
  /** Absolute lifetime of a login session (refresh-token family), in minutes. */
  sessionLifetimeMinutes: number;
  /** Key that identifies the organization on public lead forms (not a secret). */
  publicFormKey: string;
  createdAt: string;
  updatedAt: string;
}

export interface OrganizationUpdateRequest {
  name?: string;
  branding?: Branding;
  affiliateRateBps?: number;
  mfaRequiredRoles?: string[];
  sessionLifetimeMinutes?: number;
  /** When true, a new `publicFormKey` replaces the old one. */
  rotatePublicFormKey?: boolean;
}

export interface ApiKeyView {
  id: string;
  name: string;
  /** First characters of the key, to tell keys apart; the key itself is never shown again. */
  prefix: string;
  scopes: string[];
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface ApiKeyCreateRequest {
  name: string;
  scopes: string[];
}

export interface ApiKeyCreateResponse extends ApiKeyView {
  /** The secret key, shown once; callers send it as `X-Api-Key`. */
  key: string;
}

export interface ApiKeyRevokeRequest {
  id: string;
}

export interface LocalMailboxListRequest {
  to?: string;
  limit?: number;
  cursor?: string;
}

/**
 * A message the local email adapter recorded instead of sending. Secrets it carried (the token and
 * link of a reset, verification, invitation or sign-in email) read `"[redacted]"` in `text` and
 * `variables`: whoever reads the mailbox cannot act as the recipient.
 */
export interface LocalMailView {
  id: string;
  to: string;
  subject: string;
  text: string;
  /**
   * What the message is for: `password_reset`, `email_verification`, `invitation`,
   * `login_unlock` (a sign-in link past a lockout) or `security_notice`.
   */
  template: string;
  /** Machine-readable values carried by the message (e.g. `reason` of a security notice); secrets redacted. */
  variables: Record<string, string>;
  createdAt: string;
}

export interface LocalMailSecretsRequest {
  /** Recipient address (case-insensitive). */
  to: string;
  /** Only messages of this template (`password_reset`, `login_unlock`, ...). */
  template?: string;
}

/** The secrets of the recorded messages to one address, newest first (at most 20). */
export interface LocalMailSecretsResponse {
  items: Array<{
    /** The local mail id (as in `LocalMailView.id`). */
    id: string;
    template: string;
    /** The unredacted values, e.g. `{ token, link }`. */
    secrets: Record<string, string>;
    createdAt: string;
  }>;
}
