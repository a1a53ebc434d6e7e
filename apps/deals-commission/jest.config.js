module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'deals-commission',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
