import {
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import type { Actor } from '@keyhouse/contracts';
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
} from './access-token';
import type { RevocationList } from './revocation-list';

export class InvalidAccessTokenError extends Error {
  constructor(reason: string) {
    super(`Invalid access token: ${reason}`);
  }
}

/**
 * Verifies access tokens against the identity service's JWKS (RFC 8725 practice): signature first,
 * algorithm allow-list (ES256 only, so `none` and HS/ES key confusion fail), `typ`, issuer,
 * audience, `exp`/`nbf` with 5 s leeway, then the revocation list. Keys come only from `fetchJwks`
 * (never from `jku`/`x5u`/`jwk` headers); the set is cached and re-fetched when a token names an
 * unknown `kid`, at most once per `minRefreshIntervalMs`.
 */
/** Verified tokens remembered, so a client's repeated requests skip the ECDSA verification. */
const VERIFIED_CACHE_SIZE = 10_000;

export class AccessTokenVerifier {
  private keySet: JWTVerifyGetKey | null = null;
  /** token → its verified claims; insertion-ordered, oldest evicted first. */
  private readonly verified = new Map<string, AccessTokenClaims>();
  private kids = new Set<string>();
  private lastFetch = 0;
  private inflight: Promise<void> | null = null;

  constructor(
    private readonly fetchJwks: () => Promise<JSONWebKeySet>,
    private readonly revocations: RevocationList,
    private readonly minRefreshIntervalMs = 10_000,
  ) {}

  /**
   * Returns the actor of a valid token; throws `InvalidAccessTokenError` otherwise. A token that
   * verified before is served from memory until it expires (signature checks are the costliest
   * step of a request); expiry and revocation are checked on every call.
   */
  async verify(token: string, client: { ip?: string; userAgent?: string } = {}): Promise<Actor> {
    const cached = this.verified.get(token);
    const claims = cached && cached.exp * 1000 > Date.now() ? cached : await this.verifySignature(token);
    if (this.revocations.isRevoked(claims.sub, claims.sid, claims.iat_ms ?? claims.iat * 1000)) {
      throw new InvalidAccessTokenError('revoked');
    }
    return {
      type: 'user',
      userId: claims.sub,
      orgId: claims.org,
      role: claims.role,
      teamIds: Array.isArray(claims.teams) ? claims.teams : [],
      permissions: claims.perms,
      sessionId: claims.sid,
      ip: client.ip,
      userAgent: client.userAgent,
    };
  }

  private async verifySignature(token: string): Promise<AccessTokenClaims> {
    this.verified.delete(token);
    const kid = readKid(token);
    const mayRefresh = this.lastFetch === 0 || Date.now() - this.lastFetch > this.minRefreshIntervalMs;
    if (mayRefresh && (!this.keySet || (kid && !this.kids.has(kid)))) await this.refresh();
    else if (this.inflight) await this.inflight;
    if (!this.keySet) throw new InvalidAccessTokenError('signing keys unavailable');
    let claims: AccessTokenClaims;
    try {
      const { payload } = await jwtVerify(token, this.keySet, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: 5,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      claims = payload as unknown as AccessTokenClaims;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) throw new InvalidAccessTokenError(error.code);
      throw error;
    }
    if (typeof claims.org !== 'string' || typeof claims.role !== 'string' || !Array.isArray(claims.perms)) {
      throw new InvalidAccessTokenError('missing claims');
    }
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, claims);
    return claims;
  }

  /**
   * Re-reads the key set. A failed fetch keeps the previous set and still counts as an attempt, so
   * tokens naming unknown `kid`s cannot make the gateway hammer identity while it is down.
   */
  async refresh(): Promise<void> {
    this.inflight ??= (async () => {
      this.lastFetch = Date.now();
      try {
        const jwks = await this.fetchJwks();
        this.keySet = createLocalJWKSet(jwks);
        this.kids = new Set(jwks.keys.map((key) => key.kid).filter((kid): kid is string => !!kid));
      } catch {
        // Keep the previous key set; `verify` reports unavailable keys as an invalid token.
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}

function readKid(token: string): string | undefined {
  const header = token.split('.')[0];
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof parsed.kid === 'string' ? parsed.kid : undefined;
  } catch {
    return undefined;
  }
}
