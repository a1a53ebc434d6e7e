import type Redis from 'ioredis';

interface WindowEntry {
  window: number;
  /** Count across all replicas as of the last flush (includes this replica's flushed hits). */
  global: number;
  /** Hits counted here since the last flush. */
  pending: number;
}

export type CounterDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterMs: number };

/**
 * Fixed-window request counter shared through Redis without a round trip per request: each
 * replica counts locally and, every `flushIntervalMs`, adds its hits to the window's Redis key
 * (`INCRBY`, one pipeline for all keys) and learns the global total back. A replica may therefore
 * admit up to (replicas × rate × flush interval) requests more than the limit before it sees the
 * others' hits — fine for the generous per-user limit, which is why strict limits (login, public
 * forms) stay on exact per-request Redis counting. While Redis is unreachable, counting continues
 * per replica.
 */
export class BatchedWindowCounter {
  private readonly entries = new Map<string, WindowEntry>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly points: number,
    private readonly windowMs = 60_000,
    private readonly flushIntervalMs = 200,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  consume(key: string, now = Date.now()): CounterDecision {
    const window = Math.floor(now / this.windowMs);
    let entry = this.entries.get(key);
    if (!entry || entry.window !== window) {
      entry = { window, global: 0, pending: 0 };
      this.entries.set(key, entry);
    }
    const used = entry.global + entry.pending;
    if (used >= this.points) return { allowed: false, retryAfterMs: (window + 1) * this.windowMs - now };
    entry.pending += 1;
    return { allowed: true, remaining: this.points - used - 1 };
  }

  /** Pushes pending hits to Redis and refreshes the global counts; drops finished windows. */
  flush(now = Date.now()): Promise<void> {
    this.flushing ??= this.doFlush(now).finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async doFlush(now: number): Promise<void> {
    const current = Math.floor(now / this.windowMs);
    const batch: Array<[string, WindowEntry, number]> = [];
    for (const [key, entry] of this.entries) {
      if (entry.window < current) {
        this.entries.delete(key);
        continue;
      }
      if (entry.pending > 0) batch.push([key, entry, entry.pending]);
    }
    if (batch.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [key, entry, hits] of batch) {
      const redisKey = `${this.keyPrefix}${key}:${entry.window}`;
      pipeline.incrby(redisKey, hits);
      pipeline.pexpire(redisKey, this.windowMs * 2);
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      batch.forEach(([, entry, hits], index) => {
        const [error, total] = results[index * 2] ?? [];
        if (error || typeof total !== 'number') return;
        entry.pending -= hits;
        entry.global = Math.max(entry.global, total);
      });
    } catch {
      // Redis unreachable: keep the hits pending and count locally until it answers again.
    }
  }
}
