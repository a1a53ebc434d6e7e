export * from './test-database';
export * from './http-client';
export * from './wait-for';
export * from './start-service.util';
export * from './test-actor.util';
export * from './test-event.util';
export * from './read-model-seeder.util';
export * from './private-postgres.util';
