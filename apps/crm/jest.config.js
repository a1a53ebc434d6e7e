module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'crm',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
