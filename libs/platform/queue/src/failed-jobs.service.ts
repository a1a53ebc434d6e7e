import { Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import type { Page, PageQuery } from '@keyhouse/contracts';
import { pageLimit } from '@keyhouse/util';
import { decodeFailedJobsCursor, encodeFailedJobsCursor, type FailedJobsCursor } from './failed-jobs-cursor.util';
import { redactJobData } from './job-data-redaction.util';
import { QueueRegistry } from './queue-registry.service';
import { QueueErrorCode, QueueException } from './queue.exception';

/** One failed job as an admin sees it. */
export interface FailedJobView {
  id: string;
  /** Queue name, `<service>.<purpose>`. */
  queue: string;
  /** Job name given to `queue.add` (`__default__` when none). */
  name: string;
  /** Error message of the last attempt. */
  failedReason: string | null;
  /** Attempts run so far (equals the `attempts` option once retries are exhausted). */
  attemptsMade: number;
  /** When the last attempt failed, ISO 8601 UTC. */
  failedAt: string;
  /** When the job was added, ISO 8601 UTC. */
  createdAt: string;
  /** Job data with secret-looking fields replaced by `"[redacted]"` (see `redactJobData`). */
  data: unknown;
}

interface FailedEntry {
  jobId: string;
  failedAtMs: number;
}

/**
 * The failed-jobs view behind the admin endpoint (ARCHITECTURE.md: "poison jobs land in a failed
 * set that an admin endpoint lists"), over the queues registered in this process. Failed jobs
 * are kept 7 days / 5 000 per queue (`defaultJobOptions`).
 *
 * Errors (`QueueException`): `QUEUE_UNKNOWN` (not_found) for a queue not registered here,
 * `QUEUE_JOB_NOT_FOUND` (not_found), `QUEUE_JOB_NOT_FAILED` (conflict) when the job is not in
 * the failed set (or is locked by a worker), `QUEUE_CURSOR_INVALID` (validation).
 */
@Injectable()
export class FailedJobsService {
  constructor(private readonly registry: QueueRegistry) {}

  /** Names of the queues this service can show. */
  queues(): string[] {
    return this.registry.names();
  }

  /**
   * Failed jobs of `queueName`, newest failure first. `limit` is clamped to 1..100 (default 25);
   * `cursor` is the previous page's `nextCursor` (opaque base64url). `nextCursor` is null on the
   * last page. Paging is keyset on (failure time, job id), so retrying or removing jobs between
   * pages skips and repeats nothing. A job removed by retention between the two reads of a page
   * is left out, so a page may hold fewer than `limit` items while `nextCursor` is not null.
   */
  async list(queueName: string, query: PageQuery = {}): Promise<Page<FailedJobView>> {
    const queue = this.registry.get(queueName);
    const limit = pageLimit(query.limit);
    let after: FailedJobsCursor | undefined;
    if (query.cursor !== undefined) {
      const decoded = decodeFailedJobsCursor(query.cursor);
      if (!decoded) throw new QueueException('validation', QueueErrorCode.CursorInvalid, 'The cursor is not valid for this list');
      after = decoded;
    }
    const entries = await readFailedEntries(queue, limit + 1, after);
    const hasMore = entries.length > limit;
    const pageEntries = hasMore ? entries.slice(0, limit) : entries;
    const jobs = await Promise.all(pageEntries.map((entry) => queue.getJob(entry.jobId)));
    const items: FailedJobView[] = [];
    pageEntries.forEach((entry, index) => {
      const job = jobs[index];
      if (job) items.push(toView(queue.name, job, entry.failedAtMs));
    });
    const last = pageEntries[pageEntries.length - 1];
    return {
      items,
      nextCursor: hasMore && last ? encodeFailedJobsCursor({ failedAtMs: last.failedAtMs, jobId: last.jobId }) : null,
    };
  }

  /**
   * Moves a failed job back to the wait list for one more run. Bull keeps `attemptsMade`, so a
   * job whose attempts were exhausted gets exactly one attempt (no further automatic retries).
   */
  async retry(queueName: string, jobId: string): Promise<void> {
    const job = await this.failedJob(queueName, jobId);
    try {
      await job.retry();
    } catch (error) {
      throw notFailed(queueName, jobId, error);
    }
  }

  /** Deletes a failed job (its data and logs) for good. */
  async remove(queueName: string, jobId: string): Promise<void> {
    const job = await this.failedJob(queueName, jobId);
    try {
      await job.remove();
    } catch (error) {
      throw notFailed(queueName, jobId, error);
    }
  }

  private async failedJob(queueName: string, jobId: string): Promise<Job> {
    const queue = this.registry.get(queueName);
    const job = jobId ? await queue.getJob(jobId) : null;
    if (!job) {
      throw new QueueException('not_found', QueueErrorCode.JobNotFound, `Job "${jobId}" not found in queue "${queueName}"`, {
        queue: queueName,
        jobId,
      });
    }
    if (!(await job.isFailed())) throw notFailed(queueName, jobId);
    return job;
  }
}

function notFailed(queue: string, jobId: string, cause?: unknown): QueueException {
  const reason = cause instanceof Error ? ` (${cause.message})` : '';
  return new QueueException('conflict', QueueErrorCode.JobNotFailed, `Job "${jobId}" in queue "${queue}" is not failed${reason}`, {
    queue,
    jobId,
  });
}

/**
 * Up to `count` entries of the failed sorted set (score = failure time in ms), newest first,
 * strictly after `after` in that order. Equal scores are ordered by member in reverse byte
 * order, as `ZREVRANGEBYSCORE` returns them.
 */
async function readFailedEntries(queue: Queue, count: number, after?: FailedJobsCursor): Promise<FailedEntry[]> {
  const key = queue.toKey('failed');
  if (!after) return toEntries(await queue.client.zrevrangebyscore(key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, count));
  const sameScore = toEntries(await queue.client.zrevrangebyscore(key, after.failedAtMs, after.failedAtMs, 'WITHSCORES')).filter(
    (entry) => Buffer.compare(Buffer.from(entry.jobId), Buffer.from(after.jobId)) < 0,
  );
  const older = toEntries(await queue.client.zrevrangebyscore(key, `(${after.failedAtMs}`, '-inf', 'WITHSCORES', 'LIMIT', 0, count));
  return [...sameScore, ...older].slice(0, count);
}

function toEntries(reply: string[]): FailedEntry[] {
  const entries: FailedEntry[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) entries.push({ jobId: reply[i], failedAtMs: Number(reply[i + 1]) });
  return entries;
}

function toView(queue: string, job: Job, failedAtMs: number): FailedJobView {
  return {
    id: String(job.id),
    queue,
    name: job.name,
    failedReason: job.failedReason ?? null,
    attemptsMade: job.attemptsMade,
    failedAt: new Date(job.finishedOn ?? failedAtMs).toISOString(),
    createdAt: new Date(job.timestamp).toISOString(),
    data: redactJobData(job.data),
  };
}
