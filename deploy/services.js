'use strict';

/**
 * The single list of Keyhouse services, shared by `deploy/` scripts, Jest setup files and
 * anything else that needs to know which services exist, which Postgres schema and database
 * role each one owns, and where its health endpoint listens.
 *
 * @typedef {object} ServiceDef
 * @property {string} name            service (and apps/ folder) name, e.g. 'deals-commission'
 * @property {string|null} schema     Postgres schema the service owns; null when it owns none
 * @property {string|null} dbRole     Postgres login role of the service; null when it has none
 * @property {string} [dbOwnerRole]   when set, a separate login role that owns the schema and its
 *                                    tables and runs the migrations; `dbRole` then only gets the
 *                                    rights the migrations grant it (audit: SELECT/INSERT on the
 *                                    append-only tables, docs/adr/0020)
 * @property {number} healthPort      port of its health endpoint (the gateway serves HTTP there); the
 *                                    back-end services listen on loopback unless HTTP_HOST is set
 * @property {number} [metricsPort]   the gateway's internal Prometheus port (METRICS_PORT, loopback
 *                                    unless METRICS_HOST is set); the services serve /metrics on
 *                                    healthPort
 * @property {boolean} [implemented]  true once the app exists and `npm start` should run it
 */

/** @type {ReadonlyArray<Readonly<ServiceDef>>} */
const SERVICES = Object.freeze(
  [
    { name: 'gateway', schema: null, dbRole: null, healthPort: 3000, metricsPort: 9464, implemented: true },
    { name: 'identity', schema: 'identity', dbRole: 'keyhouse_identity', healthPort: 3101, implemented: true },
    { name: 'crm', schema: 'crm', dbRole: 'keyhouse_crm', healthPort: 3102, implemented: true },
    { name: 'listings', schema: 'listings', dbRole: 'keyhouse_listings', healthPort: 3103, implemented: true },
    { name: 'deals-commission', schema: 'deals', dbRole: 'keyhouse_deals', healthPort: 3104, implemented: true },
    {
      name: 'audit',
      schema: 'audit',
      dbRole: 'keyhouse_audit',
      dbOwnerRole: 'keyhouse_audit_owner',
      healthPort: 3105,
      implemented: true,
    },
    { name: 'notifications', schema: 'notifications', dbRole: 'keyhouse_notifications', healthPort: 3106, implemented: true },
  ].map((s) => Object.freeze(s)),
);

module.exports = { SERVICES };
