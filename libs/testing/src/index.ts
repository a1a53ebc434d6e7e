export * from './test-database';
export * from './http-client';
export * from './wait-for';
export * from './start-service.util';
export * from './test-actor.util';
export * from './test-event.util';
