import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Kysely } from 'kysely';
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
import { keysetPage, kyselyFor, toPage } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type EventContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { ListingsDb } from '../../database/listings.db';
import { ListingsErrorCode } from '../../listings.exception';
import { MlsHttpService } from './mls-http.service';
import { toRunView, toSourceView, type MlsSourceRow } from './mls-source.row';

export const LISTINGS_SECRET_CIPHER = Symbol('LISTINGS_SECRET_CIPHER');

/** A `running` run younger than this blocks a second run and a deletion (older: a crashed worker). */
export const STALE_RUN_MINUTES = 60;

/** Associated data binding a source's encrypted credentials to its row (SecretCipher AAD). */
export const credentialsAad = (sourceId: string) => `listings.mls_source:${sourceId}`;

/**
 * MLS sources of an organization (RESO Web API service roots with a bearer token stored
 * encrypted with AES-256-GCM under LISTINGS_ENCRYPTION_KEYS) and their sync runs. Administration
 * needs `listings:import` at org scope (403 otherwise). A service root must be https to a host
 * whose every address is public (`MlsHttpService.assertAllowedSourceUrl`, 400
 * `MLS_SOURCE_URL_NOT_ALLOWED`). The token never leaves the service. NATS
 * responders of `listings.mls-sources.{create,update,delete,list,runs}`.
 */
@Injectable()
export class MlsSourcesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LISTINGS_SECRET_CIPHER) private readonly cipher: SecretCipher,
    private readonly unitOfWork: UnitOfWork,
    private readonly http: MlsHttpService,
  ) {}

  /** → `listings.mls_source.created`. @throws 400 `MLS_SOURCE_URL_NOT_ALLOWED` (see `MlsHttpService.assertAllowedSourceUrl`). */
  @RpcHandler(S.sourceCreate)
  async create(envelope: RequestEnvelope<MlsSourceCreateRequest>): Promise<MlsSourceView> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const data = envelope.data;
    const baseUrl = data.baseUrl.replace(/\/+$/, '');
    await this.http.assertAllowedSourceUrl(baseUrl);
    const id = newId();
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const inserted = await kyselyFor<ListingsDb>(unit.manager)
        .insertInto('mls_source')
        .values({
          id,
          org_id: actor.orgId,
          name: data.name.trim(),
          base_url: baseUrl,
          credentials_ciphertext: this.cipher.encrypt(data.accessToken, credentialsAad(id)),
          page_size: data.pageSize ?? 200,
          interval_minutes: data.intervalMinutes ?? 15,
          created_by: actor.userId ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await unit.emit(ListingsEvent.mlsSourceCreated, id, actor.orgId, { sourceId: id, name: inserted.name, enabled: inserted.enabled });
      return inserted;
    });
    return toSourceView(row);
  }

  /**
   * Changes name, service root, token, page size, interval or `enabled`. A new `baseUrl` clears
   * the high-water mark (another feed: its timestamps mean nothing against the old mark). A new
   * token is encrypted under the active key. → `listings.mls_source.updated` naming the changed
   * fields (`accessToken`, never its value) when something changed. 404 `MLS_SOURCE_NOT_FOUND`;
   * 400 `MLS_SOURCE_URL_NOT_ALLOWED` for a `baseUrl` that is not https to public addresses.
   */
  @RpcHandler(S.sourceUpdate)
  async update(envelope: RequestEnvelope<MlsSourceUpdateRequest>): Promise<MlsSourceView> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const data = envelope.data;
    const baseUrl = data.baseUrl !== undefined ? data.baseUrl.replace(/\/+$/, '') : undefined;
    if (baseUrl !== undefined) await this.http.assertAllowedSourceUrl(baseUrl);
    const row = await this.unitOfWork.run(envelope, async (unit) => {
      const db = kyselyFor<ListingsDb>(unit.manager);
      const before = await db
        .selectFrom('mls_source')
        .selectAll()
        .where('org_id', '=', actor.orgId)
        .where('id', '=', data.id)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw notFound();
      const next = {
        name: data.name !== undefined ? data.name.trim() : before.name,
        base_url: baseUrl ?? before.base_url,
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
      const after = await db
        .updateTable('mls_source')
        .set((eb) => ({
          name: next.name,
          base_url: next.base_url,
          page_size: next.page_size,
          interval_minutes: next.interval_minutes,
          enabled: next.enabled,
          credentials_ciphertext: ciphertext,
          // Another feed: its timestamps mean nothing against the old mark.
          high_water_mark: eb.case().when(eb.val(next.base_url), '<>', eb.ref('base_url')).then(null).else(eb.ref('high_water_mark')).end(),
          updated_at: sql<Date>`now()`,
        }))
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
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
      const db = kyselyFor<ListingsDb>(manager);
      const row = await db
        .selectFrom('mls_source')
        .selectAll()
        .where('org_id', '=', actor.orgId)
        .where('id', '=', envelope.data.id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw notFound();
      const running = await runningRuns(db, row.id);
      if (running.length > 0)
        throw new DomainException(
          'conflict',
          ListingsErrorCode.MlsSyncRunning,
          'A sync of this source is running; delete it when the run ends',
        );
      await db
        .updateTable('property')
        .set({ mls_source_id: null })
        .where('org_id', '=', actor.orgId)
        .where('mls_source_id', '=', row.id)
        .execute();
      await db.deleteFrom('mls_sync_run').where('source_id', '=', row.id).execute();
      await db.deleteFrom('mls_source').where('id', '=', row.id).execute();
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
    const rows = await kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('mls_source')
      .select(['id', 'org_id', 'name', 'enabled', 'credentials_ciphertext'])
      .orderBy('id')
      .execute();
    let rotated = 0;
    for (const row of rows.filter((r) => this.cipher.needsRotation(r.credentials_ciphertext))) {
      const ciphertext = this.cipher.encrypt(
        this.cipher.decrypt(row.credentials_ciphertext, credentialsAad(row.id)),
        credentialsAad(row.id),
      );
      const actor: Actor = { type: 'system', orgId: row.org_id, role: 'system', teamIds: [], permissions: [] };
      const context: EventContext = { actor, requestId: `mls-rekey-${row.id}` };
      const done = await this.unitOfWork.run(context, async (unit) => {
        const result = await kyselyFor<ListingsDb>(unit.manager)
          .updateTable('mls_source')
          .set({ credentials_ciphertext: ciphertext, updated_at: sql<Date>`now()` })
          .where('id', '=', row.id)
          .where('credentials_ciphertext', '=', row.credentials_ciphertext)
          .executeTakeFirst();
        if (result.numUpdatedRows === 0n) return false;
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
    const page = keysetPage(
      kyselyFor<ListingsDb>(this.dataSource).selectFrom('mls_source as s').selectAll('s').where('s.org_id', '=', actor.orgId),
      { sort: sql.ref('s.created_at'), id: sql.ref('s.id'), direction: 'asc' },
      envelope.data,
    );
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.created_at, id: row.id }), toSourceView);
  }

  /** Sync runs of a source, newest first. 404 `MLS_SOURCE_NOT_FOUND`. */
  @RpcHandler(S.runList)
  async runs(envelope: RequestEnvelope<MlsRunListRequest>): Promise<Page<MlsSyncRunView>> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    await this.source(actor.orgId, envelope.data.sourceId);
    const page = keysetPage(
      kyselyFor<ListingsDb>(this.dataSource)
        .selectFrom('mls_sync_run as r')
        .selectAll('r')
        .where('r.org_id', '=', actor.orgId)
        .where('r.source_id', '=', envelope.data.sourceId),
      { sort: sql.ref('r.started_at'), id: sql.ref('r.id'), direction: 'desc' },
      envelope.data,
    );
    const rows = await page.query.execute();
    return toPage(rows, page.limit, (row) => ({ v: row.started_at, id: row.id }), toRunView);
  }

  /** A source of the organization. @throws DomainException 404 `MLS_SOURCE_NOT_FOUND`. */
  async source(orgId: string, id: string): Promise<MlsSourceRow> {
    const row = await kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('mls_source')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  /** The source's bearer token, decrypted. */
  accessToken(row: Pick<MlsSourceRow, 'id' | 'credentials_ciphertext'>): string {
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

/**
 * Runs of a source still in progress: `running` and younger than `STALE_RUN_MINUTES` (an older
 * one is a crashed worker's). Rows of `SELECT 1`: empty when none.
 */
export async function runningRuns(db: Kysely<ListingsDb>, sourceId: string): Promise<unknown[]> {
  return db
    .selectFrom('mls_sync_run')
    .select(sql<number>`1`.as('one'))
    .where('source_id', '=', sourceId)
    .where('status', '=', 'running')
    .where('started_at', '>', sql<Date>`now() - make_interval(mins => ${STALE_RUN_MINUTES})`)
    .execute();
}
