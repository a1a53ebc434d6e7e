export * from './test-database.util';
export * from './http-client.util';
export * from './wait-for.util';
export * from './start-service.util';
export * from './test-actor.util';
export * from './test-event.util';
export * from './read-model-seeder.util';
export * from './private-postgres.util';
