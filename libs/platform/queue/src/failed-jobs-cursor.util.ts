import { decodeCursor, encodeCursor } from '@keyhouse/util';

/**
 * Position in a queue's failed set (a sorted set scored by the failure time): the score and the
 * job id of the last job of a page. Keyset, not offset: retrying or removing jobs while paging
 * neither skips nor repeats the jobs that follow.
 */
export interface FailedJobsCursor {
  /** Failure time of the last listed job, epoch milliseconds (the sorted-set score). */
  failedAtMs: number;
  /** Id of the last listed job: the tie-breaker between jobs failed in the same millisecond. */
  jobId: string;
}

/** Opaque base64url cursor for `FailedJobsService.list`. */
export function encodeFailedJobsCursor(position: FailedJobsCursor): string {
  return encodeCursor({ v: position.failedAtMs, id: position.jobId });
}

/** Decodes a cursor made by `encodeFailedJobsCursor`; null for anything else. */
export function decodeFailedJobsCursor(cursor: string): FailedJobsCursor | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const position = decodeCursor(cursor);
  if (!position || typeof position.v !== 'number' || !Number.isFinite(position.v) || position.id === '') return null;
  return { failedAtMs: position.v, jobId: position.id };
}
