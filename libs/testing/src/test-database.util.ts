import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

interface ServiceDef {
  name: string;
  schema: string | null;
  dbRole: string | null;
}

interface InfraModule {
  prepareDatabase(database: string, env?: NodeJS.ProcessEnv): Promise<unknown>;
  dropDatabase(database: string, env?: NodeJS.ProcessEnv): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const infra = require(path.join(__dirname, '../../../deploy/infra.js')) as InfraModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SERVICES } = require(path.join(__dirname, '../../../deploy/services.js')) as { SERVICES: ServiceDef[] };

/**
 * An isolated slice of the shared local infrastructure for one test file: its own Postgres
 * database (schemas, roles and extensions as in production), and prefixes for NATS subjects,
 * Kafka topics and Redis keys, so test files run in parallel without seeing each other.
 */
export interface TestIsolation {
  id: string;
  database: string;
  env: NodeJS.ProcessEnv;
  drop(): Promise<void>;
}

export async function createTestIsolation(): Promise<TestIsolation> {
  const id = `t${randomBytes(4).toString('hex')}`;
  const database = `kh_test_${id}`;
  await infra.prepareDatabase(database);
  const host = process.env.PGHOST ?? '127.0.0.1';
  const port = process.env.PGPORT ?? '5432';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NATS_SUBJECT_PREFIX: `${id}.`,
    KAFKA_TOPIC_PREFIX: `${id}.`,
    REDIS_KEY_PREFIX: `kh-${id}:`,
  };
  for (const service of SERVICES) {
    if (!service.schema || !service.dbRole) continue;
    const name = service.name.toUpperCase().replace(/-/g, '_');
    env[`${name}_DATABASE_URL`] = `postgres://${service.dbRole}@${host}:${port}/${database}`;
    env[`${name}_DATABASE_SCHEMA`] = service.schema;
  }
  return {
    id,
    database,
    env,
    drop: () => infra.dropDatabase(database),
  };
}
