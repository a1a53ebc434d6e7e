import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  ACCESS_TOKEN_TTL_SECONDS,
  ACCESS_TOKEN_TYPE,
  SecretCipher,
} from '@keyhouse/platform/auth';
import { encodePermissions, IdentityAuthSubjects, type JwksResponse } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { RpcHandler } from '@keyhouse/platform/messaging';
import type { IdentityDb } from '../../database/identity.db';
import type { PublicJwk } from '../../database/identity-json.type';

export const SECRET_CIPHER = Symbol('SECRET_CIPHER');

interface ActiveKey {
  kid: string;
  key: Awaited<ReturnType<typeof importJWK>>;
}

export interface AccessTokenInput {
  userId: string;
  orgId: string;
  role: string;
  teamIds: string[];
  permissions: string[];
  sessionId: string;
}

/**
 * The ES256 keys that sign access tokens. Private keys live in `signing_key`, encrypted with the
 * service keyring (`SecretCipher`, AAD `identity|signing_key|<kid>`); the first start creates one
 * under an advisory lock so replicas agree. Retired keys stay in the JWKS until their tokens
 * have expired.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private readonly logger = new Logger(SigningKeyService.name);
  private active: ActiveKey | null = null;
  private publicKeys: PublicJwk[] = [];
  private decoyKey: Promise<ActiveKey['key']> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const db = kyselyFor<IdentityDb>(manager);
      await sql`SELECT pg_advisory_xact_lock(hashtext('identity.signing_key'))`.execute(db);
      const existing = await db
        .selectFrom('signing_key')
        .select('kid')
        .where('retired_at', 'is', null)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (existing) return;
      const { privateKey, publicKey } = await generateKeyPair(ACCESS_TOKEN_ALGORITHM, { extractable: true });
      const kid = randomUUID();
      const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ACCESS_TOKEN_ALGORITHM };
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
      await db
        .insertInto('signing_key')
        .values({
          kid,
          private_jwk_enc: this.cipher.encrypt(JSON.stringify(privateJwk), `identity|signing_key|${kid}`),
          public_jwk: JSON.stringify(publicJwk),
        })
        .execute();
      this.logger.log(`Created access-token signing key ${kid}`);
    });
    await this.load();
  }

  async load(): Promise<void> {
    const rows = await kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('signing_key')
      .select(['kid', 'private_jwk_enc', 'public_jwk', 'retired_at'])
      .where((eb) =>
        eb.or([
          eb('retired_at', 'is', null),
          eb('retired_at', '>', sql<Date>`now() - make_interval(secs => ${ACCESS_TOKEN_TTL_SECONDS * 2})`),
        ]),
      )
      .orderBy('created_at', 'desc')
      .execute();
    const current = rows.find((row) => row.retired_at === null);
    if (!current) throw new Error('No active signing key');
    const jwk = JSON.parse(this.cipher.decrypt(current.private_jwk_enc, `identity|signing_key|${current.kid}`)) as JWK;
    this.active = { kid: current.kid, key: await importJWK(jwk, ACCESS_TOKEN_ALGORITHM) };
    this.publicKeys = rows.map((row) => row.public_jwk);
  }

  /** Public keys of the active key and of keys retired less than two token lifetimes ago (RFC 7517). */
  @RpcHandler(IdentityAuthSubjects.jwks)
  jwks(): JwksResponse {
    return { keys: this.publicKeys as Array<Record<string, unknown>> };
  }

  /** Signs a 15-minute access token (`typ: at+jwt`, RFC 9068) for the given subject. */
  async signAccessToken(input: AccessTokenInput): Promise<string> {
    if (!this.active) throw new Error('Signing key not loaded');
    return this.sign(input, this.active.key, this.active.kid);
  }

  /**
   * A token shaped exactly like `signAccessToken`'s (same header with the active `kid`, same
   * claims) but signed with a throwaway key of this process that no JWKS lists, so every verifier
   * refuses it: the decoy answer to a registration of a taken address.
   */
  async signDecoyAccessToken(input: AccessTokenInput): Promise<string> {
    if (!this.active) throw new Error('Signing key not loaded');
    this.decoyKey ??= generateKeyPair(ACCESS_TOKEN_ALGORITHM, { extractable: false }).then((pair) => pair.privateKey);
    return this.sign(input, await this.decoyKey, this.active.kid);
  }

  private sign(input: AccessTokenInput, key: ActiveKey['key'], kid: string): Promise<string> {
    const now = Date.now();
    return new SignJWT({
      org: input.orgId,
      role: input.role,
      teams: input.teamIds,
      perms: encodePermissions(input.permissions) ?? input.permissions,
      sid: input.sessionId,
      iat_ms: now,
    })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid })
      .setSubject(input.userId)
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + ACCESS_TOKEN_TTL_SECONDS)
      .setJti(randomUUID())
      .sign(key);
  }
}
