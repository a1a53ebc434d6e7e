export * from './notifications.rpc';
export * from './notification-triggers.rpc';
export * from './notification-preferences.rpc';
export * from './notification-templates.rpc';
