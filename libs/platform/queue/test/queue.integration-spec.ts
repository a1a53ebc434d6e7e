import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import {
  assertNoEviction,
  FailedJobsService,
  getQueueToken,
  type Job,
  type JobOptions,
  type Queue,
  QueueErrorCode,
  QueueModule,
  type QueueModuleOptions,
  RedisHealthIndicator,
  RedisPolicyCheck,
  type RedisPolicySource,
} from '@keyhouse/platform/queue';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const QUEUE = 'test.jobs';
/** Small delays so that five attempts take ~150 ms instead of 15 s. */
const FAST_RETRY: JobOptions = { backoff: { type: 'exponential', delay: 10 } };

const uniquePrefix = () => `kh-test-${randomBytes(6).toString('hex')}:bull`;

function appModule(options: QueueModuleOptions) {
  @Module({ imports: [QueueModule.forRoot(options), QueueModule.registerQueues(QUEUE)] })
  class QueueTestModule {}
  return QueueTestModule;
}

function startApp(options: QueueModuleOptions, logger: false | ['error'] = ['error']): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(appModule(options), { logger, abortOnError: false });
}

/** Resolves with the arguments of the first `event` for which `predicate` holds. */
function waitForEvent<TArgs extends unknown[]>(
  queue: Queue,
  event: string,
  predicate: (...args: TArgs) => boolean,
  timeoutMs = 10_000,
): Promise<TArgs> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      queue.removeListener(event, listener);
      reject(new Error(`no matching "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: TArgs) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      queue.removeListener(event, listener);
      resolve(args);
    };
    queue.on(event, listener);
  });
}

const finallyFailed = (queue: Queue, jobId: Job['id']) =>
  waitForEvent<[Job, Error]>(queue, 'failed', (job) => job.id === jobId && job.attemptsMade >= (job.opts.attempts ?? 1));

const completed = (queue: Queue, jobId: Job['id']) => waitForEvent<[Job, unknown]>(queue, 'completed', (job) => job.id === jobId);

async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `assertion` every 25 ms for up to `timeoutMs`. */
async function eventually(assertion: () => Promise<void>, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(25);
    }
  }
}

describe('QueueModule (real Redis)', () => {
  const prefix = uniquePrefix();
  let app: INestApplicationContext;
  let queue: Queue;
  let failedJobs: FailedJobsService;
  let admin: Redis;
  let failing = true;

  beforeAll(async () => {
    admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    app = await startApp({ redisUrl: REDIS_URL, prefix });
    queue = app.get<Queue>(getQueueToken(QUEUE));
    failedJobs = app.get(FailedJobsService);
    // A processor that fails every job while `failing` is set, like a provider that keeps refusing.
    void queue
      .process('flaky', async (job: Job<{ contactId: string }>) => {
        if (failing) throw new Error(`provider refused ${job.data.contactId}`);
        return 'sent';
      })
      .catch(() => undefined);
    void queue.process('ok', async () => 'done').catch(() => undefined);
    // Bull starts its processing loops asynchronously: let them start before any test (or the
    // close in afterAll) runs, so that none opens a connection after the queue closed.
    await (await queue.add('ok', { warmUp: true })).finished();
  });

  afterAll(async () => {
    await app?.close();
    if (admin) {
      await deleteKeys(admin, `${prefix.split(':')[0]}:*`);
      await admin.quit();
    }
  });

  describe('RedisPolicyCheck', () => {
    it('found the local Redis on noeviction before the queues were built', async () => {
      await expect(app.get(RedisPolicyCheck).ensure()).resolves.toEqual({ policy: 'noeviction', checked: true, source: 'config' });
    });
  });

  describe('default job options', () => {
    it('applies 5 attempts and retention bounded by age and count to every job', async () => {
      const job = await queue.add('ok', {});
      expect(job.opts).toMatchObject({
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 86_400, count: 1000 },
        removeOnFail: { age: 604_800, count: 5000 },
      });
      await job.finished();
    });

    it('uses the per-run prefix for every key', async () => {
      const keys = await admin.keys(`${prefix}:${QUEUE}:*`);
      expect(keys.length).toBeGreaterThan(0);
    });
  });

  describe('FailedJobsService', () => {
    const failedIds: string[] = [];

    async function addFailingJob(contactId: string): Promise<Job> {
      const job = await queue.add('flaky', { contactId, apiToken: 'tok_live_123', nested: { password: 'pw' } }, FAST_RETRY);
      await finallyFailed(queue, job.id);
      failedIds.push(String(job.id));
      return job;
    }

    describe('list', () => {
      it('lists a job that failed all its attempts with attemptsMade = attempts, the reason and redacted data', async () => {
        const job = await addFailingJob('c-1');
        const page = await failedJobs.list(QUEUE);
        expect(page.nextCursor).toBeNull();
        expect(page.items).toHaveLength(1);
        const [item] = page.items;
        expect(item).toEqual({
          id: String(job.id),
          queue: QUEUE,
          name: 'flaky',
          failedReason: 'provider refused c-1',
          attemptsMade: 5,
          failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          data: { contactId: 'c-1', apiToken: '[redacted]', nested: { password: '[redacted]' } },
        });
        expect(Date.parse(item.failedAt)).toBeGreaterThanOrEqual(Date.parse(item.createdAt));
      });

      it('pages newest failure first with an opaque cursor', async () => {
        await addFailingJob('c-2');
        await addFailingJob('c-3');
        const first = await failedJobs.list(QUEUE, { limit: 2 });
        expect(first.items.map((item) => item.id)).toEqual([failedIds[2], failedIds[1]]);
        expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
        const second = await failedJobs.list(QUEUE, { limit: 2, cursor: first.nextCursor ?? undefined });
        expect(second.items.map((item) => item.id)).toEqual([failedIds[0]]);
        expect(second.nextCursor).toBeNull();
      });

      it('neither skips nor repeats a job when one on an earlier page is retried', async () => {
        const first = await failedJobs.list(QUEUE, { limit: 1 });
        failing = true;
        const again = finallyFailed(queue, failedIds[2]);
        await failedJobs.retry(QUEUE, failedIds[2]);
        await again;
        // failedIds[2] failed again and is now newest; the cursor still points after it.
        const rest = await failedJobs.list(QUEUE, { limit: 10, cursor: first.nextCursor ?? undefined });
        expect(rest.items.map((item) => item.id)).toEqual([failedIds[1], failedIds[0]]);
      });

      it('throws QUEUE_UNKNOWN for a queue that is not registered', async () => {
        await expect(failedJobs.list('test.other')).rejects.toMatchObject({ code: QueueErrorCode.QueueUnknown, kind: 'not_found' });
      });
    });

    describe('retry', () => {
      it('moves a failed job back so that it runs again', async () => {
        failing = false;
        const done = completed(queue, failedIds[0]);
        await failedJobs.retry(QUEUE, failedIds[0]);
        const [job, result] = await done;
        expect(result).toBe('sent');
        expect(await job.getState()).toBe('completed');
        const page = await failedJobs.list(QUEUE);
        expect(page.items.map((item) => item.id)).not.toContain(failedIds[0]);
      });

      it('throws QUEUE_JOB_NOT_FAILED for a job that is no longer failed', async () => {
        await expect(failedJobs.retry(QUEUE, failedIds[0])).rejects.toMatchObject({
          code: QueueErrorCode.JobNotFailed,
          kind: 'conflict',
        });
      });

      it('throws QUEUE_JOB_NOT_FOUND for an unknown job and QUEUE_UNKNOWN for an unknown queue', async () => {
        await expect(failedJobs.retry(QUEUE, 'no-such-job')).rejects.toMatchObject({ code: QueueErrorCode.JobNotFound });
        await expect(failedJobs.retry('test.other', failedIds[1])).rejects.toMatchObject({ code: QueueErrorCode.QueueUnknown });
      });
    });

    describe('remove', () => {
      it('deletes a failed job', async () => {
        await failedJobs.remove(QUEUE, failedIds[1]);
        expect(await queue.getJob(failedIds[1])).toBeNull();
        const page = await failedJobs.list(QUEUE);
        expect(page.items.map((item) => item.id)).toEqual([failedIds[2]]);
      });

      it('throws QUEUE_JOB_NOT_FOUND for a job that is gone', async () => {
        await expect(failedJobs.remove(QUEUE, failedIds[1])).rejects.toMatchObject({ code: QueueErrorCode.JobNotFound });
      });
    });
  });

  describe('retention', () => {
    it('keeps no more completed jobs than `count`', async () => {
      const done = new Set<string>();
      const onCompleted = (job: Job) => done.add(String(job.id));
      queue.on('completed', onCompleted);
      const jobs: Job[] = [];
      for (let i = 0; i < 5; i += 1) jobs.push(await queue.add('ok', { i }, { removeOnComplete: { count: 2 } }));
      // (job.finished() cannot be used here: Bull reads the job after it was trimmed away.)
      await eventually(async () => expect(jobs.every((job) => done.has(String(job.id)))).toBe(true), 10_000);
      queue.removeListener('completed', onCompleted);
      expect(await queue.getCompletedCount()).toBe(2);
      expect(await queue.getJob(jobs[0].id)).toBeNull();
      expect(await queue.getJob(jobs[4].id)).not.toBeNull();
    });

    it('drops completed jobs older than `age` seconds', async () => {
      const old = await queue.add('ok', { n: 'old' }, { removeOnComplete: { age: 1, count: 1000 } });
      await old.finished();
      await sleep(1_100);
      const fresh = await queue.add('ok', { n: 'fresh' }, { removeOnComplete: { age: 1, count: 1000 } });
      await fresh.finished();
      expect(await queue.getJob(old.id)).toBeNull();
      expect(await queue.getJob(fresh.id)).not.toBeNull();
    });
  });

  describe('RedisHealthIndicator', () => {
    describe('isHealthy', () => {
      it('reports up with used and max bytes, ratio and policy', async () => {
        const [, maxmemory] = (await admin.config('GET', 'maxmemory')) as [string, string];
        const result = await app.get(RedisHealthIndicator).isHealthy('redis');
        expect(result.redis).toMatchObject({
          status: 'up',
          usedBytes: expect.any(Number),
          maxBytes: Number(maxmemory),
          threshold: 0.9,
          policy: 'noeviction',
        });
        expect(result.redis.usedBytes).toBeGreaterThan(0);
        // Locally maxmemory is 0 (no limit): there is no ratio to report then.
        expect(result.redis.ratio).toEqual(Number(maxmemory) > 0 ? expect.any(Number) : null);
      });
    });
  });
});

describe('assertNoEviction', () => {
  it('throws for a Redis whose policy evicts', async () => {
    const redis = { config: async () => ['maxmemory-policy', 'allkeys-lru'] } as unknown as RedisPolicySource;
    await expect(assertNoEviction(redis, { enforce: true })).rejects.toThrow(
      new Error('Redis maxmemory-policy is "allkeys-lru"; Bull needs "noeviction" (REL-18)'),
    );
  });

  it('only warns when CONFIG is an unknown command', async () => {
    const warn = jest.fn();
    const redis = {
      config: async () => {
        throw new Error("ERR unknown command 'CONFIG', with args beginning with: 'GET' 'maxmemory-policy'");
      },
    } as unknown as RedisPolicySource;
    await expect(assertNoEviction(redis, { enforce: true, logger: { warn } })).resolves.toMatchObject({ checked: false });
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

/** REL-18 end to end: a throwaway redis-server started with an evicting policy. */
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

(hasRedisServer ? describe : describe.skip)('QueueModule start-up on an evicting Redis (REL-18)', () => {
  let server: ChildProcess;
  let url: string;
  let client: Redis;

  beforeAll(async () => {
    const port = await freePort();
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'allkeys-lru'],
      { stdio: 'ignore' },
    );
    url = `redis://127.0.0.1:${port}`;
    client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    await client.ping();
  });

  afterAll(async () => {
    await client?.quit();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('refuses to start, names the setting, and leaves no connection open', async () => {
    const prefix = uniquePrefix();
    const socketsBefore = openSockets();
    await expect(startApp({ redisUrl: url, prefix }, false)).rejects.toMatchObject({
      code: QueueErrorCode.EvictionPolicy,
      message: 'Redis maxmemory-policy is "allkeys-lru"; Bull needs "noeviction" (REL-18)',
    });
    expect(await client.keys(`${prefix}:*`)).toEqual([]);
    // No queue was built (not even one with Bull's defaults) and the check connection was
    // closed: nothing would keep a process whose start failed alive.
    await sleep(200);
    await eventually(async () => expect(openSockets()).toBe(socketsBefore));
    expect(await clientNames(client)).not.toContain('keyhouse-queue-checks');
  });

  it('starts with a warning when enforceNoEviction is false', async () => {
    const app = await startApp({ redisUrl: url, prefix: uniquePrefix(), enforceNoEviction: false });
    await expect(app.get(RedisPolicyCheck).ensure()).resolves.toMatchObject({ policy: 'allkeys-lru', checked: true });
    await app.close();
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** TCP sockets this process holds open (Node's public resource list). */
function openSockets(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
}

async function clientNames(redis: Redis): Promise<string[]> {
  const list = (await redis.client('LIST')) as string;
  return [...list.matchAll(/ name=(\S*)/g)].map((match) => match[1]);
}
