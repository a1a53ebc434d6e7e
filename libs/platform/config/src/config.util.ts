import { z } from 'zod';

/**
 * Typed configuration from environment variables, validated once at start-up with zod.
 * A missing or malformed variable raises `ConfigError` whose message is one line naming each
 * variable and what it expects; `loadConfigOrExit` prints that line and exits with status 78
 * (EX_CONFIG, sysexits.h) so an orchestrator does not restart-loop silently.
 */
export class ConfigError extends Error {
  constructor(readonly problems: Array<{ variable: string; expected: string }>) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable} ${p.expected}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

export type EnvShape = Record<string, z.ZodTypeAny>;

/** Variables whose values are never echoed in an error (they may hold credentials). */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY|URL/i;

/** Empty or blank variables count as unset, so defaults apply and `PORT=` is not port 0. */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value?.trim() === '' ? undefined : value]));
}

export function loadConfig<S extends EnvShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(withoutBlanks(env));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '?');
    const described = shape[variable]?.description;
    const raw = env[variable];
    const got =
      raw === undefined || raw.trim() === ''
        ? 'is missing'
        : SECRET_NAME.test(variable)
          ? 'is set but invalid'
          : `is ${JSON.stringify(raw)}`;
    return { variable, expected: `${got}: expected ${described ?? issue.message}` };
  });
  throw new ConfigError(problems);
}

export function loadConfigOrExit<S extends EnvShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<S>> {
  try {
    return loadConfig(shape, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/** Builders for the variables most services share. */
export const env = {
  url: (description: string, fallback?: string) => {
    const schema = z.string().url().describe(description);
    return fallback === undefined ? schema : schema.default(fallback);
  },
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback).describe('a TCP port number (0-65535)'),
  positiveInt: (fallback: number, description: string) => z.coerce.number().int().positive().default(fallback).describe(description),
  string: (fallback: string | undefined, description: string) => {
    const schema = z.string().min(1).describe(description);
    return fallback === undefined ? schema : schema.default(fallback);
  },
  optionalString: (description: string) => z.string().min(1).optional().describe(description),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1')
      .describe('true or false'),
  list: (fallback: string, description: string) =>
    z
      .string()
      .default(fallback)
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .describe(description),
  oneOf: <T extends [string, ...string[]]>(values: T, fallback: T[number]) =>
    z
      .enum(values)
      .default(fallback as never)
      .describe(`one of ${values.join(', ')}`),
  /**
   * A keyring for secrets at rest: `id:base64key[,id2:base64key...]`, each key 32 bytes (AES-256),
   * the first entry active. Parsed to `{ ring: { id: base64key }, activeKeyId }` for `SecretCipher`.
   * The fallback is a development key; pair it with `exitIfUnsetInProduction`.
   */
  keyring: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value, context) => {
        const ring: Record<string, string> = {};
        for (const entry of value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)) {
          const [id, key] = entry.split(':');
          if (!id || !key || Buffer.from(key, 'base64').length !== 32) {
            context.addIssue({ code: z.ZodIssueCode.custom, message: 'bad key' });
            return z.NEVER;
          }
          ring[id] = key;
        }
        return { ring, activeKeyId: Object.keys(ring)[0] };
      })
      .describe('a keyring "id:base64(32 bytes)[,id:base64...]", the first key active'),
};

/**
 * Stops the process (exit 78, one line naming the variable and what it expects) when
 * `NODE_ENV=production` and one of `required` (variable → what it expects) is not set explicitly:
 * for variables whose default is only fit for development (keyrings, signing keys, owner URLs).
 */
export function exitIfUnsetInProduction(nodeEnv: string, source: NodeJS.ProcessEnv, required: Record<string, string>): void {
  if (nodeEnv !== 'production') return;
  for (const [name, expected] of Object.entries(required)) {
    if (source[name] === undefined) {
      process.stderr.write(`Invalid configuration: ${name} is missing: expected ${expected} in production\n`);
      process.exit(78);
    }
  }
}

/**
 * Variables every Keyhouse service reads. Defaults match the local machine that `deploy/infra.mjs`
 * prepares; production sets each explicitly.
 */
export const platformEnv = {
  NODE_ENV: env.oneOf(['development', 'test', 'production'], 'development'),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  NATS_URL: env.string('nats://127.0.0.1:4222', 'a NATS server URL such as nats://127.0.0.1:4222'),
  /** Prepended to every subject (e.g. `test-42.`), so environments can share one NATS cluster. */
  NATS_SUBJECT_PREFIX: z.string().default('').describe('a subject prefix such as "staging."'),
  NATS_REQUEST_TIMEOUT_MS: env.positiveInt(3000, 'a timeout in milliseconds'),
  KAFKA_BROKERS: env.list('127.0.0.1:9092', 'a comma-separated list of host:port Kafka brokers'),
  /** Prepended to every topic name, so environments can share one Kafka cluster. */
  KAFKA_TOPIC_PREFIX: z.string().default('').describe('a topic prefix such as "staging."'),
  REDIS_URL: env.string('redis://127.0.0.1:6379', 'a Redis URL such as redis://127.0.0.1:6379/0'),
  /** Prepended to every Redis key and Bull queue name. */
  REDIS_KEY_PREFIX: z.string().default('kh:').describe('a Redis key prefix such as "kh:"'),
};
