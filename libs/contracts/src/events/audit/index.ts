export * from './audit.event';
