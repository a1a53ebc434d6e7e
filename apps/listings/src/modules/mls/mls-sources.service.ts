import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { MlsRunListRequest, MlsSourceCreateRequest, MlsSourceView, MlsSyncRunView, Page, RequestEnvelope } from '@keyhouse/contracts';
import { requireScope, type SecretCipher } from '@keyhouse/platform/auth';
import { InvalidCursorError, keyset, toPage } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { ListingsErrorCode } from '../../listings.exception';

export const LISTINGS_SECRET_CIPHER = Symbol('LISTINGS_SECRET_CIPHER');

export interface MlsSourceRow {
  id: string;
  org_id: string;
  name: string;
  base_url: string;
  credentials_ciphertext: string;
  page_size: number;
  interval_minutes: number;
  enabled: boolean;
  high_water_mark: Date | null;
  created_at: Date;
}

export interface MlsRunRow {
  id: string;
  source_id: string;
  status: MlsSyncRunView['status'];
  pages: number;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: number;
  errors: MlsSyncRunView['errors'];
  started_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
}

export const toSourceView = (row: MlsSourceRow): MlsSourceView => ({
  id: row.id,
  name: row.name,
  baseUrl: row.base_url,
  pageSize: row.page_size,
  intervalMinutes: row.interval_minutes,
  enabled: row.enabled,
  highWaterMark: row.high_water_mark ? row.high_water_mark.toISOString() : null,
  createdAt: row.created_at.toISOString(),
});

export const toRunView = (row: MlsRunRow): MlsSyncRunView => ({
  id: row.id,
  sourceId: row.source_id,
  status: row.status,
  pages: row.pages,
  fetched: row.fetched,
  created: row.created,
  updated: row.updated,
  unchanged: row.unchanged,
  removed: row.removed,
  failed: row.failed,
  errors: row.errors,
  startedAt: row.started_at.toISOString(),
  finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
  durationMs: row.duration_ms,
});

/** Associated data binding a source's encrypted credentials to its row (SecretCipher AAD). */
export const credentialsAad = (sourceId: string) => `listings.mls_source:${sourceId}`;

/**
 * MLS sources of an organization (RESO Web API service roots with a bearer token stored
 * encrypted with AES-256-GCM under LISTINGS_ENCRYPTION_KEYS) and their sync runs. Administration
 * needs `listings:import` at org scope. The token never leaves the service.
 */
@Injectable()
export class MlsSourcesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LISTINGS_SECRET_CIPHER) private readonly cipher: SecretCipher,
  ) {}

  async create(envelope: RequestEnvelope<MlsSourceCreateRequest>): Promise<MlsSourceView> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const data = envelope.data;
    const id = newId();
    const [row] = (await this.dataSource.query(
      `INSERT INTO mls_source (id, org_id, name, base_url, credentials_ciphertext, page_size, interval_minutes, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [id, actor.orgId, data.name.trim(), data.baseUrl.replace(/\/+$/, ''), this.cipher.encrypt(data.accessToken, credentialsAad(id)), data.pageSize ?? 200, data.intervalMinutes ?? 15, actor.userId ?? null],
    )) as MlsSourceRow[];
    return toSourceView(row);
  }

  async list(envelope: RequestEnvelope<{ cursor?: string; limit?: number }>): Promise<Page<MlsSourceView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const page = pageOrThrow(() => keyset({ sortColumn: 's.created_at', idColumn: 's.id', direction: 'ASC', cursor: envelope.data.cursor, limit: envelope.data.limit, firstParam: 2 }));
    const rows = (await this.dataSource.query(`SELECT s.* FROM mls_source s WHERE s.org_id = $1 AND ${page.where} ${page.tail}`, [actor.orgId, ...page.params])) as MlsSourceRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toSourceView);
  }

  async runs(envelope: RequestEnvelope<MlsRunListRequest>): Promise<Page<MlsSyncRunView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    await this.source(actor.orgId, envelope.data.sourceId);
    const page = pageOrThrow(() => keyset({ sortColumn: 'r.started_at', idColumn: 'r.id', direction: 'DESC', cursor: envelope.data.cursor, limit: envelope.data.limit, firstParam: 3 }));
    const rows = (await this.dataSource.query(
      `SELECT r.* FROM mls_sync_run r WHERE r.org_id = $1 AND r.source_id = $2 AND ${page.where} ${page.tail}`,
      [actor.orgId, envelope.data.sourceId, ...page.params],
    )) as MlsRunRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.started_at, id: row.id }), toRunView);
  }

  async source(orgId: string, id: string): Promise<MlsSourceRow> {
    const [row] = (await this.dataSource.query(`SELECT * FROM mls_source WHERE org_id = $1 AND id = $2`, [orgId, id])) as MlsSourceRow[];
    if (!row) throw DomainException.notFound(ListingsErrorCode.MlsSourceNotFound, 'MLS source');
    return row;
  }

  accessToken(row: MlsSourceRow): string {
    return this.cipher.decrypt(row.credentials_ciphertext, credentialsAad(row.id));
  }
}

function pageOrThrow<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new DomainException('validation', ListingsErrorCode.InvalidCursor, error.message, [{ field: 'cursor', message: 'is not a cursor of this list' }]);
    }
    throw error;
  }
}
