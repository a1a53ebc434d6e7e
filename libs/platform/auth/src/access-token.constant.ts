/**
 * Access tokens: JWTs (RFC 7519) signed with ES256 (ECDSA P-256, RFC 7518 §3.4), header
 * `typ: at+jwt` (RFC 9068) and a `kid` from identity's JWKS. Claims beyond the registered ones:
 * `org` (organization id), `role`, `teams` (team ids), `perms` (permissions), `sid` (session), `iat_ms` (issue time in ms).
 * `perms` is the compact code of `encodePermissions` (one digit per catalogue pair, docs/adr/0024),
 * or the list itself when a permission is outside the catalogue: a token stays ≈ 600 bytes instead
 * of ≈ 1.5 KB, which every request sends and the gateway parses.
 */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_ISSUER = 'keyhouse-identity';
export const ACCESS_TOKEN_AUDIENCE = 'keyhouse-api';
/** Lifetime of an access token in seconds (15 minutes). */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

export interface AccessTokenClaims {
  sub: string;
  org: string;
  role: string;
  teams: string[];
  /** `encodePermissions` code, or the `resource:action:scope` list. */
  perms: string | string[];
  sid: string;
  iat: number;
  /** Issue time in epoch milliseconds (`iat` has only second precision). */
  iat_ms: number;
  exp: number;
  jti: string;
}
