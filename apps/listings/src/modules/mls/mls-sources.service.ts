import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ListingsEvent,
  ListingsMlsSubjects as S,
  type Actor,
  type MlsRunListRequest,
  type MlsSourceCreateRequest,
  type MlsSourceUpdateRequest,
  type MlsSourceView,
  type MlsSyncRunView,
  type Page,
  type PageQuery,
  type RequestEnvelope,
} from '@keyhouse/contracts';
import { requireScope, type SecretCipher } from '@keyhouse/platform/auth';
import { InvalidCursorError, keyset, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type EventContext } from '@keyhouse/platform/messaging';
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

/** A `running` run younger than this blocks a second run and a deletion (older: a crashed worker). */
export const STALE_RUN_MINUTES = 60;

/** Associated data binding a source's encrypted credentials to its row (SecretCipher AAD). */
export const credentialsAad = (sourceId: string) => `listings.mls_source:${sourceId}`;

/**
 * MLS sources of an organization (RESO Web API service roots with a bearer token stored
 * encrypted with AES-256-GCM under LISTINGS_ENCRYPTION_KEYS) and their sync runs. Administration
 * needs `listings:import` at org scope (403 otherwise). The token never leaves the service. NATS
 * responders of `listings.mls-sources.{create,update,delete,list,runs}`.
 */
@Injectable()
export class MlsSourcesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LISTINGS_SECRET_CIPHER) private readonly cipher: SecretCipher,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** → `listings.mls_source.created`. */
  @RpcHandler(S.sourceCreate)
  async create(envelope: RequestEnvelope<MlsSourceCreateRequest>): Promise<MlsSourceView> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const data = envelope.data;
    const id = newId();
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const [inserted] = (await unit.manager.query(
        `INSERT INTO mls_source (id, org_id, name, base_url, credentials_ciphertext, page_size, interval_minutes, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [
          id,
          actor.orgId,
          data.name.trim(),
          data.baseUrl.replace(/\/+$/, ''),
          this.cipher.encrypt(data.accessToken, credentialsAad(id)),
          data.pageSize ?? 200,
          data.intervalMinutes ?? 15,
          actor.userId ?? null,
        ],
      )) as MlsSourceRow[];
      await unit.emit(ListingsEvent.mlsSourceCreated, id, actor.orgId, { sourceId: id, name: inserted.name, enabled: inserted.enabled });
      return inserted;
    });
    return toSourceView(row);
  }

  /**
   * Changes name, service root, token, page size, interval or `enabled`. A new `baseUrl` clears
   * the high-water mark (another feed: its timestamps mean nothing against the old mark). A new
   * token is encrypted under the active key. → `listings.mls_source.updated` naming the changed
   * fields (`accessToken`, never its value) when something changed. 404 `MLS_SOURCE_NOT_FOUND`.
   */
  @RpcHandler(S.sourceUpdate)
  async update(envelope: RequestEnvelope<MlsSourceUpdateRequest>): Promise<MlsSourceView> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const data = envelope.data;
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const [before] = (await unit.manager.query(`SELECT * FROM mls_source WHERE org_id = $1 AND id = $2 FOR UPDATE`, [
        actor.orgId,
        data.id,
      ])) as MlsSourceRow[];
      if (!before) throw notFound();
      const next = {
        name: data.name !== undefined ? data.name.trim() : before.name,
        base_url: data.baseUrl !== undefined ? data.baseUrl.replace(/\/+$/, '') : before.base_url,
        page_size: data.pageSize ?? before.page_size,
        interval_minutes: data.intervalMinutes ?? before.interval_minutes,
        enabled: data.enabled ?? before.enabled,
      };
      const changes: string[] = (Object.keys(next) as Array<keyof typeof next>)
        .filter((key) => next[key] !== before[key])
        .map((key) => FIELD_NAMES[key]);
      if (data.accessToken !== undefined) changes.push('accessToken');
      if (changes.length === 0) return before;
      const ciphertext =
        data.accessToken !== undefined ? this.cipher.encrypt(data.accessToken, credentialsAad(before.id)) : before.credentials_ciphertext;
      const [updated] = (await unit.manager.query(
        `UPDATE mls_source SET name = $2, base_url = $3, page_size = $4, interval_minutes = $5, enabled = $6, credentials_ciphertext = $7,
           high_water_mark = CASE WHEN $3 <> base_url THEN NULL ELSE high_water_mark END, updated_at = now()
         WHERE id = $1 RETURNING *`,
        [before.id, next.name, next.base_url, next.page_size, next.interval_minutes, next.enabled, ciphertext],
      )) as [MlsSourceRow[], number];
      const after = updated[0];
      await unit.emit(ListingsEvent.mlsSourceUpdated, before.id, actor.orgId, {
        sourceId: before.id,
        name: after.name,
        enabled: after.enabled,
        changes,
      });
      return after;
    });
    return toSourceView(row);
  }

  /**
   * Deletes a source, its token and its run history (409 `MLS_SYNC_RUNNING` while a run is in
   * progress). Its listings stay, no longer tied to it (`mls_source_id` cleared): they are the
   * organization's data. 404 `MLS_SOURCE_NOT_FOUND`. → `listings.mls_source.deleted`.
   */
  @RpcHandler(S.sourceDelete)
  async remove(envelope: RequestEnvelope<{ id: string }>): Promise<void> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    await this.unitOfWork.run(envelope, async (unit) => {
      const { manager } = unit;
      const [row] = (await manager.query(`SELECT * FROM mls_source WHERE org_id = $1 AND id = $2 FOR UPDATE`, [
        actor.orgId,
        envelope.data.id,
      ])) as MlsSourceRow[];
      if (!row) throw notFound();
      const running = (await manager.query(
        `SELECT 1 FROM mls_sync_run WHERE source_id = $1 AND status = 'running' AND started_at > now() - make_interval(mins => $2)`,
        [row.id, STALE_RUN_MINUTES],
      )) as unknown[];
      if (running.length > 0)
        throw new DomainException(
          'conflict',
          ListingsErrorCode.MlsSyncRunning,
          'A sync of this source is running; delete it when the run ends',
        );
      await manager.query(`UPDATE property SET mls_source_id = NULL WHERE org_id = $1 AND mls_source_id = $2`, [actor.orgId, row.id]);
      await manager.query(`DELETE FROM mls_sync_run WHERE source_id = $1`, [row.id]);
      await manager.query(`DELETE FROM mls_source WHERE id = $1`, [row.id]);
      await unit.emit(ListingsEvent.mlsSourceDeleted, row.id, actor.orgId, { sourceId: row.id, name: row.name, enabled: row.enabled });
    });
  }

  /**
   * Key rotation: re-encrypts every source token not under the active key of
   * `LISTINGS_ENCRYPTION_KEYS` (the old key must still be in the ring). Each row is rewritten only
   * if its ciphertext did not change meanwhile; idempotent. → `listings.mls_source.updated` with
   * `changes: ['credentialsKey']` per source. Returns the number re-encrypted.
   */
  async reencryptCredentials(): Promise<number> {
    const rows = (await this.dataSource.query(
      `SELECT id, org_id, name, enabled, credentials_ciphertext FROM mls_source ORDER BY id`,
    )) as MlsSourceRow[];
    let rotated = 0;
    for (const row of rows.filter((r) => this.cipher.needsRotation(r.credentials_ciphertext))) {
      const ciphertext = this.cipher.encrypt(
        this.cipher.decrypt(row.credentials_ciphertext, credentialsAad(row.id)),
        credentialsAad(row.id),
      );
      const actor: Actor = { type: 'system', orgId: row.org_id, role: 'system', teamIds: [], permissions: [] };
      const context: EventContext = { actor, requestId: `mls-rekey-${row.id}` };
      const done = await this.unitOfWork.run(context, async (unit) => {
        const result = (await unit.manager.query(
          `UPDATE mls_source SET credentials_ciphertext = $3, updated_at = now() WHERE id = $1 AND credentials_ciphertext = $2`,
          [row.id, row.credentials_ciphertext, ciphertext],
        )) as [unknown[], number];
        if (result[1] === 0) return false;
        await unit.emit(ListingsEvent.mlsSourceUpdated, row.id, row.org_id, {
          sourceId: row.id,
          name: row.name,
          enabled: row.enabled,
          changes: ['credentialsKey'],
        });
        return true;
      });
      if (done) rotated += 1;
    }
    return rotated;
  }

  /** Sources of the organization, oldest first. */
  @RpcHandler(S.sourceList)
  async list(envelope: RequestEnvelope<PageQuery>): Promise<Page<MlsSourceView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 's.created_at',
        idColumn: 's.id',
        direction: 'ASC',
        cursor: envelope.data.cursor,
        limit: envelope.data.limit,
        firstParam: 2,
      }),
    );
    const rows = (await this.dataSource.query(`SELECT s.* FROM mls_source s WHERE s.org_id = $1 AND ${page.where} ${page.tail}`, [
      actor.orgId,
      ...page.params,
    ])) as MlsSourceRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toSourceView);
  }

  /** Sync runs of a source, newest first. 404 `MLS_SOURCE_NOT_FOUND`. */
  @RpcHandler(S.runList)
  async runs(envelope: RequestEnvelope<MlsRunListRequest>): Promise<Page<MlsSyncRunView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    await this.source(actor.orgId, envelope.data.sourceId);
    const page = pageOrThrow(() =>
      keyset({
        sortColumn: 'r.started_at',
        idColumn: 'r.id',
        direction: 'DESC',
        cursor: envelope.data.cursor,
        limit: envelope.data.limit,
        firstParam: 3,
      }),
    );
    const rows = (await this.dataSource.query(
      `SELECT r.* FROM mls_sync_run r WHERE r.org_id = $1 AND r.source_id = $2 AND ${page.where} ${page.tail}`,
      [actor.orgId, envelope.data.sourceId, ...page.params],
    )) as MlsRunRow[];
    return toPage(rows, page.limit, (row) => ({ v: row.started_at, id: row.id }), toRunView);
  }

  async source(orgId: string, id: string): Promise<MlsSourceRow> {
    const [row] = (await this.dataSource.query(`SELECT * FROM mls_source WHERE org_id = $1 AND id = $2`, [orgId, id])) as MlsSourceRow[];
    if (!row) throw notFound();
    return row;
  }

  accessToken(row: MlsSourceRow): string {
    return this.cipher.decrypt(row.credentials_ciphertext, credentialsAad(row.id));
  }
}

const notFound = () => DomainException.notFound(ListingsErrorCode.MlsSourceNotFound, 'MLS source');

const FIELD_NAMES = {
  name: 'name',
  base_url: 'baseUrl',
  page_size: 'pageSize',
  interval_minutes: 'intervalMinutes',
  enabled: 'enabled',
} as const;

function pageOrThrow<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new DomainException('validation', ListingsErrorCode.InvalidCursor, error.message, [
        { field: 'cursor', message: 'is not a cursor of this list' },
      ]);
    }
    throw error;
  }
}
