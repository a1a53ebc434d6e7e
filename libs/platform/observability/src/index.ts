export * from './request-context.util';
export * from './logger.util';
export * from './health.http.controller';
export * from './metrics.http.controller';
