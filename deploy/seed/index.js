'use strict';
/**
 * Demo data of the back-end services, seeded through the public API after the demo brokerage
 * exists (`deploy/start.js`). Each service's seed lives in `deploy/seed/<service>.js` and exports
 * `seed(context)`; it must be safe to run again (it checks what is already there). They run in
 * dependency order: listings first (deals and leads refer to properties), then crm, then deals.
 *
 * context: { base, api(method, route, body, token), login(email) → access token, demo (DEMO) }
 * and returns a one-line summary that `npm start` prints.
 */
const fs = require('node:fs');
const path = require('node:path');

const ORDER = ['listings', 'crm', 'deals-commission', 'audit'];

async function seedServices(context) {
  const summaries = [];
  for (const name of ORDER) {
    const file = path.join(__dirname, `${name}.js`);
    if (!fs.existsSync(file)) continue;
    const summary = await require(file).seed(context);
    summaries.push(`${name}: ${summary}`);
  }
  return summaries;
}

module.exports = { seedServices };
