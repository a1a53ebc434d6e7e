// Shared Jest preset: @swc/jest for fast transpiling (with decorator metadata for Nest and
// TypeORM), and the workspace path aliases from tsconfig.base.json.
const path = require('node:path');
const fs = require('node:fs');

const root = __dirname;
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias.replace(/\//g, '\\/')}$`] = path.join(root, target);
}

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  // ESM-only dependencies (Node 20 loads them with require(esm); Jest needs them transpiled).
  transformIgnorePatterns: ['/node_modules/(?!(@scure|@noble|@otplib|otplib|jose|content-disposition)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  clearMocks: true,
};
