/**
 * Access tokens: JWTs (RFC 7519) signed with ES256 (ECDSA P-256, RFC 7518 §3.4), header
 * `typ: at+jwt` (RFC 9068) and a `kid` from identity's JWKS. Claims beyond the registered ones:
 * `org` (organization id), `role`, `teams` (team ids), `perms` (permissions), `sid` (session), `iat_ms` (issue time in ms).
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
  perms: string[];
  sid: string;
  iat: number;
  /** Issue time in epoch milliseconds (`iat` has only second precision). */
  iat_ms: number;
  exp: number;
  jti: string;
}
