// Every integration suite (real Postgres, NATS, Redis and Kafka). The global setup prepares the
// machine once and shares the broker address with the workers.
module.exports = {
  globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.js',
  projects: ['<rootDir>/apps/*/jest.integration.config.js', '<rootDir>/libs/platform/*/jest.integration.config.js'],
};
