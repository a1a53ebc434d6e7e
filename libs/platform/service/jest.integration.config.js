// Integration specs of the service chassis against the real local Postgres, NATS, Redis and Kafka.
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'platform-service-integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.integration-spec.ts'],
  globalSetup: '<rootDir>/../../testing/src/jest-global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/../../testing/src/jest-integration-timeout.js'],
};
