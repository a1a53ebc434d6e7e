import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';

export interface ServiceDataSourceConfig {
  /** Service name, used as the Postgres `application_name`. */
  serviceName: string;
  /** `postgres://<service role>@host:port/db`: the role that owns only this service's schema. */
  url: string;
  /** The service's own schema; also the migrations table's home. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** Connections in the pool (default 8: ARCHITECTURE.md, Performance choices). */
  poolSize?: number;
  /** Server-side statement timeout in milliseconds (default 5 000; RELIABILITY.md SEC-RC-05). */
  statementTimeoutMs?: number;
  /**
   * How long a query waits for a pooled connection — a new one to be established, or a busy
   * pool's next free one — in milliseconds (default 3 000, node-postgres `connectionTimeoutMillis`):
   * during a database outage a request fails fast with 503 and `Retry-After` instead of waiting
   * without end (issue 13 item 18).
   */
  connectTimeoutMs?: number;
}

/**
 * TypeORM options for one service: its schema first on the search path, snake_case names,
 * migrations (never `synchronize`) run at start inside a transaction each, bounded pool.
 */
export function serviceDataSourceOptions(config: ServiceDataSourceConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    schema: config.schema,
    entities: config.entities,
    migrations: config.migrations,
    migrationsRun: true,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    namingStrategy: new SnakeNamingStrategy(),
    applicationName: config.serviceName,
    poolSize: config.poolSize ?? 8,
    connectTimeoutMS: config.connectTimeoutMs ?? 3000,
    extra: {
      options: `-c search_path=${config.schema},public -c statement_timeout=${config.statementTimeoutMs ?? 5000}`,
    },
    logging: ['error'],
  };
}
