export * from './deals.event';
