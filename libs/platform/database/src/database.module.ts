import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { serviceDataSourceOptions, type ServiceDataSourceConfig } from './data-source.config';

/**
 * Runs pending migrations under a Postgres advisory lock keyed by the schema, so replicas that
 * start together migrate one after the other instead of racing on the same DDL.
 */
export async function runMigrationsLocked(dataSource: DataSource, schema: string): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [`${schema}.migrations`]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`${schema}.migrations`]);
    }
  } finally {
    await runner.release();
  }
}

/** The service's TypeORM data source; pending migrations run at start (`runMigrationsLocked`). */
@Module({})
export class DatabaseModule {
  static forRoot(config: ServiceDataSourceConfig): DynamicModule {
    const options: DataSourceOptions = { ...serviceDataSourceOptions(config), migrationsRun: false };
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => options,
          dataSourceFactory: async (factoryOptions) => {
            const dataSource = await new DataSource(factoryOptions ?? options).initialize();
            await runMigrationsLocked(dataSource, config.schema);
            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
