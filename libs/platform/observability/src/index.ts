export * from './request-context.util';
export * from './logger.util';
export * from './health.http.controller';
export * from './metrics.http.controller';
export * from './metrics-listener.service';
export * from './metrics-listener.module';
