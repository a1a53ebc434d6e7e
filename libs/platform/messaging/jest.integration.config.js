// Integration specs against the local Kafka-protocol broker (KAFKA_BROKERS, see deploy/infra.js).
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'platform-messaging-integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.integration-spec.ts'],
  globalSetup: '<rootDir>/../../testing/src/jest-global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/../../testing/src/jest-integration-timeout.js'],
};
