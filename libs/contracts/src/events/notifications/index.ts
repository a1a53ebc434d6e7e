export * from './notifications.event';
