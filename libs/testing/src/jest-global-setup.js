'use strict';
// Jest globalSetup for integration suites: makes the machine ready once per run (services
// reachable, extensions, roles, local Kafka broker) and exports the addresses to the workers.
const path = require('node:path');
const { prepareInfrastructure } = require(path.join(__dirname, '../../../deploy/infra.js'));

module.exports = async function globalSetup() {
  const env = await prepareInfrastructure({ log: () => undefined });
  for (const [key, value] of Object.entries(env)) {
    if (process.env[key] === undefined) process.env[key] = value;
  }
};
