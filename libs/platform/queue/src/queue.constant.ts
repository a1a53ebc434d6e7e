/** Injection token of the resolved `QueueModuleOptions` (`ResolvedQueueOptions`). */
export const QUEUE_OPTIONS = Symbol('QUEUE_OPTIONS');

/**
 * Injection token of the platform's own ioredis client (not one of Bull's): used for the REL-18
 * policy check and the memory health check. Fails commands fast (`maxRetriesPerRequest: 1`) so
 * that a probe never hangs while Redis is away. Closed on application shutdown.
 */
export const QUEUE_REDIS = Symbol('QUEUE_REDIS');

/** Used/max memory ratio from which the Redis health check reports `down`. */
export const MAX_MEMORY_RATIO_DEFAULT = 0.9;

/** The only `maxmemory-policy` under which Bull's keys cannot be evicted (REL-18). */
export const REQUIRED_EVICTION_POLICY = 'noeviction';

/** Value written in place of a secret-looking field of job data in the failed-jobs view. */
export const REDACTED = '[redacted]';
