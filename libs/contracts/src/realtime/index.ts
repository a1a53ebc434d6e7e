export * from './realtime-push.type';
