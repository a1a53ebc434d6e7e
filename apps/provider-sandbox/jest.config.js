module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'provider-sandbox',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
