export * from './listings.event';
