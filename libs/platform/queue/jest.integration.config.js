// Integration specs: against the real local Redis (REDIS_URL, default redis://127.0.0.1:6379).
module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'platform-queue-integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.integration-spec.ts'],
  setupFilesAfterEnv: ['<rootDir>/../../../libs/testing/src/jest-integration-timeout.js'],
};
