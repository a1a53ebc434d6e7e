import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ListingsEvent, ListingsMlsSubjects as S, type Actor, type MlsSyncRunView, type RequestEnvelope } from '@keyhouse/contracts';
import { requireScope } from '@keyhouse/platform/auth';
import { DomainException, RpcHandler, UnitOfWork, type EventContext } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Job, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { LISTINGS_CONFIG, type ListingsConfig } from '../../config/listings.config';
import { MlsIngestService } from './mls-ingest.service';
import { ListingsErrorCode } from '../../listings.exception';
import { MlsSourcesService, STALE_RUN_MINUTES, toRunView, type MlsRunRow, type MlsSourceRow } from './mls-sources.service';

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
 * the last page it committed. Each run is recorded (`mls_sync_run`: pages, counts, errors,
 * duration) and announced with `listings.mls_sync.completed`. Jobs are idempotent (upserts by
 * ListingKey); one run per source at a time. Every write goes through `UnitOfWork`.
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
    const due = (await this.dataSource.query(
      `SELECT s.id, s.org_id FROM mls_source s
       WHERE s.enabled AND NOT EXISTS (
         SELECT 1 FROM mls_sync_run r WHERE r.source_id = s.id AND r.started_at > now() - make_interval(mins => s.interval_minutes))`,
    )) as Array<{ id: string; org_id: string }>;
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
      const [row] = (await manager.query(`SELECT * FROM mls_source WHERE org_id = $1 AND id = $2 FOR UPDATE`, [
        orgId,
        sourceId,
      ])) as MlsSourceRow[];
      if (!row || !row.enabled) return null;
      const running = (await manager.query(
        `SELECT 1 FROM mls_sync_run WHERE source_id = $1 AND status = 'running' AND started_at > now() - make_interval(mins => $2)`,
        [sourceId, STALE_RUN_MINUTES],
      )) as unknown[];
      if (running.length > 0) return null;
      await manager.query(`INSERT INTO mls_sync_run (id, org_id, source_id, status) VALUES ($1, $2, $3, 'running')`, [
        runId,
        orgId,
        sourceId,
      ]);
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
        const body = await this.fetchPage(url, token);
        const records = body.value as unknown[];
        const result = await this.unitOfWork.run(context, async (unit) => {
          const applied = await this.ingest.apply(unit, orgId, records, sourceId);
          if (applied.maxModificationTimestamp) {
            await unit.manager.query(
              `UPDATE mls_source SET high_water_mark = greatest(high_water_mark, $2::timestamptz), updated_at = now() WHERE id = $1`,
              [sourceId, applied.maxModificationTimestamp],
            );
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
        url = typeof next === 'string' && next ? new URL(next, url).toString() : null;
        if (url && new URL(url).origin !== origin) throw new Error(`@odata.nextLink leaves the source's origin (${new URL(url).origin})`);
      }
    } catch (error) {
      status = 'failed';
      errors.push({ listingKey: null, reasons: [(error as Error).message] });
      this.logger.warn({ sourceId, err: (error as Error).message }, 'MLS pull failed');
    }
    const run = await this.unitOfWork.run(context, async (unit) => {
      const rows = (await unit.manager.query(
        `UPDATE mls_sync_run SET status = $2, pages = $3, fetched = $4, created = $5, updated = $6, unchanged = $7, removed = $8, failed = $9,
           errors = $10::jsonb, finished_at = now(), duration_ms = $11 WHERE id = $1 RETURNING *`,
        [
          runId,
          status,
          totals.pages,
          totals.fetched,
          totals.created,
          totals.updated,
          totals.unchanged,
          totals.removed,
          totals.failed,
          JSON.stringify(errors),
          Date.now() - started,
        ],
      )) as [MlsRunRow[], number];
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
      return rows[0][0];
    });
    return toRunView(run);
  }

  private async fetchPage(url: string, token: string): Promise<Record<string, unknown>> {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(this.config.LISTINGS_MLS_HTTP_TIMEOUT_MS),
      redirect: 'error',
    });
    if (!response.ok) throw new Error(`MLS answered ${response.status} for ${new URL(url).pathname}`);
    const body = (await response.json()) as Record<string, unknown>;
    if (!Array.isArray(body.value)) throw new Error('MLS page has no "value" array');
    return body;
  }
}
