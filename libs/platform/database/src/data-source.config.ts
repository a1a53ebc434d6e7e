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
    extra: {
      options: `-c search_path=${config.schema},public -c statement_timeout=${config.statementTimeoutMs ?? 5000}`,
    },
    logging: ['error'],
  };
}
