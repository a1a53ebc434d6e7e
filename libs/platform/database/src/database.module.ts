import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { serviceDataSourceOptions, type ServiceDataSourceConfig } from './data-source.options';

/** The service's TypeORM data source (migrations run at start). */
@Module({})
export class DatabaseModule {
  static forRoot(config: ServiceDataSourceConfig): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...serviceDataSourceOptions(config), retryAttempts: 5, retryDelay: 1000 })],
      exports: [TypeOrmModule],
    };
  }
}
