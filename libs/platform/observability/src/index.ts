export * from './request-context';
export * from './logger';
export * from './health.controller';
export * from './metrics.controller';
