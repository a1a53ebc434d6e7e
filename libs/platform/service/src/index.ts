export * from './service-env';
export * from './service-core.module';
export * from './bootstrap';
