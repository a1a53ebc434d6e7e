// Every unit suite of the workspace (`npm test` runs this; `nx affected -t test` runs them per project).
module.exports = {
  projects: ['<rootDir>/apps/*/jest.config.js', '<rootDir>/libs/*/jest.config.js', '<rootDir>/libs/platform/*/jest.config.js'],
};
