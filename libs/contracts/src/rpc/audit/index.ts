export * from './audit-logs.rpc';
