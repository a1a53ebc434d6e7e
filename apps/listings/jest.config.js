module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'listings',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
