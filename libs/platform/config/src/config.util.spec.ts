import { z } from 'zod';
import { ConfigError, env, loadConfig, loadConfigOrExit, platformEnv } from './config.util';

/** Runs `fn` and returns what it threw (fails the test when it does not throw). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const serviceShape = {
  ...platformEnv,
  PORT: env.port(3000),
  DATABASE_URL: env.url('a postgres URL such as postgres://user@host/db'),
  FEATURE_X: env.bool(false),
  WORKERS: env.positiveInt(4, 'a positive number of workers'),
  ALLOWED_ORIGINS: env.list('', 'a comma-separated list of origins'),
  SMTP_HOST: env.optionalString('an SMTP host name'),
};

describe('loadConfig', () => {
  it('returns documented defaults when optional variables are absent', () => {
    const config = loadConfig(serviceShape, { DATABASE_URL: 'postgres://kh@127.0.0.1:5432/kh' });
    expect(config).toEqual({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_SUBJECT_PREFIX: '',
      NATS_REQUEST_TIMEOUT_MS: 3000,
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_TOPIC_PREFIX: '',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: 'kh:',
      PORT: 3000,
      DATABASE_URL: 'postgres://kh@127.0.0.1:5432/kh',
      FEATURE_X: false,
      WORKERS: 4,
      ALLOWED_ORIGINS: [],
    });
    expect(config).not.toHaveProperty('SMTP_HOST');
  });

  it('coerces numbers, booleans and lists when variables are set', () => {
    const config = loadConfig(serviceShape, {
      DATABASE_URL: 'postgres://kh@db:5432/kh',
      NODE_ENV: 'production',
      PORT: '8080',
      NATS_REQUEST_TIMEOUT_MS: '1500',
      FEATURE_X: 'true',
      WORKERS: '16',
      KAFKA_BROKERS: ' k1:9092 , k2:9092,,k3:9092 ',
      ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      SMTP_HOST: 'smtp.example',
    });
    expect(config.PORT).toBe(8080);
    expect(config.NATS_REQUEST_TIMEOUT_MS).toBe(1500);
    expect(config.WORKERS).toBe(16);
    expect(config.FEATURE_X).toBe(true);
    expect(config.NODE_ENV).toBe('production');
    expect(config.KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9092', 'k3:9092']);
    expect(config.ALLOWED_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(config.SMTP_HOST).toBe('smtp.example');
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads boolean %p as %p', (raw, expected) => {
    expect(loadConfig({ FLAG: env.bool(!expected) }, { FLAG: raw }).FLAG).toBe(expected);
  });

  it('ignores variables outside the shape when the environment has extra entries', () => {
    const config = loadConfig({ PORT: env.port(1) }, { PORT: '2', HOME: '/root', SECRET: 'x' });
    expect(config).toEqual({ PORT: 2 });
  });

  it('raises a ConfigError naming the variable and its expectation when a required variable is missing', () => {
    const error = thrownBy(() => loadConfig(serviceShape, {}));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(Error);
    const { message, name, problems } = error as ConfigError;
    expect(name).toBe('ConfigError');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('missing');
    expect(message).toContain('a postgres URL such as postgres://user@host/db');
    expect(message).not.toMatch(/[\r\n]/);
    expect(problems.map((p) => p.variable)).toEqual(['DATABASE_URL']);
  });

  it('raises one single-line ConfigError naming every bad variable when several are missing or malformed', () => {
    const error = thrownBy(() =>
      loadConfig(serviceShape, {
        PORT: 'eighty',
        NODE_ENV: 'prod',
        FEATURE_X: 'yes',
        WORKERS: '-3',
        NATS_URL: 'nats://127.0.0.1:4222',
        DATABASE_URL: '  ',
      }),
    ) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(new Set(error.problems.map((p) => p.variable))).toEqual(new Set(['PORT', 'NODE_ENV', 'FEATURE_X', 'WORKERS', 'DATABASE_URL']));
    for (const [variable, expectation] of [
      ['PORT', 'a TCP port number (0-65535)'],
      ['NODE_ENV', 'one of development, test, production'],
      ['FEATURE_X', 'true or false'],
      ['WORKERS', 'a positive number of workers'],
      ['DATABASE_URL', 'a postgres URL'],
    ]) {
      expect(error.message).toContain(variable);
      const problem = error.problems.find((p) => p.variable === variable);
      expect(problem?.expected).toContain(expectation);
    }
    expect(error.problems.find((p) => p.variable === 'PORT')?.expected).toContain('"eighty"');
  });

  it('treats a blank variable as unset, so its default applies', () => {
    const config = loadConfig(serviceShape, { DATABASE_URL: 'postgres://kh@127.0.0.1:5432/kh', PORT: '', NATS_URL: '  ' });
    expect(config.PORT).toBe(3000);
    expect(config.NATS_URL).toBe('nats://127.0.0.1:4222');
  });

  it('never echoes the value of a variable that may hold a credential', () => {
    const error = thrownBy(() => loadConfig(serviceShape, { DATABASE_URL: 'postgres//user:hunter2@db' })) as ConfigError;
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).not.toContain('hunter2');
  });

  it('keeps the message on one line when a value contains a newline', () => {
    const error = thrownBy(() =>
      loadConfig(serviceShape, { DATABASE_URL: 'postgres://kh@h/db', LOG_LEVEL: 'info\nERROR forged' }),
    ) as ConfigError;
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it.each([
    ['above the range', '65536'],
    ['negative', '-1'],
    ['fractional', '80.5'],
    ['not a number', '80a'],
  ])('rejects a port that is %s', (_label, raw) => {
    const error = thrownBy(() => loadConfig({ PORT: env.port(3000) }, { PORT: raw })) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems[0].variable).toBe('PORT');
  });

  it('rejects a URL variable when the value is not a URL', () => {
    const error = thrownBy(() => loadConfig({ API_URL: env.url('an https URL', 'https://x.example') }, { API_URL: 'x.example' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('API_URL');
    expect((error as ConfigError).message).toContain('an https URL');
  });

  it('falls back to the validator message when the schema has no description', () => {
    const error = thrownBy(() => loadConfig({ RAW: z.string().min(3) }, { RAW: 'ab' })) as ConfigError;
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0].variable).toBe('RAW');
    expect(error.message).toMatch(/^Invalid configuration: RAW /);
  });
});

describe('loadConfigOrExit', () => {
  afterEach(() => jest.restoreAllMocks());

  it('returns the config when the environment is valid', () => {
    expect(loadConfigOrExit({ PORT: env.port(3000) }, { PORT: '81' })).toEqual({ PORT: 81 });
  });

  it('writes the one-line message to stderr and exits with status 78 when the environment is invalid', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    expect(() => loadConfigOrExit({ DATABASE_URL: env.url('a postgres URL') }, {})).toThrow('exit 78');
    expect(exit).toHaveBeenCalledWith(78);
    expect(write).toHaveBeenCalledTimes(1);
    const line = String(write.mock.calls[0][0]);
    expect(line).toMatch(/^Invalid configuration: .*DATABASE_URL.*\n$/);
    expect(line.slice(0, -1)).not.toContain('\n');
  });
});
