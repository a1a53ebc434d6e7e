export * from './test-database';
export * from './http-client';
export * from './wait-for';
