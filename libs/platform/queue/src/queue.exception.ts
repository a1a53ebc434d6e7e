import type { ErrorKind } from '@keyhouse/contracts';
import { DomainException } from '@keyhouse/platform/messaging';

/** Stable codes of the queue platform library; tests and clients assert these, not messages. */
export enum QueueErrorCode {
  /** The queue name is not registered in this process (`QueueModule.registerQueues`). */
  QueueUnknown = 'QUEUE_UNKNOWN',
  /** No job with this id in the queue (never existed, or removed by retention). */
  JobNotFound = 'QUEUE_JOB_NOT_FOUND',
  /** The job exists but is not in the failed set (already retried, running, done). */
  JobNotFailed = 'QUEUE_JOB_NOT_FAILED',
  /** A cursor that this library did not make. */
  CursorInvalid = 'QUEUE_CURSOR_INVALID',
  /** A queue name that is not `<service>.<purpose>`. */
  QueueNameInvalid = 'QUEUE_NAME_INVALID',
  /** `QueueModuleOptions` that cannot work (bad URL, prefix, ratio). */
  OptionsInvalid = 'QUEUE_OPTIONS_INVALID',
  /** REL-18: Redis `maxmemory-policy` is not `noeviction`. */
  EvictionPolicy = 'QUEUE_REDIS_EVICTION_POLICY',
  /** Redis did not answer a start-up check. */
  RedisUnavailable = 'QUEUE_REDIS_UNAVAILABLE',
}

/**
 * A `DomainException` with a `QueueErrorCode`, so that an RPC handler exposing the failed-jobs
 * view answers 404/409/400 through the gateway instead of 500.
 */
export class QueueException extends DomainException {
  constructor(kind: ErrorKind, code: QueueErrorCode, message: string, details?: Record<string, unknown>) {
    super(kind, code, message, undefined, details);
    this.name = 'QueueException';
  }
}
