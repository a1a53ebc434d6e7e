import { QueueErrorCode } from './queue.exception';
import {
  assertQueueName,
  bullRedisOptions,
  defaultJobOptions,
  redisOptionsFromUrl,
  resolveQueueOptions,
  type QueueModuleOptions,
} from './queue.config';

const options = (overrides: Partial<QueueModuleOptions> = {}): QueueModuleOptions => ({
  redisUrl: 'redis://127.0.0.1:6379',
  prefix: 'kh:bull',
  ...overrides,
});

describe('defaultJobOptions', () => {
  it('retries 5 times with exponential backoff from 1 000 ms', () => {
    expect(defaultJobOptions()).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
  });

  it('bounds completed jobs to 24 h and 1 000, failed jobs to 7 days and 5 000', () => {
    const jobOptions = defaultJobOptions();
    expect(jobOptions.removeOnComplete).toEqual({ age: 86_400, count: 1000 });
    expect(jobOptions.removeOnFail).toEqual({ age: 604_800, count: 5000 });
  });

  it('returns a fresh object on each call', () => {
    const first = defaultJobOptions();
    first.attempts = 1;
    expect(defaultJobOptions().attempts).toBe(5);
  });
});

describe('resolveQueueOptions', () => {
  it('enforces noeviction and uses a 0.9 memory ratio when not configured', () => {
    expect(resolveQueueOptions(options())).toEqual({ ...options(), enforceNoEviction: true, maxMemoryRatio: 0.9 });
  });

  it('keeps enforceNoEviction false when configured', () => {
    expect(resolveQueueOptions(options({ enforceNoEviction: false })).enforceNoEviction).toBe(false);
  });

  it.each([0, 1.5, Number.NaN])('rejects a memory ratio of %p', (maxMemoryRatio) => {
    expect(() => resolveQueueOptions(options({ maxMemoryRatio }))).toThrow(
      expect.objectContaining({ code: QueueErrorCode.OptionsInvalid }),
    );
  });

  it.each(['', 'kh:bull:'])('rejects the prefix %p', (prefix) => {
    expect(() => resolveQueueOptions(options({ prefix }))).toThrow(expect.objectContaining({ code: QueueErrorCode.OptionsInvalid }));
  });
});

describe('redisOptionsFromUrl', () => {
  it('parses host, port, db and percent-encoded credentials', () => {
    expect(redisOptionsFromUrl('redis://app:p%40ss@redis.internal:6380/2')).toEqual({
      host: 'redis.internal',
      port: 6380,
      db: 2,
      username: 'app',
      password: 'p@ss',
    });
  });

  it('defaults the port to 6379 and the db to 0', () => {
    expect(redisOptionsFromUrl('redis://localhost')).toEqual({ host: 'localhost', port: 6379, db: 0 });
  });

  it('turns on TLS for rediss: and strips IPv6 brackets', () => {
    expect(redisOptionsFromUrl('rediss://[::1]:6379')).toEqual({ host: '::1', port: 6379, db: 0, tls: {} });
  });

  it('rejects another scheme without echoing the password', () => {
    const parse = () => redisOptionsFromUrl('http://user:hunter2@localhost:6379');
    expect(parse).toThrow(expect.objectContaining({ code: QueueErrorCode.OptionsInvalid }));
    expect(parse).not.toThrow(/hunter2/);
  });

  it('rejects a non-numeric database', () => {
    expect(() => redisOptionsFromUrl('redis://localhost/jobs')).toThrow(expect.objectContaining({ code: QueueErrorCode.OptionsInvalid }));
  });
});

describe('bullRedisOptions', () => {
  it('sets what Bull requires of its blocking and subscriber connections', () => {
    expect(bullRedisOptions('redis://localhost:6379')).toMatchObject({ maxRetriesPerRequest: null, enableReadyCheck: false });
  });
});

describe('assertQueueName', () => {
  it.each(['identity.email', 'calendar.google-sync', 'test.jobs'])('accepts %p', (name) => {
    expect(() => assertQueueName(name)).not.toThrow();
  });

  it.each(['email', 'Identity.email', 'identity.email.extra', 'identity:email', 'identity.'])('rejects %p', (name) => {
    expect(() => assertQueueName(name)).toThrow(expect.objectContaining({ code: QueueErrorCode.QueueNameInvalid }));
  });
});
