import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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
import { keyset, queryRows, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId, randomToken, sha256Hex } from '@keyhouse/util';
import { IdentityErrorCode } from '../../identity.exception';
import { pageOrThrow } from '../list-query.util';

const SCOPE_RANK = { own: 1, team: 2, org: 3 } as const;
/** `last_used_at` is written at most this often per key (it is read for display, not security). */
const LAST_USED_RESOLUTION_SECONDS = 60;

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

function toApiKeyView(row: ApiKeyRow): ApiKeyView {
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
      const [row] = (await unit.manager.query(
        `INSERT INTO api_key (id, org_id, name, prefix, key_hash, scopes, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at`,
        [id, actor.orgId, envelope.data.name.trim(), key.slice(0, 10), sha256Hex(key), scopes, actor.userId],
      )) as ApiKeyRow[];
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
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'created_at',
        idColumn: 'id',
        direction: 'DESC',
        cursor: envelope.data.cursor,
        limit: envelope.data.limit,
        firstParam: 2,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at FROM api_key
        WHERE org_id = $1 AND ${page.where} ${page.tail}`,
      [actor.orgId, ...page.params],
    )) as ApiKeyRow[];
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
      const [row] = await queryRows<ApiKeyRow>(
        unit.manager,
        `UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND org_id = $2
         RETURNING id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at`,
        [envelope.data.id, actor.orgId],
      );
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
    const [row] = (await this.dataSource.query(
      `SELECT id, org_id, created_by, scopes,
              (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2)) AS stale
         FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL`,
      [sha256Hex(envelope.data.key), LAST_USED_RESOLUTION_SECONDS],
    )) as Array<{ id: string; org_id: string; created_by: string; scopes: string[]; stale: boolean }>;
    if (!row) throw new DomainException('unauthenticated', IdentityErrorCode.InvalidApiKey, 'The API key is not valid');
    if (row.stale) {
      const context = {
        actor: { type: 'api_key' as const, apiKeyId: row.id, orgId: row.org_id, role: 'api_key', teamIds: [], permissions: row.scopes },
        requestId: envelope.requestId,
      };
      await this.unitOfWork.run(context, async (unit) => {
        await unit.manager.query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [row.id]);
        await unit.emit(IdentityEvent.apiKeyUsed, row.id, row.org_id, { apiKeyId: row.id });
      });
    }
    return { apiKeyId: row.id, orgId: row.org_id, createdBy: row.created_by, scopes: row.scopes };
  }
}
