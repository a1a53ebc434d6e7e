/**
 * Shapes the Postgres catalogue cannot tell kysely-codegen, declared once for `identity.db.ts`
 * (`identity.db-overrides.json`) and for the code that builds the values. Column shapes that are
 * also wire shapes (`UserStatus`, `NotificationPreferences`, `WorkingHours`) come from
 * `@keyhouse/contracts` directly.
 */
import type { JWK } from 'jose';
import type { Revocation } from '@keyhouse/contracts';

/** `one_time_token.purpose`, as its CHECK constraint allows. */
export type OneTimeTokenPurpose = 'password_reset' | 'email_verification' | 'mfa_login' | 'invitation' | 'login_unlock';

/** `token_revocation.kind`, as its CHECK constraint allows: every token of a session, or of a user before a time. */
export type RevocationKind = Revocation['kind'];

/**
 * `local_mail.variables`: the values a recorded message shows, e.g. `{ reason }` (secrets read
 * `[redacted]`); `local_mail.secrets`: the secret values themselves, e.g. `{ token, link }`.
 */
export type LocalMailVariables = Record<string, string>;

/** `signing_key.public_jwk`: the public half of an ES256 signing key (RFC 7517), with its `kid`, `alg` and `use`. */
export type PublicJwk = JWK;
