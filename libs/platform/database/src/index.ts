export * from './data-source.config';
export * from './keyset-pagination.util';
export * from './database.module';
export * from './prepared-query.util';
export * from './kysely.util';
export * from './db-column.type';
