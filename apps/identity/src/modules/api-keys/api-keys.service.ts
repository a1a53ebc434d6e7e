import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  IdentityEvent,
  parsePermission,
  type ApiKeyAuthenticateResponse,
  type ApiKeyCreateRequest,
  type ApiKeyCreateResponse,
  type ApiKeyView,
  type Page,
  type PageQuery,
  type PermissionKey,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope, scopeOf } from '@keyhouse/platform/auth';
import { keyset, queryRows, toPage } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { newId, randomToken, sha256Hex } from '@keyhouse/util';
import { IdentityErrorCode } from '../../identity.exception';
import { contextOf, IdentityEvents } from '../identity-events.service';
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
    private readonly events: IdentityEvents,
  ) {}

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
    const view = await this.dataSource.transaction(async (manager) => {
      const [row] = (await manager.query(
        `INSERT INTO api_key (id, org_id, name, prefix, key_hash, scopes, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at`,
        [id, actor.orgId, envelope.data.name.trim(), key.slice(0, 10), sha256Hex(key), scopes, actor.userId],
      )) as ApiKeyRow[];
      await this.events.emit(manager, contextOf(envelope), IdentityEvent.apiKeyCreated.type, id, actor.orgId, {
        apiKeyId: id,
        name: envelope.data.name.trim(),
        scopes,
      });
      return toApiKeyView(row);
    });
    this.events.flush();
    return { ...view, key };
  }

  async list(envelope: RequestEnvelope<PageQuery>): Promise<Page<ApiKeyView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'api-keys:read');
    const page = pageOrThrow(() =>
      keyset({ sortColumn: 'created_at', idColumn: 'id', direction: 'DESC', cursor: envelope.data.cursor, limit: envelope.data.limit, firstParam: 2 }),
    );
    const rows = (await this.dataSource.query(
      `SELECT id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at FROM api_key
        WHERE org_id = $1 AND ${page.where} ${page.tail}`,
      [actor.orgId, ...page.params],
    )) as ApiKeyRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toApiKeyView);
  }

  async revoke(envelope: RequestEnvelope<{ id: string }>): Promise<ApiKeyView> {
    const actor = envelope.actor!;
    requireScope(actor, 'api-keys:write', 'org');
    const view = await this.dataSource.transaction(async (manager) => {
      const [row] = await queryRows<ApiKeyRow>(
        manager,
        `UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND org_id = $2
         RETURNING id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at`,
        [envelope.data.id, actor.orgId],
      );
      if (!row) throw DomainException.notFound(IdentityErrorCode.ApiKeyNotFound, 'API key');
      await this.events.emit(manager, contextOf(envelope), IdentityEvent.apiKeyRevoked.type, row.id, actor.orgId, { apiKeyId: row.id });
      return toApiKeyView(row);
    });
    this.events.flush();
    return view;
  }

  /** Resolves an `X-Api-Key`; 401 `INVALID_API_KEY` when unknown or revoked. */
  async authenticate(envelope: RequestEnvelope<{ key: string }>): Promise<ApiKeyAuthenticateResponse> {
    const [row] = (await this.dataSource.query(
      `SELECT id, org_id, created_by, scopes,
              (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2)) AS stale
         FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL`,
      [sha256Hex(envelope.data.key), LAST_USED_RESOLUTION_SECONDS],
    )) as Array<{ id: string; org_id: string; created_by: string; scopes: string[]; stale: boolean }>;
    if (!row) throw new DomainException('unauthenticated', IdentityErrorCode.InvalidApiKey, 'The API key is not valid');
    if (row.stale) {
      await this.dataSource.transaction(async (manager) => {
        await manager.query(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [row.id]);
        await this.events.emit(
          manager,
          { actor: { type: 'api_key', apiKeyId: row.id, orgId: row.org_id, role: 'api_key', teamIds: [], permissions: row.scopes }, requestId: envelope.requestId },
          IdentityEvent.apiKeyUsed.type,
          row.id,
          row.org_id,
          { apiKeyId: row.id },
        );
      });
      this.events.flush();
    }
    return { apiKeyId: row.id, orgId: row.org_id, createdBy: row.created_by, scopes: row.scopes };
  }
}
