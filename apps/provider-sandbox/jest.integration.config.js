// The sandbox needs no infrastructure (no database, NATS or Kafka): no globalSetup, each spec file
// starts its own sandbox on a free port and its own webhook listener.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'provider-sandbox:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.integration-spec.ts'],
  setupFilesAfterEnv: ['<rootDir>/../../libs/testing/src/jest-integration-timeout.js'],
  maxWorkers: 2,
};
