import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { decodePermissions, type Actor } from '@keyhouse/contracts';
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  ACCESS_TOKEN_TYPE,
  type AccessTokenClaims,
} from './access-token.constant';
import type { RevocationList } from './revocation-list.service';

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
  /** token → its verified claims (and the last actor built from them); insertion-ordered, oldest evicted first. */
  private readonly verified = new Map<string, VerifiedToken>();
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
    return this.verifyCached(token, client) ?? this.actorOf(await this.verifySignature(token), client);
  }

  /**
   * The synchronous half of `verify`: the actor of a token verified before and not yet expired
   * (revocation checked: throws `InvalidAccessTokenError` when revoked), or null when the token
   * must go through `verify` (unknown, expired, evicted). Lets the gateway authenticate a repeat
   * caller without a promise.
   */
  verifyCached(token: string, client: { ip?: string; userAgent?: string } = {}): Actor | null {
    const cached = this.verified.get(token);
    return cached && cached.claims.exp * 1000 > Date.now() ? this.actorOf(cached, client) : null;
  }

  /**
   * The actor of verified claims seen from `client`. The object is frozen and reused while the
   * same token comes from the same address and agent (the common case), so that it is neither
   * rebuilt nor re-serialized per request (the gateway caches its JSON per object); revocation is checked on
   * every call.
   */
  private actorOf(entry: VerifiedToken, client: { ip?: string; userAgent?: string }): Actor {
    const claims = entry.claims;
    if (this.revocations.isRevoked(claims.sub, claims.sid, claims.iat_ms ?? claims.iat * 1000)) {
      throw new InvalidAccessTokenError('revoked');
    }
    const last = entry.actor;
    if (last && last.ip === client.ip && last.userAgent === client.userAgent) return last;
    entry.actor = Object.freeze<Actor>({
      type: 'user',
      userId: claims.sub,
      orgId: claims.org,
      role: claims.role,
      teamIds: Array.isArray(claims.teams) ? claims.teams : [],
      permissions: entry.permissions,
      sessionId: claims.sid,
      ip: client.ip,
      userAgent: client.userAgent,
    });
    return entry.actor;
  }

  private async verifySignature(token: string): Promise<VerifiedToken> {
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
    if (typeof claims.org !== 'string' || typeof claims.role !== 'string') throw new InvalidAccessTokenError('missing claims');
    const permissions = permissionsOf(claims.perms);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    const entry: VerifiedToken = { claims, permissions, actor: null };
    this.verified.set(token, entry);
    return entry;
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

interface VerifiedToken {
  claims: AccessTokenClaims;
  /** `perms` as a list, decoded once per token. */
  permissions: readonly string[];
  actor: Actor | null;
}

/** The `perms` claim as a list: decoded from its code, or the list of strings it is; otherwise invalid. */
function permissionsOf(perms: unknown): readonly string[] {
  if (typeof perms === 'string') {
    try {
      return Object.freeze(decodePermissions(perms));
    } catch {
      throw new InvalidAccessTokenError('malformed permissions');
    }
  }
  if (Array.isArray(perms) && perms.every((permission) => typeof permission === 'string')) return Object.freeze([...perms] as string[]);
  throw new InvalidAccessTokenError('missing claims');
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
