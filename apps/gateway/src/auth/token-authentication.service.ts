import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { JSONWebKeySet } from 'jose';
import type { NatsConnection, Subscription } from 'nats';
import {
  IDENTITY_REVOCATION_BROADCAST,
  IdentityAuthSubjects,
  type Actor,
  type ApiKeyAuthenticateResponse,
  type Revocation,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { ACCESS_TOKEN_TTL_SECONDS, AccessTokenVerifier, RevocationList } from '@keyhouse/platform/auth';
import { NATS_CONNECTION, NATS_OPTIONS, RpcClient, type NatsModuleOptions } from '@keyhouse/platform/messaging';
import { newId, sha256Hex } from '@keyhouse/util';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';

/** How often revocations are re-read from identity, in case a broadcast was lost. */
export const REVOCATION_RESYNC_SECONDS = 30;

/**
 * Resolves credentials to an `Actor`: bearer access tokens (verified locally against identity's
 * JWKS, fetched over NATS) and `X-Api-Key` keys (resolved by identity, cached for `API_KEY_CACHE_SECONDS`). Keeps the
 * revocation list current from identity's broadcast plus a periodic resync.
 */
@Injectable()
export class TokenAuthenticationService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TokenAuthenticationService.name);
  readonly revocations = new RevocationList();
  readonly verifier: AccessTokenVerifier;
  private readonly apiKeys = new Map<string, { value: ApiKeyAuthenticateResponse; expiresAt: number }>();
  private subscription: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  private syncedUntil = 0;

  constructor(
    private readonly rpc: RpcClient,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(NATS_OPTIONS) private readonly natsOptions: NatsModuleOptions,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.verifier = new AccessTokenVerifier(
      async () =>
        (await this.rpc.request(IdentityAuthSubjects.jwks, this.systemEnvelope({}), {
          timeoutMs: 2000,
          retries: 1,
        })) as unknown as JSONWebKeySet,
      this.revocations,
    );
  }

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe(this.natsOptions.subjectPrefix + IDENTITY_REVOCATION_BROADCAST, {
      callback: (error, message) => {
        if (error) return;
        try {
          for (const revocation of JSON.parse(new TextDecoder().decode(message.data)) as Revocation[]) {
            this.revocations.add(revocation);
          }
        } catch {
          this.logger.warn('Ignored a malformed revocation broadcast');
        }
      },
    });
    void this.resync();
    this.timer = setInterval(() => void this.resync(), REVOCATION_RESYNC_SECONDS * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
  }

  /** Re-reads revocations made since the last sync (from one token lifetime ago at start). */
  async resync(): Promise<void> {
    const since = this.syncedUntil || Date.now() - (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
    const started = Date.now();
    try {
      const response = await this.rpc.request(IdentityAuthSubjects.revocations, this.systemEnvelope({ since: since - 5000 }), {
        timeoutMs: 2000,
        retries: 1,
      });
      for (const revocation of response.revocations) this.revocations.add(revocation);
      this.syncedUntil = started;
      this.revocations.prune();
    } catch (error) {
      this.logger.warn(`Revocation resync failed: ${(error as Error).message}`);
      // Until the first sync succeeds, tokens revoked shortly before this gateway started are
      // unknown to it: retry soon rather than at the next interval.
      if (this.syncedUntil === 0) setTimeout(() => void this.resync(), 2000).unref();
    }
  }

  async authenticateBearer(token: string, client: { ip?: string; userAgent?: string }): Promise<Actor> {
    return this.verifier.verify(token, client);
  }

  /**
   * The actor of a bearer token verified before (revocation and expiry checked; throws
   * `InvalidAccessTokenError` when revoked), or null when it needs `authenticateBearer`.
   */
  authenticateBearerCached(token: string, client: { ip?: string; userAgent?: string }): Actor | null {
    return this.verifier.verifyCached(token, client);
  }

  /** Resolves an API key; throws the identity service's 401 for unknown or revoked keys. */
  async authenticateApiKey(key: string, client: { ip?: string; userAgent?: string }): Promise<Actor> {
    const cacheKey = sha256Hex(key);
    const cached = this.apiKeys.get(cacheKey);
    let value: ApiKeyAuthenticateResponse;
    if (cached && cached.expiresAt > Date.now()) {
      value = cached.value;
    } else {
      value = await this.rpc.request(IdentityAuthSubjects.apiKeyAuthenticate, this.systemEnvelope({ key }));
      if (this.apiKeys.size > 10_000) this.apiKeys.clear();
      this.apiKeys.set(cacheKey, { value, expiresAt: Date.now() + this.config.API_KEY_CACHE_SECONDS * 1000 });
    }
    return {
      type: 'api_key',
      apiKeyId: value.apiKeyId,
      userId: value.createdBy,
      orgId: value.orgId,
      role: 'api_key',
      teamIds: [],
      permissions: value.scopes,
      ip: client.ip,
      userAgent: client.userAgent,
    };
  }

  /** A request without an actor (the gateway itself), with a fresh request id. */
  private systemEnvelope<T>(data: T): RequestEnvelope<T> {
    return { actor: null, requestId: newId(), data };
  }
}
