module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'notifications:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.integration-spec.ts'],
  globalSetup: '<rootDir>/../../libs/testing/src/jest-global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/../../libs/testing/src/jest-integration-timeout.js'],
  maxWorkers: 2,
};
