import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { ListingsEvent, ListingsMlsSubjects as S, type Actor, type MlsSyncRunView, type RequestEnvelope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type EventContext } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Job, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { LISTINGS_CONFIG, type ListingsConfig } from '../../config/listings.config';
import type { ListingsDb } from '../../database/listings.db';
import { MlsFetchError, MlsHttpService, parseMlsUrl } from './mls-http.service';
import { MlsIngestService } from './mls-ingest.service';
import { ListingsErrorCode } from '../../listings.exception';
import { toRunView } from './mls-source.row';
import { MlsSourcesService, runningRuns } from './mls-sources.service';

export const LISTINGS_MLS_QUEUE = 'listings.mls-sync';
/** Pages followed in one run at most (a run resumes from its high-water mark next time). */
export const MLS_MAX_PAGES_PER_RUN = 500;
/** Errors kept on a run record. */
const MAX_RUN_ERRORS = 100;

export interface MlsPullJob {
  sourceId: string;
  orgId: string;
}

/** The first page of a pull: records changed after the high-water mark, oldest first. */
export function firstPageUrl(baseUrl: string, highWaterMark: Date | null, pageSize: number): string {
  const query = [
    ...(highWaterMark ? [`$filter=${encodeURIComponent(`ModificationTimestamp gt ${highWaterMark.toISOString()}`)}`] : []),
    `$orderby=${encodeURIComponent('ModificationTimestamp asc')}`,
    `$top=${pageSize}`,
  ];
  return `${baseUrl}/Property?${query.join('&')}`;
}

/**
 * MLS sync (RESO Web API, OData): a repeatable `tick` job finds enabled sources whose interval
 * has passed and queues a `pull` for each; a pull asks `Property?$filter=ModificationTimestamp gt
 * <high-water mark>&$orderby=ModificationTimestamp asc&$top=<page size>`, follows
 * `@odata.nextLink` (same origin only, so the bearer token never goes elsewhere), and applies each
 * page in its own transaction together with the new high-water mark, so a failed run resumes after
 * the last page it committed. Every request goes through `MlsHttpService` (https to public
 * addresses, checked on each request and redirect); a failed run keeps only `MlsFetchError` words,
 * never a connection error or what the server sent. Each run is recorded (`mls_sync_run`: pages,
 * counts, errors, duration) and announced with `listings.mls_sync.completed`. Jobs are idempotent
 * (upserts by ListingKey); one run per source at a time. Every write goes through `UnitOfWork`.
 */
@Processor(LISTINGS_MLS_QUEUE)
export class MlsSyncJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(MlsSyncJob.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(LISTINGS_MLS_QUEUE) private readonly queue: Queue,
    @Inject(LISTINGS_CONFIG) private readonly config: ListingsConfig,
    private readonly sources: MlsSourcesService,
    private readonly ingest: MlsIngestService,
    private readonly unitOfWork: UnitOfWork,
    private readonly http: MlsHttpService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.add(
      'tick',
      {},
      { repeat: { every: this.config.LISTINGS_MLS_TICK_MS }, jobId: 'listings-mls-tick', removeOnComplete: true },
    );
    // Key rotation: once at start (a new active key arrives with a deployment) and then daily.
    await this.queue.add(
      'rekey',
      {},
      {
        jobId: `listings-mls-rekey-${this.config.LISTINGS_ENCRYPTION_KEYS.activeKeyId}`,
        removeOnComplete: true,
        attempts: 3,
        backoff: { type: 'exponential', delay: 10_000 },
      },
    );
    await this.queue.add(
      'rekey',
      {},
      { repeat: { every: this.config.LISTINGS_REKEY_EVERY_MS }, jobId: 'listings-mls-rekey', removeOnComplete: true },
    );
  }

  /** Re-encrypts MLS tokens still under an older key of LISTINGS_ENCRYPTION_KEYS (see `MlsSourcesService.reencryptCredentials`). */
  @Process('rekey')
  async rekey(): Promise<number> {
    const rotated = await this.sources.reencryptCredentials();
    if (rotated > 0) this.logger.log({ rotated }, 'MLS source tokens re-encrypted under the active key');
    return rotated;
  }

  @Process('tick')
  async tick(): Promise<number> {
    const due = await kyselyFor<ListingsDb>(this.dataSource)
      .selectFrom('mls_source as s')
      .select(['s.id', 's.org_id'])
      .where((eb) =>
        eb.and([
          eb.ref('s.enabled'),
          eb.not(
            eb.exists(
              eb
                .selectFrom('mls_sync_run as r')
                .select(sql<number>`1`.as('one'))
                .whereRef('r.source_id', '=', 's.id')
                .where('r.started_at', '>', sql<Date>`now() - make_interval(mins => s.interval_minutes)`),
            ),
          ),
        ]),
      )
      .execute();
    for (const source of due) {
      await this.queue.add('pull', { sourceId: source.id, orgId: source.org_id } satisfies MlsPullJob, {
        attempts: 3,
        backoff: { type: 'exponential', delay: 10_000 },
        removeOnComplete: 100,
      });
    }
    return due.length;
  }

  @Process('pull')
  async pullJob(job: Job<MlsPullJob>): Promise<MlsSyncRunView | null> {
    return this.pull(job.data.orgId, job.data.sourceId);
  }

  /**
   * `listings.mls-sources.sync`: queues a pull now and answers its run record when it ends.
   * Needs `listings:import` at org scope. @throws 404 `MLS_SOURCE_NOT_FOUND`; 409 `MLS_SOURCE_DISABLED`, `MLS_SYNC_RUNNING`.
   */
  @RpcHandler(S.sourceSync)
  async syncNow(envelope: RequestEnvelope<{ id: string }>): Promise<MlsSyncRunView> {
    const actor = envelope.actor!;
    requireScope(actor, 'listings:import', 'org');
    const source = await this.sources.source(actor.orgId, envelope.data.id);
    if (!source.enabled)
      throw new DomainException('conflict', ListingsErrorCode.MlsSourceDisabled, 'The MLS source is disabled; enable it to pull');
    const job = await this.queue.add('pull', { sourceId: envelope.data.id, orgId: actor.orgId } satisfies MlsPullJob, {
      removeOnComplete: 100,
    });
    const run = (await job.finished()) as MlsSyncRunView | null;
    if (!run)
      throw new DomainException(
        'conflict',
        ListingsErrorCode.MlsSyncRunning,
        'A sync of this source is already running or it was disabled meanwhile',
      );
    return run;
  }

  /** One pull of one source; null when another run of it is in progress. */
  async pull(orgId: string, sourceId: string): Promise<MlsSyncRunView | null> {
    const started = Date.now();
    const runId = newId();
    const actor: Actor = { type: 'system', orgId, role: 'system', teamIds: [], permissions: [] };
    const context: EventContext = { actor, requestId: `mls-sync-${runId}` };
    const source = await this.unitOfWork.run(context, async ({ manager }) => {
      const db = kyselyFor<ListingsDb>(manager);
      const row = await db
        .selectFrom('mls_source')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('id', '=', sourceId)
        .forUpdate()
        .executeTakeFirst();
      if (!row || !row.enabled) return null;
      const running = await runningRuns(db, sourceId);
      if (running.length > 0) return null;
      await db.insertInto('mls_sync_run').values({ id: runId, org_id: orgId, source_id: sourceId, status: 'running' }).execute();
      return row;
    });
    if (!source) return null;
    const totals = { pages: 0, fetched: 0, created: 0, updated: 0, unchanged: 0, removed: 0, failed: 0 };
    const errors: MlsSyncRunView['errors'] = [];
    let status: MlsSyncRunView['status'] = 'succeeded';
    try {
      const token = this.sources.accessToken(source);
      const origin = new URL(source.base_url).origin;
      let url: string | null = firstPageUrl(source.base_url, source.high_water_mark, source.page_size);
      while (url && totals.pages < MLS_MAX_PAGES_PER_RUN) {
        const body = await this.fetchPage(url, token, origin);
        const records = body.value as unknown[];
        const result = await this.unitOfWork.run(context, async (unit) => {
          const applied = await this.ingest.apply(unit, orgId, records, sourceId);
          if (applied.maxModificationTimestamp) {
            await kyselyFor<ListingsDb>(unit.manager)
              .updateTable('mls_source')
              .set({
                high_water_mark: sql<Date>`greatest(high_water_mark, ${applied.maxModificationTimestamp}::timestamptz)`,
                updated_at: sql<Date>`now()`,
              })
              .where('id', '=', sourceId)
              .execute();
          }
          return applied;
        });
        totals.pages += 1;
        totals.fetched += records.length;
        totals.created += result.created;
        totals.updated += result.updated;
        totals.unchanged += result.unchanged;
        totals.removed += result.removed;
        totals.failed += result.failed.length;
        for (const failure of result.failed)
          if (errors.length < MAX_RUN_ERRORS) errors.push({ listingKey: failure.listingKey, reasons: failure.reasons });
        const next = body['@odata.nextLink'];
        url = typeof next === 'string' && next ? parseMlsUrl(next, url).toString() : null;
        if (url && new URL(url).origin !== origin) throw new MlsFetchError("@odata.nextLink leaves the source's origin");
      }
    } catch (error) {
      status = 'failed';
      // Only our own words reach the run record: a connection error names addresses and ports,
      // a parser error quotes the reply.
      const reason = error instanceof MlsFetchError ? error.message : 'The pull failed; the listings service log has the cause';
      errors.push({ listingKey: null, reasons: [reason] });
      this.logger.warn({ sourceId, err: (error as Error).message }, 'MLS pull failed');
    }
    const run = await this.unitOfWork.run(context, async (unit) => {
      const row = await kyselyFor<ListingsDb>(unit.manager)
        .updateTable('mls_sync_run')
        .set({
          status,
          pages: totals.pages,
          fetched: totals.fetched,
          created: totals.created,
          updated: totals.updated,
          unchanged: totals.unchanged,
          removed: totals.removed,
          failed: totals.failed,
          errors: JSON.stringify(errors),
          finished_at: sql<Date>`now()`,
          duration_ms: Date.now() - started,
        })
        .where('id', '=', runId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await unit.emit(ListingsEvent.mlsSyncCompleted, sourceId, orgId, {
        sourceId,
        runId,
        status,
        fetched: totals.fetched,
        created: totals.created,
        updated: totals.updated,
        removed: totals.removed,
        failed: totals.failed,
      });
      return row;
    });
    return toRunView(run);
  }

  /** One page of the source at `origin` (token sent there only). @throws MlsFetchError */
  private async fetchPage(url: string, token: string, origin: string): Promise<Record<string, unknown>> {
    const body = (await this.http.getJson(url, token, origin)) as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || !Array.isArray(body.value)) throw new MlsFetchError('MLS page has no "value" array');
    return body;
  }
}
