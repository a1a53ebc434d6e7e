export * from './service-env.config';
export * from './service-core.module';
export * from './bootstrap.util';
