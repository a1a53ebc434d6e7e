export * from './listings-properties.rpc';
export * from './listings-engagement.rpc';
export * from './listings-mls.rpc';
