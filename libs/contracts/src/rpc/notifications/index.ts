export * from './notifications.rpc';
export * from './notification-triggers.rpc';
export * from './notification-preferences.rpc';
