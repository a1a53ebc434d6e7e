/**
 * The service chain a benchmark measures through: identity first, then the services under test,
 * the gateway last, each its own compiled Node process, each waited for on `/health/ready`.
 */
import { randomBytes } from 'node:crypto';
import { startNode, waitHttpOk } from './processes.mjs';

/**
 * Environment of every process of a bench chain: the prepared infrastructure, production mode,
 * the bench's own NATS/Kafka/Redis prefixes (`<name>.`), warn-level logs, rate limits out of the
 * way, no OpenAPI, fresh development keyrings; `extra` adds service-specific variables.
 */
export function benchServiceEnv(infraEnv, name, extra = {}) {
  const env = {
    ...process.env,
    ...infraEnv,
    NODE_ENV: 'production',
    IDENTITY_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    NATS_SUBJECT_PREFIX: `${name}.`,
    KAFKA_TOPIC_PREFIX: `${name}.`,
    REDIS_KEY_PREFIX: `kh-${name}:`,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_USER_PER_MINUTE: '100000000',
    RATE_LIMIT_IP_PER_MINUTE: '100000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '100000000',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '100000000',
    OPENAPI_ENABLED: 'false',
    ...extra,
  };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * Starts identity, then each of `services` (in order), then the gateway, with `env` and their own
 * ports (`ports[name]`: HEALTH_PORT, the gateway's PORT). Returns the gateway's base URL.
 * Processes end with the bench's cleanup (`startNode` registers them).
 */
export async function startServiceChain({ root, mains, ports, env, logDir, services }) {
  for (const name of ['identity', ...services, 'gateway']) {
    const portVariable = name === 'gateway' ? 'PORT' : 'HEALTH_PORT';
    const handle = startNode(name, mains[name], { env: { ...env, [portVariable]: String(ports[name]) }, cwd: root, logDir });
    await waitHttpOk(`http://127.0.0.1:${ports[name]}/health/ready`, handle);
  }
  return `http://127.0.0.1:${ports.gateway}`;
}
