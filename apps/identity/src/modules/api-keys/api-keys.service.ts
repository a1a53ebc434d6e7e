import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
import type { DataSource } from 'typeorm';
import {
  IdentityAuthSubjects,
  IdentityEvent,
  IdentityOrganizationSubjects,
  parsePermission,
  type ApiKeyAuthenticateRequest,
  type ApiKeyAuthenticateResponse,
  type ApiKeyCreateRequest,
  type ApiKeyCreateResponse,
  type ApiKeyRevokeRequest,
  type ApiKeyView,
  type Page,
  type PageQuery,
  type PermissionKey,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope, scopeOf } from '@keyhouse/platform/auth';
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId, randomToken, sha256Hex } from '@keyhouse/util';
import type { IdentityDb } from '../../database/identity.db';
import { IdentityErrorCode } from '../../identity.exception';

const SCOPE_RANK = { own: 1, team: 2, org: 3 } as const;
/** `last_used_at` is written at most this often per key (it is read for display, not security). */
const LAST_USED_RESOLUTION_SECONDS = 60;

/** The `api_key` columns an `ApiKeyView` shows (never the hash). */
const API_KEY_VIEW_COLUMNS = ['id', 'name', 'prefix', 'scopes', 'created_by', 'created_at', 'last_used_at', 'revoked_at'] as const;

/** What an `ApiKeyView` shows of an `api_key` row (`API_KEY_VIEW_COLUMNS`). */
type ApiKeyViewRow = Pick<Selectable<IdentityDb['api_key']>, (typeof API_KEY_VIEW_COLUMNS)[number]>;

function toApiKeyView(row: ApiKeyViewRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/**
 * API keys for partner systems (websites, IDX, portals). A key is `kh_` + 256 random bits, shown
 * once; only its SHA-256 hash is stored. Its scopes are permissions, and a creator cannot grant a
 * scope wider than their own. Use is recorded (`last_used_at`, `identity.api_key.used`) at most
 * once a minute per key.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /**
   * Creates a key for the caller's organization; the reply carries the key, shown once. Emits
   * `identity.api_key.created`.
   *
   * @throws DomainException 422 `INVALID_PERMISSION` for scopes that are unknown or wider than the caller's.
   */
  @RpcHandler(IdentityOrganizationSubjects.apiKeyCreate)
  async create(envelope: RequestEnvelope<ApiKeyCreateRequest>): Promise<ApiKeyCreateResponse> {
    const actor = envelope.actor!;
    requireScope(actor, 'api-keys:write', 'org');
    const scopes = [...new Set(envelope.data.scopes)].sort();
    const problems: string[] = [];
    for (const scope of scopes) {
      const parsed = parsePermission(scope);
      if (!parsed) {
        problems.push(`${scope} is not a permission`);
        continue;
      }
      const key = `${parsed.resource}:${parsed.action}` as PermissionKey;
      const held = scopeOf(actor, key);
      // leads:write is granted to keys by whoever may write contacts organization-wide.
      const grantable = key === 'leads:write' ? scopeOf(actor, 'contacts:write') : held;
      if (!grantable || SCOPE_RANK[grantable] < SCOPE_RANK[parsed.scope]) problems.push(`${scope} is beyond your own permissions`);
    }
    if (problems.length > 0) {
      throw new DomainException('validation', IdentityErrorCode.InvalidPermission, 'Some scopes cannot be granted', [
        { field: 'scopes', message: problems.join('; ') },
      ]);
    }
    const key = `kh_${randomToken(32)}`;
    const id = newId();
    const view = await this.unitOfWork.run(envelope, async (unit) => {
      const row = await kyselyFor<IdentityDb>(unit.manager)
        .insertInto('api_key')
        .values({
          id,
          org_id: actor.orgId,
          name: envelope.data.name.trim(),
          prefix: key.slice(0, 10),
          key_hash: sha256Hex(key),
          scopes,
          // An API key acting here has no user id: the NOT NULL column refuses the row, as it always has.
          created_by: actor.userId!,
        })
        .returning(API_KEY_VIEW_COLUMNS)
        .executeTakeFirstOrThrow();
      await unit.emit(IdentityEvent.apiKeyCreated, id, actor.orgId, {
        apiKeyId: id,
        name: envelope.data.name.trim(),
        scopes,
      });
      return toApiKeyView(row);
    });
    return { ...view, key };
  }

  /** The organization's keys, newest first (keyset page), without their secrets. */
  @RpcHandler(IdentityOrganizationSubjects.apiKeyList)
  async list(envelope: RequestEnvelope<PageQuery>): Promise<Page<ApiKeyView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'api-keys:read');
    const query = kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('api_key')
      .select(API_KEY_VIEW_COLUMNS)
      .where('org_id', '=', actor.orgId);
    const page = keysetPage(query, { sort: sql.ref('created_at'), id: sql.ref('id'), direction: 'desc' }, envelope.data);
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toApiKeyView);
  }

  /**
   * Revokes a key (idempotent: a revoked key keeps its first revocation time); emits
   * `identity.api_key.revoked`.
   *
   * @throws DomainException 404 `API_KEY_NOT_FOUND`.
   */
  @RpcHandler(IdentityOrganizationSubjects.apiKeyRevoke)
  async revoke(envelope: RequestEnvelope<ApiKeyRevokeRequest>): Promise<ApiKeyView> {
    const actor = envelope.actor!;
    requireScope(actor, 'api-keys:write', 'org');
    return this.unitOfWork.run(envelope, async (unit) => {
      const row = await kyselyFor<IdentityDb>(unit.manager)
        .updateTable('api_key')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', sql<Date>`now()`) }))
        .where('id', '=', envelope.data.id)
        .where('org_id', '=', actor.orgId)
        .returning(API_KEY_VIEW_COLUMNS)
        .executeTakeFirst();
      if (!row) throw DomainException.notFound(IdentityErrorCode.ApiKeyNotFound, 'API key');
      await unit.emit(IdentityEvent.apiKeyRevoked, row.id, actor.orgId, { apiKeyId: row.id });
      return toApiKeyView(row);
    });
  }

  /**
   * Resolves an `X-Api-Key` to the actor it acts as; records its use (`last_used_at`,
   * `identity.api_key.used` with the key as actor) at most once a minute.
   *
   * @throws DomainException 401 `INVALID_API_KEY` when unknown or revoked.
   */
  @RpcHandler(IdentityAuthSubjects.apiKeyAuthenticate)
  async authenticate(envelope: RequestEnvelope<ApiKeyAuthenticateRequest>): Promise<ApiKeyAuthenticateResponse> {
    const row = await kyselyFor<IdentityDb>(this.dataSource)
      .selectFrom('api_key')
      .select((eb) => [
        'id',
        'org_id',
        'created_by',
        'scopes',
        eb
          .or([
            eb('last_used_at', 'is', null),
            eb('last_used_at', '<', sql<Date>`now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS})`),
          ])
          .as('stale'),
      ])
      .where('key_hash', '=', sha256Hex(envelope.data.key))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw new DomainException('unauthenticated', IdentityErrorCode.InvalidApiKey, 'The API key is not valid');
    if (row.stale) {
      const context = {
        actor: { type: 'api_key' as const, apiKeyId: row.id, orgId: row.org_id, role: 'api_key', teamIds: [], permissions: row.scopes },
        requestId: envelope.requestId,
      };
      await this.unitOfWork.run(context, async (unit) => {
        await kyselyFor<IdentityDb>(unit.manager)
          .updateTable('api_key')
          .set({ last_used_at: sql<Date>`now()` })
          .where('id', '=', row.id)
          .execute();
        await unit.emit(IdentityEvent.apiKeyUsed, row.id, row.org_id, { apiKeyId: row.id });
      });
    }
    return { apiKeyId: row.id, orgId: row.org_id, createdBy: row.created_by, scopes: row.scopes };
  }
}
