'use strict';
/**
 * `npm run demo`: a brokerage's day end to end (issue 7), driven ONLY through the gateway's public
 * HTTP API (plain `fetch`; no service code, no database), on the real King County data. Each step
 * prints what it did and what came back in plain words; the first failed expectation stops the run
 * with a non-zero exit code.
 *
 *   1. A brokerage registers; its owner enables 2FA (TOTP) and logs in with it; the owner adds a
 *      manager, a team and three agents with King County ZIP regions, capacity and working hours.
 *   2. The King County sales are imported as closed listings (in slices of 5,000, see step 2);
 *      each agent lists an active home.
 *   3. Assignment rules: Eastside ZIP codes to Ben, referrals round-robin, a load-balanced fallback.
 *   4. Forty public-form submissions, six of them duplicates (same email in other case, same phone
 *      in another format, a misspelt name with the same ZIP or the same phone suffix): each new lead
 *      lands on the agent the rules say, with the reason; duplicates merge.
 *   5. Ava works her referral lead: status, preferences, a note, a task with reminders, a radius
 *      search around the preferred area, comparables for a listing, a recorded property view (the
 *      lead score moves from warm to hot).
 *   6. The lead buys the listing: a transaction goes contacted → meeting → offer → accepted →
 *      closed; the commission statement is read; the month's commission report as JSON, CSV, PDF.
 *      The buyer then registers for the client portal with the lead's email address, sees nothing
 *      until they verify it (the verification token is read from identity's development mail sink
 *      over NATS, as the tests do), Ava uploads and shares the purchase agreement, the owner
 *      invoices the buyer a coordination fee, and the buyer reads the portal: their one deal with
 *      its stage, the shared document (downloaded through its signed URL) and the invoice.
 *   7. Refusals: Ben reads Ava's contact, a user of another brokerage reads it and the deal, Ben
 *      reads the audit trail.
 *   8. The owner reads the day's audit trail and verifies its hash chain; the demo reads the day's
 *      domain events straight from Kafka (kafkajs) and counts them by type; the audit trail holds
 *      exactly one entry per event.
 *
 * Working hours: every agent works all week, 00:00–23:59 in America/Los_Angeles, so the
 * load-balanced rule (which only picks agents within their working hours) does not depend on the
 * time the demo runs.
 *
 * Every run registers its own brokerage (names and emails carry a run id), so it runs on a fresh
 * `npm start` and again, next to the "Keyhouse Demo Realty" demo data.
 *
 * Environment: KEYHOUSE_URL (default http://127.0.0.1:3000); Kafka brokers from KAFKA_BROKERS or
 * `tmp/infra.env` (written by `npm start`), topic prefix KAFKA_TOPIC_PREFIX; NATS from NATS_URL or
 * `tmp/infra.env`, subject prefix NATS_SUBJECT_PREFIX (for the client's verification token); KING_COUNTY_CSV (the
 * file, default ../shared/data/king-county/kc_house_data.csv); DEMO_KING_COUNTY_ROWS (import only the
 * first N sales; default the whole file); DEMO_AUDIT_TIMEOUT_SECONDS (default 600).
 *
 * `runBrokerageDay(options)` is the same scenario as a function returning a structured result (the
 * end-to-end test asserts on it): apps/gateway/test/integration/e2e/brokerage-day.integration-spec.ts.
 */
const fs = require('node:fs');
const path = require('node:path');
const { randomBytes, randomUUID } = require('node:crypto');
const { generate } = require('otplib');
const { Kafka, logLevel } = require('kafkajs');
const { connect: connectNats } = require('nats');
const { parse: parseCsv } = require('csv-parse/sync');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_KING_COUNTY_CSV = path.resolve(ROOT, '../shared/data/king-county/kc_house_data.csv');
const PASSWORD = 'harbor-pine-demo-day-2026';
/** Topics whose events the audit trail records (without KAFKA_TOPIC_PREFIX; audit's AUDITED_TOPICS). */
const EVENT_TOPICS = ['identity.events', 'crm.events', 'listings.events', 'deals.events', 'gateway.events', 'notifications.events'];

/** A failed expectation of the scenario: the demo stops and exits non-zero. */
class DemoFailure extends Error {
  constructor(message) {
    super(message);
    this.name = 'DemoFailure';
  }
}

function check(condition, message) {
  if (!condition) throw new DemoFailure(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Cents as `$1,234.56`. */
function money(cents) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}$${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

/** Cents as the report CSV writes them (`123456` → `1234.56`). */
function dollars(cents) {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// The brokerage of the day
// ---------------------------------------------------------------------------------------------

/** Agents: King County ZIP regions, capacity (maximum active leads), all-week working hours. */
const AGENTS = [
  { key: 'ava', name: 'Ava Morgan', regions: ['98103', '98105', '98115'], capacity: 20, languages: ['en'] },
  { key: 'ben', name: 'Ben Okafor', regions: ['98004', '98006', '98008'], capacity: 20, languages: ['en', 'es'] },
  { key: 'chloe', name: 'Chloe Zhang', regions: ['98052', '98053', '98074'], capacity: 3, languages: ['en', 'zh'] },
];
const ALL_WEEK = {
  timezone: 'America/Los_Angeles',
  days: Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((day) => [day, [{ start: '00:00', end: '23:59' }]])),
};

/** One active listing per agent (prices in cents). Ben's in Ravenna (98105) is the one Ava's buyer buys. */
const ACTIVE_LISTINGS = {
  ava: {
    streetNumber: '4512',
    streetName: 'Fremont Ave N',
    city: 'Seattle',
    postalCode: '98103',
    latitude: 47.6615,
    longitude: -122.3503,
    listPrice: 89_500_000,
    bedroomsTotal: 3,
    bathroomsTotalInteger: 2,
    livingArea: 1760,
    yearBuilt: 1924,
  },
  ben: {
    streetNumber: '5230',
    streetName: '17th Ave NE',
    city: 'Seattle',
    postalCode: '98105',
    latitude: 47.6668,
    longitude: -122.3099,
    listPrice: 92_500_000,
    bedroomsTotal: 3,
    bathroomsTotalInteger: 2,
    livingArea: 1850,
    yearBuilt: 1931,
  },
  chloe: {
    streetNumber: '8215',
    streetName: '163rd Ave NE',
    city: 'Redmond',
    postalCode: '98052',
    latitude: 47.6775,
    longitude: -122.1186,
    listPrice: 99_900_000,
    bedroomsTotal: 3,
    bathroomsTotalInteger: 3,
    livingArea: 1980,
    yearBuilt: 2004,
  },
};

/** Centre of the worked lead's preferred area (Ravenna, ZIP 98105), WGS 84. */
const PREFERRED_AREA = { name: 'Ravenna (98105)', lat: 47.6625, lng: -122.3035, radiusMeters: 1500 };

/**
 * Rules, tried in priority order. `zip` sends Ben's Eastside ZIP codes to Ben; `referrals` rotates
 * referral leads over Ava, Ben, Chloe; `fallback` load-balances everything else over the three
 * (fewest active leads under capacity, within working hours; ties to the one assigned longest ago).
 */
const RULES = [
  {
    key: 'zip',
    name: 'Eastside ZIP codes go to Ben',
    priority: 10,
    conditions: { postalCodes: AGENTS[1].regions },
    strategy: 'agent',
    agents: ['ben'],
  },
  {
    key: 'referrals',
    name: 'Referrals rotate across the team',
    priority: 20,
    conditions: { sources: ['referral'] },
    strategy: 'round_robin',
    agents: ['ava', 'ben', 'chloe'],
  },
  { key: 'fallback', name: 'Everyone else: least-loaded agent', priority: 100, strategy: 'load_balanced', agents: ['ava', 'ben', 'chloe'] },
];

/**
 * The forty submissions of the public form, in order. `expect` is where the rules must send a new
 * lead (worked out by hand from the rules above: see the test for the arithmetic); `duplicateOf`
 * is the lead (number) a duplicate must merge into, `why` how it matches.
 */
const LEADS = [
  { first: 'Grace', last: 'Holloway', source: 'facebook', zip: '98004', expect: { agent: 'ben', rule: 'zip' } },
  { first: 'Diego', last: 'Alvarez', source: 'zillow', zip: '98006', phone: '(425) 555-0102', expect: { agent: 'ben', rule: 'zip' } },
  { first: 'Hana', last: 'Sato', source: 'referral', zip: '98008', expect: { agent: 'ben', rule: 'zip' } },
  {
    first: 'Priya',
    last: 'Raman',
    source: 'referral',
    zip: '98115',
    message: 'Relocating from Austin; looking for a 3-bedroom near Ravenna Park.',
    expect: { agent: 'ava', rule: 'referrals' },
  },
  { first: 'Marcus', last: 'Bell', source: 'referral', zip: '98103', phone: '206-555-0105', expect: { agent: 'ben', rule: 'referrals' } },
  { first: 'Lena', last: 'Fischer', source: 'referral', zip: '98052', expect: { agent: 'chloe', rule: 'referrals' } },
  { first: 'Tomás', last: 'Ortega', source: 'referral', zip: null, expect: { agent: 'ava', rule: 'referrals' } },
  { first: 'Katherine', last: 'Lee', source: 'facebook', zip: '98115', expect: { agent: 'chloe', rule: 'fallback' } },
  { first: 'Jonathan', last: 'Smith', source: 'zillow', zip: '98144', phone: '206-555-0109', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Joan', last: 'Smyth', source: 'website', zip: '98144', expect: { agent: 'chloe', rule: 'fallback' } },
  {
    first: 'Grace',
    last: 'Holloway',
    source: 'website',
    zip: '98004',
    emailOf: 1,
    upperCaseEmail: true,
    duplicateOf: 1,
    why: 'same email, other letter case',
  },
  { first: 'Samuel', last: 'Okafor', source: 'realtor_com', zip: '98118', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Beatriz', last: 'Costa', source: 'facebook', zip: '98122', expect: { agent: 'ben', rule: 'fallback' } },
  {
    first: 'Marcus',
    last: 'Bell',
    source: 'website',
    zip: null,
    noEmail: true,
    phone: '+1 (206) 555 0105',
    duplicateOf: 5,
    why: 'same phone in another format',
  },
  { first: 'Yuki', last: 'Tanaka', source: 'open_house', zip: '98105', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Ravi', last: 'Menon', source: 'zillow', zip: '98117', expect: { agent: 'ben', rule: 'fallback' } },
  {
    first: 'Catherine',
    last: 'Lee',
    source: 'website',
    zip: '98115',
    duplicateOf: 8,
    why: 'misspelt name (Katherine → Catherine) with the same ZIP',
  },
  { first: 'Fatima', last: 'Haddad', source: 'website', zip: '98107', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Noah', last: 'Lindqvist', source: 'referral', zip: '98125', expect: { agent: 'ben', rule: 'referrals' } },
  {
    first: 'Jonathan',
    last: 'Smyth',
    source: 'zillow',
    zip: null,
    phone: '425-555-0109',
    duplicateOf: 9,
    why: 'misspelt name (Smith → Smyth) with the same phone suffix',
  },
  { first: 'Elena', last: 'Petrova', source: 'zillow', zip: '98199', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Kwame', last: 'Mensah', source: 'website', zip: '98133', expect: { agent: 'ben', rule: 'fallback' } },
  { first: 'Sofia', last: 'Rossi', source: 'open_house', zip: '98004', expect: { agent: 'ben', rule: 'zip' } },
  { first: 'Liam', last: "O'Connor", source: 'website', zip: '98112', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Mei', last: 'Lin', source: 'realtor_com', zip: '98109', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Arjun', last: 'Patel', source: 'referral', zip: '98006', expect: { agent: 'ben', rule: 'zip' } },
  { first: 'Chiara', last: 'Bianchi', source: 'referral', zip: '98118', expect: { agent: 'chloe', rule: 'referrals' } },
  {
    first: 'Diego',
    last: 'Alvarez',
    source: 'zillow',
    zip: null,
    noEmail: true,
    phone: '425.555.0102',
    duplicateOf: 2,
    why: 'same phone in another format',
  },
  { first: 'Isabela', last: 'Souza', source: 'website', zip: '98102', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Hiroshi', last: 'Kato', source: 'zillow', zip: '98074', expect: { agent: 'ben', rule: 'fallback' } },
  { first: 'Olga', last: 'Ivanova', source: 'website', zip: '98105', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Ahmed', last: 'Farouk', source: 'sign_call', zip: '98008', expect: { agent: 'ben', rule: 'zip' } },
  { first: 'Nora', last: 'Walsh', source: 'website', zip: '98116', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Daniel', last: 'Kim', source: 'referral', zip: '98053', expect: { agent: 'ava', rule: 'referrals' } },
  { first: 'Zara', last: 'Whitfield', source: 'website', zip: '98126', expect: { agent: 'ben', rule: 'fallback' } },
  { first: 'Pablo', last: 'Navarro', source: 'zillow', zip: '98136', expect: { agent: 'ava', rule: 'fallback' } },
  {
    first: 'Samuel',
    last: 'Okafor',
    source: 'realtor_com',
    zip: '98118',
    emailOf: 12,
    duplicateOf: 12,
    why: 'same email',
    message: 'Still interested, can we see homes this weekend?',
  },
  { first: 'Greta', last: 'Nilsson', source: 'website', zip: '98144', expect: { agent: 'ben', rule: 'fallback' } },
  { first: 'Victor', last: 'Huang', source: 'open_house', zip: '98052', expect: { agent: 'ava', rule: 'fallback' } },
  { first: 'Aisha', last: 'Bello', source: 'website', zip: '98168', expect: { agent: 'ben', rule: 'fallback' } },
];
/** The lead Ava works in steps 5 and 6 (1-based): Priya Raman, a referral. */
const WORKED_LEAD = 4;
/** The lead (number) who gets a listing alert by SMS in step 5 and texts STOP (contacts slice): Ava's, SMS consent from the form. */
const ALERTED_LEAD = 18;
/** The two homes Ava lists as coming soon in Magnolia (98199) for lead 18's saved search (contacts slice): not Active, so no count of active listings changes. */
const MAGNOLIA_LISTINGS = [
  {
    streetNumber: '3215',
    streetName: 'W Raye St',
    latitude: 47.6431,
    longitude: -122.4012,
    listPrice: 112_500_000,
    bedroomsTotal: 4,
    bathroomsTotalInteger: 3,
    livingArea: 2450,
    yearBuilt: 1938,
  },
  {
    streetNumber: '2807',
    streetName: 'W Lynn St',
    latitude: 47.6402,
    longitude: -122.3934,
    listPrice: 98_000_000,
    bedroomsTotal: 3,
    bathroomsTotalInteger: 2,
    livingArea: 1980,
    yearBuilt: 1951,
  },
];
/** The transaction coordination fee the owner invoices the buyer in step 6 (cents): $495.00. */
const COORDINATION_FEE = 49_500;

/**
 * The commission plan of the day (assigned to Ava): 2.75 % gross, a 25 % referral fee off the top
 * (the lead came by referral), 70/30 rising to 80/20 once the agent's year-to-date GCI passes
 * $10,000, a $395 transaction fee, a $20,000 annual brokerage cap.
 */
const PLAN = {
  name: 'Harbor & Pine standard 70/30 → 80/20',
  grossRateBps: 275,
  referralFeeBps: 2500,
  agentSplitBps: 7000,
  tiers: [{ thresholdCents: 1_000_000, agentSplitBps: 8000 }],
  transactionFeeCents: 39_500,
  annualCapCents: 2_000_000,
};
/** Ravenna sells under asking: $912,345.00. */
const CLOSE_PRICE = 91_234_500;

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

function createApi(baseUrl, log) {
  /**
   * One request. `body` is sent as JSON, `raw` as is with `contentType`. 429 answers are retried
   * after their Retry-After (the public form and login routes are rate limited per IP).
   */
  return async function api(method, route, { token, body, raw, form, contentType, headers = {} } = {}) {
    for (let attempt = 0; ; attempt += 1) {
      const sent = { ...headers };
      if (token) sent.authorization = `Bearer ${token}`;
      let payload;
      if (form !== undefined) {
        // multipart/form-data: fetch writes the content type with its boundary.
        payload = form;
      } else if (raw !== undefined) {
        payload = raw;
        sent['content-type'] = contentType ?? 'text/plain';
      } else if (body !== undefined) {
        payload = JSON.stringify(body);
        sent['content-type'] = 'application/json';
      }
      const url = /^https?:\/\//.test(route) ? route : `${baseUrl}${route}`;
      const response = await fetch(url, { method, headers: sent, body: payload });
      const buffer = Buffer.from(await response.arrayBuffer());
      if (response.status === 429 && attempt < 3) {
        const seconds = Math.min(65, Number(response.headers.get('retry-after')) || 5);
        log(`    (rate limited on ${method} ${route}; waiting ${seconds} s as the gateway asks)`);
        await sleep(seconds * 1000);
        continue;
      }
      const type = response.headers.get('content-type') ?? '';
      let parsed = null;
      if (type.includes('json') && buffer.length) parsed = JSON.parse(buffer.toString('utf8'));
      return { status: response.status, headers: response.headers, contentType: type, body: parsed, buffer };
    }
  };
}

function describe(response) {
  const body = response.body;
  if (body && typeof body === 'object') {
    const detail = [body.code, body.detail ?? body.title, body.errors ? JSON.stringify(body.errors) : null].filter(Boolean).join(' ');
    return detail || JSON.stringify(body).slice(0, 300);
  }
  return response.buffer.toString('utf8').slice(0, 300);
}

/** The body when the status is the expected one; otherwise a DemoFailure naming what was asked. */
function expectStatus(response, status, what) {
  const allowed = Array.isArray(status) ? status : [status];
  if (!allowed.includes(response.status)) {
    throw new DemoFailure(`${what}: expected HTTP ${allowed.join(' or ')}, got ${response.status} (${describe(response)})`);
  }
  return response.body;
}

// ---------------------------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------------------------

/** KAFKA_BROKERS / KAFKA_TOPIC_PREFIX from the environment, else from tmp/infra.env. */
function kafkaSettingsFromEnvironment() {
  let brokers = process.env.KAFKA_BROKERS;
  let prefix = process.env.KAFKA_TOPIC_PREFIX;
  const file = path.join(ROOT, 'tmp', 'infra.env');
  if ((!brokers || prefix === undefined) && fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (!match) continue;
      if (match[1] === 'KAFKA_BROKERS' && !brokers) brokers = match[2];
      if (match[1] === 'KAFKA_TOPIC_PREFIX' && prefix === undefined) prefix = match[2];
    }
  }
  return {
    brokers: (brokers ?? '127.0.0.1:9092')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
    prefix: prefix ?? '',
  };
}

/** NATS_URL / NATS_SUBJECT_PREFIX from the environment, else from tmp/infra.env. */
function natsSettingsFromEnvironment() {
  let url = process.env.NATS_URL;
  let prefix = process.env.NATS_SUBJECT_PREFIX;
  const file = path.join(ROOT, 'tmp', 'infra.env');
  if ((!url || prefix === undefined) && fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
      if (!match) continue;
      if (match[1] === 'NATS_URL' && !url) url = match[2];
      if (match[1] === 'NATS_SUBJECT_PREFIX' && prefix === undefined) prefix = match[2];
    }
  }
  return { url: url ?? 'nats://127.0.0.1:4222', prefix: prefix ?? '' };
}

/**
 * The secrets (`token`, `link`) of the newest `template` mail to `to`, from identity's development
 * mail sink: NATS request/reply on `identity.local-mailbox.secrets` (IdentityOrganizationSubjects.
 * localMailboxSecrets; never routed by the gateway, answered only outside production), as the
 * tests' `mailSecrets` does. The request is the envelope `{ actor: null, requestId, data }`; the
 * reply `{ ok, data | error }`. Asks again for up to 20 s while the mail is not there yet.
 */
async function mailSecrets(nats, to, template) {
  const connection = await connectNats({ servers: nats.url, name: 'keyhouse-demo' });
  try {
    for (let attempt = 0; ; attempt += 1) {
      const requestId = randomUUID();
      const envelope = JSON.stringify({ actor: null, requestId, data: { to, template } });
      const message = await connection.request(`${nats.prefix}identity.local-mailbox.secrets`, new TextEncoder().encode(envelope), {
        timeout: 5000,
      });
      const reply = JSON.parse(new TextDecoder().decode(message.data));
      if (!reply.ok) throw new DemoFailure(`identity's mail sink refused: ${JSON.stringify(reply.error)}`);
      if (reply.data.items.length > 0) return reply.data.items[0].secrets;
      if (attempt >= 40) throw new DemoFailure(`no ${template} mail to ${to}`);
      await sleep(500);
    }
  } finally {
    await connection.drain().catch(() => connection.close());
  }
}

/**
 * Reads the domain events of one organization from the audited topics, starting at the offsets the
 * topics had when the run began (so earlier runs and the demo organization are not re-read; events
 * are also filtered by `orgid` and de-duplicated by CloudEvents `id`, as delivery is at least once).
 */
class EventReader {
  constructor({ brokers, prefix, runId }) {
    this.prefix = prefix;
    this.kafka = new Kafka({
      clientId: `keyhouse-demo-${runId}`,
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10000,
    });
    this.groupId = `keyhouse-demo-${runId}`;
    this.start = new Map();
    this.low = new Map();
    this.position = new Map();
    this.events = new Map();
    this.orgId = null;
  }

  /** Offsets of every partition of every topic: where the day starts (or the current end). */
  async offsets() {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const result = new Map();
      for (const topic of EVENT_TOPICS) {
        for (const partition of await admin.fetchTopicOffsets(this.prefix + topic)) {
          const key = `${this.prefix}${topic}/${partition.partition}`;
          result.set(key, BigInt(partition.high));
          this.low.set(key, BigInt(partition.low));
        }
      }
      return result;
    } finally {
      await admin.disconnect();
    }
  }

  async markStart() {
    this.start = await this.offsets();
  }

  async open(orgId) {
    this.orgId = orgId;
    this.consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500, allowAutoTopicCreation: true });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: EVENT_TOPICS.map((topic) => this.prefix + topic), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.position.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
        let event;
        try {
          event = JSON.parse(message.value?.toString('utf8') ?? '');
        } catch {
          return;
        }
        if (!event || event.orgid !== this.orgId || typeof event.id !== 'string') return;
        this.events.set(event.id, { type: event.type, topic: topic.slice(this.prefix.length), time: event.time });
      },
    });
    for (const [key, offset] of this.start) {
      const slash = key.lastIndexOf('/');
      this.consumer.seek({ topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)), offset: String(offset) });
    }
  }

  /** Waits until the consumer has read up to `ends` (partition → offset). */
  async catchUp(ends, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const behind = [...ends].filter(([key, end]) => end > (this.start.get(key) ?? 0n) && (this.position.get(key) ?? 0n) < end);
      if (behind.length === 0) return;
      if (Date.now() > deadline)
        throw new DemoFailure(
          `Kafka: the consumer did not reach the end of ${behind.map(([key]) => key).join(', ')} within ${timeoutMs / 1000} s`,
        );
      await sleep(200);
    }
  }

  /**
   * Partitions whose log now starts after this run's first offset: the broker deleted messages of
   * the day (librdkafka's mock cluster, the local broker of `npm start`, keeps about 5 MB per
   * partition), so whatever had not read them yet never will.
   */
  pruned() {
    return [...this.low]
      .filter(([key, low]) => low > (this.start.get(key) ?? 0n))
      .map(
        ([key, low]) => `${key.slice(this.prefix.length)} now starts at offset ${low} (the day started at ${this.start.get(key) ?? 0n})`,
      );
  }

  countsByType() {
    const counts = {};
    for (const { type } of this.events.values()) counts[type] = (counts[type] ?? 0) + 1;
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
  }

  countsByTopic() {
    const counts = {};
    for (const { topic } of this.events.values()) counts[topic] = (counts[topic] ?? 0) + 1;
    return counts;
  }

  async close() {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// The scenario
// ---------------------------------------------------------------------------------------------

/** The first `rows` sales of the King County file (header kept), or the whole file. */
function kingCountyCsv(file, rows) {
  const text = fs.readFileSync(file, 'utf8');
  if (!rows) return { csv: text, rows: text.trim().split('\n').length - 1 };
  const lines = text.split('\n');
  const slice = lines.slice(0, rows + 1).filter((line) => line.trim());
  return { csv: `${slice.join('\n')}\n`, rows: slice.length - 1 };
}

/**
 * Runs the brokerage's day against a running gateway and returns what happened.
 *
 * @param {object} options
 * @param {string} options.baseUrl gateway base URL (`http://127.0.0.1:3000`)
 * @param {string[]|string} options.kafkaBrokers Kafka bootstrap brokers (array or comma-separated)
 * @param {string} [options.topicPrefix] KAFKA_TOPIC_PREFIX of the stack ('' by default)
 * @param {(line: string) => void} [options.log] where the plain-words narration goes (console.log)
 * @param {number|null} [options.kingCountyRows] import only the first N King County sales (null: all)
 * @param {number} [options.importSliceRows] sales per import request (5,000; see step 2)
 * @param {string} [options.kingCountyCsv] the King County file
 * @param {string} [options.runId] suffix of names and emails (random by default)
 * @param {number} [options.auditTimeoutMs] how long step 8 waits for the audit trail to record every event
 */
async function runBrokerageDay(options) {
  const log = options.log ?? ((line) => console.log(line));
  const runId = options.runId ?? randomBytes(3).toString('hex');
  const api = createApi(options.baseUrl.replace(/\/$/, ''), log);
  const brokers = Array.isArray(options.kafkaBrokers)
    ? options.kafkaBrokers
    : String(options.kafkaBrokers)
        .split(',')
        .map((item) => item.trim());
  const reader = new EventReader({ brokers, prefix: options.topicPrefix ?? '', runId });
  const nats = options.nats ?? natsSettingsFromEnvironment();
  const auditTimeoutMs = options.auditTimeoutMs ?? 600_000;
  const started = Date.now();
  const step = (n, title) => log(`\nStep ${n}. ${title}`);
  const ok = (line) => log(`  ✓ ${line}`);
  const info = (line) => log(`    ${line}`);
  const email = (label) => `${label}.${runId}@harbor-pine.keyhouse.test`;
  const result = { runId };

  await reader.markStart();
  try {
    // ----------------------------------------------------------------------------- step 1
    step(1, 'A brokerage registers; the owner turns on 2FA, logs in with it and builds the team');
    const organizationName = `Harbor & Pine Realty ${runId}`;
    const owner = { name: 'Olivia Harbor', email: email('olivia') };
    const registered = expectStatus(
      await api('POST', '/v1/auth/register', { body: { organizationName, name: owner.name, email: owner.email, password: PASSWORD } }),
      201,
      'register the brokerage',
    );
    owner.id = registered.user.id;
    const orgId = registered.organization.id;
    result.organization = { id: orgId, name: organizationName };
    // From now on the day's events are read from Kafka as they come (step 8 counts them).
    await reader.open(orgId);
    ok(`"${organizationName}" registered (organization ${orgId}); owner ${owner.email}`);

    const enrolment = expectStatus(await api('POST', '/v1/auth/mfa/enroll', { token: registered.accessToken }), 200, 'start 2FA enrolment');
    check(/^otpauth:\/\/totp\//.test(enrolment.otpauthUri), `2FA enrolment: expected an otpauth://totp/ URI, got ${enrolment.otpauthUri}`);
    // Confirm with the previous 30-second step's code, so that the login below can use the current one
    // (a code is accepted once: the identity service refuses a replayed code).
    const confirmCode = await generate({ secret: enrolment.secret, epoch: Math.floor(Date.now() / 1000) - 30 });
    const recovery = expectStatus(
      await api('POST', '/v1/auth/mfa/confirm', { token: registered.accessToken, body: { code: confirmCode } }),
      200,
      'confirm 2FA',
    );
    check(recovery.recoveryCodes?.length === 10, `2FA confirm: expected 10 recovery codes, got ${recovery.recoveryCodes?.length}`);
    ok(`Owner enrolled an authenticator (TOTP) and got ${recovery.recoveryCodes.length} recovery codes`);

    const challenge = expectStatus(
      await api('POST', '/v1/auth/login', { body: { email: owner.email, password: PASSWORD } }),
      200,
      'owner login (password)',
    );
    check(challenge.mfaRequired === true && !challenge.accessToken, 'owner login: with 2FA on, the password alone must not give tokens');
    const loginCode = await generate({ secret: enrolment.secret });
    const ownerSession = expectStatus(
      await api('POST', '/v1/auth/mfa/verify', { body: { mfaToken: challenge.mfaToken, code: loginCode } }),
      200,
      'owner 2FA verify',
    );
    let ownerToken = ownerSession.accessToken;
    let ownerRefresh = ownerSession.refreshToken;

    /**
     * Waits until the audit trail holds one entry per event of the brokerage read from Kafka so far
     * (the newest entry's `seq` is the length of the organization's chain), seen twice in a row.
     */
    const auditCaughtUp = async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      let audited = -1;
      let kafkaCount = -1;
      let stable = 0;
      let lastReport = Date.now();
      for (;;) {
        await reader.catchUp(await reader.offsets());
        kafkaCount = reader.events.size;
        const newest = expectStatus(await api('GET', '/v1/audit-logs?limit=1', { token: ownerToken }), 200, 'read the audit trail');
        audited = newest.items[0]?.seq ?? 0;
        if (audited === kafkaCount) {
          stable += 1;
          if (stable >= 2) return audited;
        } else {
          stable = 0;
        }
        if (Date.now() > deadline) break;
        if (Date.now() - lastReport > 10_000) {
          info(`… the audit trail has recorded ${audited.toLocaleString('en-US')} of ${kafkaCount.toLocaleString('en-US')} events so far`);
          lastReport = Date.now();
        }
        await sleep(stable > 0 ? 3000 : 1000);
      }
      const pruned = reader.pruned();
      throw new DemoFailure(
        `audit: expected one entry per event of the organization (${kafkaCount} events read from Kafka), the trail has ${audited} after ${timeoutMs / 1000} s` +
          (pruned.length ? `; the Kafka broker deleted messages of the day before they were read: ${pruned.join('; ')}` : ''),
      );
    };
    const me = expectStatus(await api('GET', '/v1/users/me', { token: ownerToken }), 200, 'owner profile');
    check(me.mfaEnabled === true, 'owner profile: mfaEnabled must be true');
    result.mfa = {
      passwordAloneGaveTokens: Boolean(challenge.accessToken),
      mfaRequired: challenge.mfaRequired === true,
      verified: true,
      mfaEnabled: me.mfaEnabled,
    };
    ok('Password alone answered "2FA required"; the owner logged in with a six-digit authenticator code');

    const organization = expectStatus(await api('GET', '/v1/organizations/current', { token: ownerToken }), 200, 'read the organization');
    check(
      typeof organization.publicFormKey === 'string' && organization.publicFormKey.length > 0,
      'organization: a public form key is expected',
    );

    const manager = expectStatus(
      await api('POST', '/v1/users', {
        token: ownerToken,
        body: { email: email('marcus'), name: 'Marcus Reed', role: 'manager', password: PASSWORD },
      }),
      201,
      'add the manager',
    );
    const team = expectStatus(
      await api('POST', '/v1/teams', { token: ownerToken, body: { name: 'Seattle & Eastside', managerId: manager.id } }),
      201,
      'create the team',
    );
    ok(`Manager ${manager.name} (${manager.email}) runs the team "${team.name}"`);

    const agents = {};
    for (const profile of AGENTS) {
      const created = expectStatus(
        await api('POST', '/v1/agents', {
          token: ownerToken,
          body: {
            name: profile.name,
            email: email(profile.key),
            password: PASSWORD,
            teamIds: [team.id],
            regions: profile.regions,
            languages: profile.languages,
            capacity: profile.capacity,
            licenseState: 'WA',
            workingHours: ALL_WEEK,
          },
        }),
        201,
        `add agent ${profile.name}`,
      );
      check(
        JSON.stringify(created.regions) === JSON.stringify(profile.regions) && created.capacity === profile.capacity,
        `agent ${profile.name}: regions/capacity not stored as given (${JSON.stringify(created)})`,
      );
      agents[profile.key] = {
        key: profile.key,
        id: created.userId,
        name: profile.name,
        email: created.email,
        regions: profile.regions,
        capacity: profile.capacity,
      };
      ok(
        `Agent ${profile.name}: ZIP ${profile.regions.join(', ')}; capacity ${profile.capacity} active leads; works all week 00:00–23:59 Pacific`,
      );
    }
    const tokens = {};
    for (const agent of Object.values(agents)) {
      tokens[agent.key] = expectStatus(
        await api('POST', '/v1/auth/login', { body: { email: agent.email, password: PASSWORD } }),
        200,
        `login of ${agent.name}`,
      ).accessToken;
    }
    const agentKeyOf = (userId) => Object.values(agents).find((agent) => agent.id === userId)?.key ?? null;
    result.users = {
      owner: { id: owner.id, email: owner.email },
      manager: { id: manager.id, email: manager.email },
      teamId: team.id,
      agents,
    };

    // ----------------------------------------------------------------------------- step 2
    step(2, 'The King County sales come in as closed listings; each agent lists an active home');
    const file = options.kingCountyCsv ?? process.env.KING_COUNTY_CSV ?? DEFAULT_KING_COUNTY_CSV;
    const { csv, rows } = kingCountyCsv(file, options.kingCountyRows ?? null);
    // In slices of `importSliceRows` sales, letting the audit trail record each slice's events before
    // the next: the local Kafka broker (librdkafka's mock cluster) keeps only about 5 MB per
    // partition, and the 21,613 `listings.property.created` events of the whole file at once would
    // push unread ones out of it (the audit trail records about 300 events/s).
    const [header, ...lines] = csv.split('\n').filter((line) => line.trim());
    const sliceRows = options.importSliceRows ?? 5000;
    const imported = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, durationMs: 0 };
    for (let from = 0; from < lines.length; from += sliceRows) {
      if (from > 0) {
        info(
          `… ${from.toLocaleString('en-US')} of ${lines.length.toLocaleString('en-US')} sales in; letting the audit trail record them first`,
        );
        await auditCaughtUp(auditTimeoutMs);
      }
      const slice = `${header}\n${lines.slice(from, from + sliceRows).join('\n')}\n`;
      const answer = expectStatus(
        await api('POST', '/v1/properties/import', { token: ownerToken, raw: slice, contentType: 'text/csv' }),
        200,
        `import the King County sales ${from + 1}–${Math.min(from + sliceRows, lines.length)}`,
      );
      for (const key of Object.keys(imported)) imported[key] += answer[key];
    }
    check(imported.rows === rows, `import: expected ${rows} rows read, got ${imported.rows}`);
    check(
      imported.created + imported.rejected === rows,
      `import: created ${imported.created} + rejected ${imported.rejected} should be the ${rows} rows`,
    );
    result.import = { rows: imported.rows, created: imported.created, rejected: imported.rejected, durationMs: imported.durationMs };
    ok(
      `${imported.created.toLocaleString('en-US')} King County sales (May 2014 – May 2015) imported as Closed listings in ${(imported.durationMs / 1000).toFixed(1)} s; ${imported.rejected} rejected`,
    );
    const listings = {};
    for (const agent of Object.values(agents)) {
      const body = {
        ...ACTIVE_LISTINGS[agent.key],
        listingKey: `HP-${runId}-${agent.key.toUpperCase()}`,
        standardStatus: 'Active',
        propertyType: 'Residential',
        stateOrProvince: 'WA',
      };
      const created = expectStatus(
        await api('POST', '/v1/properties', { token: tokens[agent.key], body }),
        201,
        `${agent.name} lists ${body.streetNumber} ${body.streetName}`,
      );
      check(
        created.listAgentId === agent.id && created.listPrice === body.listPrice,
        `listing ${created.id}: list agent or price not as given`,
      );
      listings[agent.key] = created;
      ok(
        `${agent.name} listed ${created.unparsedAddress ?? `${body.streetNumber} ${body.streetName}`}, ${created.city} ${created.postalCode}: ${money(created.listPrice)}, ${created.bedroomsTotal} bd, ${created.livingArea} sq ft`,
      );
    }
    result.listings = Object.fromEntries(
      Object.entries(listings).map(([key, listing]) => [
        key,
        { id: listing.id, postalCode: listing.postalCode, listPrice: listing.listPrice },
      ]),
    );

    // ----------------------------------------------------------------------------- step 3
    step(3, "The brokerage's own lead source; assignment rules: a ZIP rule, a round-robin pool and a load-balanced fallback");
    // Lead sources are the organization's list (issue 13 item 16): the 13 defaults plus its own.
    const facebook = expectStatus(
      await api('POST', '/v1/lead-sources', { token: ownerToken, body: { key: 'facebook', label: 'Facebook' } }),
      201,
      'add the lead source facebook',
    );
    check(facebook.builtIn === false && facebook.archived === false, 'lead source facebook: expected a custom, active source');
    result.leadSources = { added: facebook.key, position: facebook.position };
    ok(`Lead source "${facebook.label}" added to the 13 defaults (position ${facebook.position})`);
    const rules = {};
    for (const rule of RULES) {
      const body = {
        name: rule.name,
        priority: rule.priority,
        strategy: rule.strategy,
        agentIds: rule.agents.map((key) => agents[key].id),
        ...(rule.conditions ? { conditions: rule.conditions } : {}),
      };
      // The crm learns new agents from identity's events: right after they are added it may not know them yet.
      let response;
      for (let attempt = 0; attempt < 60; attempt += 1) {
        response = await api('POST', '/v1/assignment-rules', { token: ownerToken, body });
        if (response.status !== 400 && response.status !== 404) break;
        await sleep(500);
      }
      const created = expectStatus(response, 201, `create the rule "${rule.name}"`);
      rules[rule.key] = { id: created.id, name: created.name, priority: created.priority, strategy: created.strategy };
      ok(
        `#${rule.priority} "${rule.name}" (${rule.strategy.replace('_', '-')}${rule.conditions ? `, when ${JSON.stringify(rule.conditions)}` : ', any lead'}) over ${rule.agents.map((key) => agents[key].name).join(', ')}`,
      );
    }
    const ruleKeyOf = (ruleId) => Object.entries(rules).find(([, rule]) => rule.id === ruleId)?.[0] ?? null;
    const ordered = expectStatus(await api('GET', '/v1/assignment-rules', { token: ownerToken }), 200, 'list the rules');
    const order = (Array.isArray(ordered) ? ordered : ordered.items).map((rule) => rule.id);
    check(
      JSON.stringify(order) === JSON.stringify(RULES.map((rule) => rules[rule.key].id)),
      'rules: expected them listed in priority order',
    );
    result.rules = rules;

    // ----------------------------------------------------------------------------- step 4
    step(4, `Forty leads arrive through the public form (key ${organization.publicFormKey.slice(0, 6)}…), six of them duplicates`);
    const leads = [];
    for (const [index, lead] of LEADS.entries()) {
      const n = index + 1;
      const leadEmail = lead.noEmail
        ? undefined
        : lead.emailOf
          ? leads[lead.emailOf - 1].email
          : `${lead.first}.${lead.last}`
              .toLowerCase()
              .normalize('NFD')
              .replace(/[^a-z.]/g, '') + `.${runId}@mail.example.test`;
      const sentEmail =
        leadEmail && lead.upperCaseEmail
          ? leadEmail.replace(/^[a-z]+\.[a-z]+/, (name) => name.replace(/\b[a-z]/g, (c) => c.toUpperCase()))
          : leadEmail;
      const phone = lead.phone ?? `(206) 555-${String(100 + n).padStart(4, '0')}`;
      const body = {
        formKey: organization.publicFormKey,
        firstName: lead.first,
        lastName: lead.last,
        ...(sentEmail ? { email: sentEmail } : {}),
        phone,
        source: lead.source,
        ...(lead.zip ? { postalCode: lead.zip } : {}),
        contactType: 'buyer',
        formType: 'home-search',
        message: lead.message ?? `Hello, I am looking to buy${lead.zip ? ` around ${lead.zip}` : ''}.`,
        consent: { email: true, sms: n % 2 === 0 },
        utm: { utm_source: lead.source, utm_campaign: 'spring-open-houses' },
      };
      const response = await api('POST', '/v1/public/leads', { body, headers: { 'idempotency-key': `demo-${runId}-lead-${n}` } });
      const record = {
        n,
        name: `${lead.first} ${lead.last}`,
        source: lead.source,
        postalCode: lead.zip,
        email: leadEmail ?? null,
        sentEmail: sentEmail ?? null,
        phone,
        status: response.status,
      };
      // The public form answers every person alike, new or known (201 { submissionId }: issue 13 item 6);
      // the owner finds the contact that holds the submission on its timeline.
      const answer = expectStatus(response, 201, `lead ${n} (${record.name})`);
      check(typeof answer.submissionId === 'string', `lead ${n}: expected a submissionId`);
      const holds = async (contactId) => {
        const timeline = expectStatus(
          await api('GET', `/v1/contacts/${contactId}/timeline?limit=100`, { token: ownerToken }),
          200,
          `timeline of ${contactId}`,
        );
        return timeline.items.find((entry) => entry.kind === 'form.submitted' && entry.data?.submissionId === answer.submissionId) ?? null;
      };
      if (lead.duplicateOf) {
        const original = leads[lead.duplicateOf - 1];
        const entry = await holds(original.contactId);
        check(
          entry !== null,
          `lead ${n} (${record.name}): expected its submission on lead ${lead.duplicateOf}'s contact (${original.name}, ${original.contactId})`,
        );
        check(entry.data.proposed !== undefined, `lead ${n}: the submitted details should wait for the agent (proposed)`);
        // The owner accepts the details the submission proposed (new email or phone) for the known contact.
        expectStatus(
          await api('POST', `/v1/contacts/${original.contactId}/proposed-details/${entry.id}/accept`, { token: ownerToken }),
          200,
          `accept lead ${n}'s details for lead ${lead.duplicateOf}`,
        );
        Object.assign(record, { contactId: original.contactId, merged: true, duplicateOf: lead.duplicateOf, why: lead.why });
        ok(
          `Lead ${n}: ${record.name} (${lead.source}${sentEmail ? `, ${sentEmail}` : ''}, ${phone}) joined lead ${lead.duplicateOf}: ${lead.why}; the owner accepted its details`,
        );
      } else {
        const search = encodeURIComponent(leadEmail ?? `${lead.first} ${lead.last}`);
        const found = expectStatus(await api('GET', `/v1/contacts?q=${search}&limit=10`, { token: ownerToken }), 200, `find lead ${n}`);
        let contactId = null;
        for (const item of found.items) if (await holds(item.id)) contactId = item.id;
        check(contactId !== null, `lead ${n} (${record.name}): no contact holds its submission`);
        answer.contactId = contactId;
        const assignment = expectStatus(
          await api('GET', `/v1/contacts/${answer.contactId}/assignment`, { token: ownerToken }),
          200,
          `assignment of lead ${n}`,
        );
        const agentKey = agentKeyOf(assignment.ownerId);
        const ruleKey = ruleKeyOf(assignment.ruleId);
        Object.assign(record, {
          contactId: answer.contactId,
          merged: false,
          ownerId: assignment.ownerId,
          agent: agentKey,
          ruleId: assignment.ruleId,
          rule: ruleKey,
          reason: assignment.reason,
        });
        check(
          agentKey === lead.expect.agent && ruleKey === lead.expect.rule,
          `lead ${n} (${record.name}, ${lead.source}, ZIP ${lead.zip ?? 'none'}): expected ${agents[lead.expect.agent].name} by "${rules[lead.expect.rule].name}", got ${agentKey ?? assignment.ownerId ?? 'nobody'} by ${ruleKey ?? assignment.ruleId} (${assignment.reason})`,
        );
        check(
          typeof assignment.reason === 'string' && assignment.reason.includes(rules[ruleKey].name),
          `lead ${n}: the reason should name the rule (${assignment.reason})`,
        );
        ok(`Lead ${n}: ${record.name} (${lead.source}, ZIP ${lead.zip ?? '—'}) → ${agents[agentKey].name}. ${assignment.reason}`);
      }
      leads.push(record);
    }
    const sourceReport = expectStatus(await api('GET', '/v1/reports/lead-sources', { token: ownerToken }), 200, 'lead-source report');
    const facebookLeads = leads.filter((lead) => lead.source === 'facebook' && !lead.merged).length;
    const facebookRow = sourceReport.sources.find((row) => row.key === 'facebook');
    check(facebookRow?.leads === facebookLeads, `lead-source report: expected ${facebookLeads} facebook leads, got ${facebookRow?.leads}`);
    result.leadSourceReport = Object.fromEntries(
      sourceReport.sources.filter((row) => row.leads > 0).map((row) => [row.key ?? 'none', row.leads]),
    );
    ok(
      `Leads by source: ${Object.entries(result.leadSourceReport)
        .map(([key, n]) => `${key} ${n}`)
        .join(', ')}`,
    );
    const perAgent = Object.fromEntries(Object.keys(agents).map((key) => [key, leads.filter((lead) => lead.agent === key).length]));
    const ledger = expectStatus(
      await api('GET', `/v1/assignment-rules/${rules.referrals.id}/ledger`, { token: ownerToken }),
      200,
      'fairness ledger of the referral rotation',
    );
    const ledgerItems = Array.isArray(ledger) ? ledger : (ledger.items ?? ledger.entries ?? []);
    result.leads = leads;
    result.merges = leads
      .filter((lead) => lead.merged)
      .map((lead) => ({ n: lead.n, into: lead.duplicateOf, contactId: lead.contactId, why: lead.why }));
    result.leadsPerAgent = perAgent;
    result.referralLedger = Object.fromEntries(
      ledgerItems.map((entry) => [agentKeyOf(entry.agentId), { assigned: entry.assigned, shareBps: entry.shareBps }]),
    );
    const contactsPage = expectStatus(await api('GET', '/v1/contacts?limit=100', { token: ownerToken }), 200, 'list the contacts');
    result.contactCount = contactsPage.items.length;
    check(
      contactsPage.items.length === leads.filter((lead) => !lead.merged).length,
      `contacts: expected ${leads.filter((lead) => !lead.merged).length} contacts after the merges, the list shows ${contactsPage.items.length}`,
    );
    ok(
      `${leads.length} submissions → ${result.contactCount} contacts (${result.merges.length} merged). Leads per agent: ${Object.entries(
        perAgent,
      )
        .map(([key, count]) => `${agents[key].name} ${count}`)
        .join(', ')}; referral rotation ledger: ${Object.entries(result.referralLedger)
        .map(([key, entry]) => `${agents[key]?.name ?? key} ${entry.assigned}`)
        .join(', ')}`,
    );

    // ----------------------------------------------------------------------------- step 5
    const worked = leads[WORKED_LEAD - 1];
    const ava = agents.ava;
    const avaToken = tokens.ava;
    const target = listings.ben;
    step(5, `${ava.name} works her lead ${worked.name}`);
    check(worked.agent === 'ava', `the worked lead should be Ava's, it is ${worked.agent}`);
    // Every lead the rules gave her reached her as a notification (in-app, and by email through
    // SendGrid's API: the provider sandbox under `npm start`, the local sink in the tests).
    let inbox = { count: 0 };
    for (let attempt = 0; attempt < 60 && inbox.count < perAgent.ava; attempt += 1) {
      if (attempt > 0) await sleep(250);
      inbox = expectStatus(await api('GET', '/v1/notifications/unread-count', { token: avaToken }), 200, `${ava.name}'s unread count`);
    }
    check(inbox.count === perAgent.ava, `notifications: expected ${perAgent.ava} unread for ${ava.name}, got ${inbox.count}`);
    const assigned = expectStatus(
      await api('GET', '/v1/notifications?type=lead_assigned&limit=100', { token: avaToken }),
      200,
      `${ava.name}'s lead notifications`,
    );
    const aboutWorked = assigned.items.find((item) => item.data?.contactId === worked.contactId);
    check(aboutWorked !== undefined, `notifications: none about ${worked.name}`);
    expectStatus(await api('POST', `/v1/notifications/${aboutWorked.id}/read`, { token: avaToken }), 200, 'read the notification');
    const unreadAfter = expectStatus(await api('GET', '/v1/notifications/unread-count', { token: avaToken }), 200, 'unread count').count;
    const history = expectStatus(
      await api('GET', '/v1/notifications/history?type=lead_assigned&limit=100', { token: avaToken }),
      200,
      `${ava.name}'s notification history`,
    );
    const channels = [...new Set(history.items.flatMap((item) => item.deliveries.map((delivery) => delivery.channel)))].sort();
    result.notifications = { leadAssigned: assigned.items.length, unreadBefore: inbox.count, unreadAfter, channels };
    ok(
      `${ava.name} has ${assigned.items.length} "lead assigned" notifications (${channels.join(' and ')}); she opens the one about ${worked.name}: ${unreadAfter} unread`,
    );
    // The email went through the SendGrid SDK to the provider sandbox, which reports delivery and
    // then (asked to) the open, through the signed Event Webhook back to the gateway.
    const sandboxUrl = options.sandboxUrl ?? process.env.PROVIDER_SANDBOX_URL ?? 'http://127.0.0.1:3190';
    const sent = await (await fetch(`${sandboxUrl}/sandbox/sendgrid/messages?to=${encodeURIComponent(ava.email)}`)).json();
    const agentEmail = sent.find((message) =>
      message.recipients.some((recipient) => recipient.customArgs.notificationId === aboutWorked.id),
    );
    check(agentEmail !== undefined, `provider sandbox: no SendGrid message for the notification about ${worked.name}`);
    const opened = await fetch(`${sandboxUrl}/sandbox/sendgrid/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messageId: agentEmail.messageId, event: 'open' }),
    });
    check(opened.ok, `provider sandbox: the open event was refused (${opened.status})`);
    let emailDelivery = null;
    for (let attempt = 0; attempt < 60 && emailDelivery?.status !== 'opened'; attempt += 1) {
      if (attempt > 0) await sleep(250);
      const entry = expectStatus(
        await api('GET', `/v1/notifications/history?type=lead_assigned&limit=100`, { token: avaToken }),
        200,
        'notification history',
      ).items.find((item) => item.id === aboutWorked.id);
      emailDelivery = entry?.deliveries.find((delivery) => delivery.channel === 'email') ?? null;
    }
    check(emailDelivery?.status === 'opened', `email about ${worked.name}: expected opened, got ${emailDelivery?.status}`);
    check(emailDelivery.providerMessageId === agentEmail.messageId, "email: the delivery should keep SendGrid's X-Message-Id");
    result.notifications.email = { subject: agentEmail.subject, status: emailDelivery.status, messageIdKept: true };
    ok(
      `The email "${agentEmail.subject}" went through SendGrid's API (provider sandbox ${agentEmail.messageId}); its signed events came back: ${emailDelivery.status}`,
    );
    // --- contacts slice (issue 14, docs/adr/0035 "Contacts"): a contact of the day gets a listing alert by
    // SMS (Twilio SDK → provider sandbox), texts STOP (the sandbox posts Twilio's signed inbound webhook),
    // crm withdraws the contact's SMS consent (crm.consent), and the next alert's SMS is blocked OPTED_OUT.
    {
      const alerted = leads[ALERTED_LEAD - 1];
      check(alerted.agent === 'ava' && !alerted.merged, `lead ${ALERTED_LEAD} should be Ava's own contact`);
      const contactBefore = expectStatus(
        await api('GET', `/v1/contacts/${alerted.contactId}`, { token: avaToken }),
        200,
        `${ava.name} reads ${alerted.name}`,
      );
      check(
        contactBefore.phone && contactBefore.consent?.sms?.granted === true,
        `${alerted.name}: the form should have given a phone and SMS consent`,
      );
      expectStatus(
        await api('POST', '/v1/saved-searches', {
          token: avaToken,
          body: { contactId: alerted.contactId, name: 'Magnolia homes', filters: { standardStatus: ['Coming Soon'], postalCode: '98199' } },
        }),
        201,
        `${ava.name} saves a search for ${alerted.name}`,
      );
      // A new listing is matched against the saved searches (the search's creation recorded the existing ones, unannounced);
      // coming soon, so the day's active listings stay the agents' three.
      const listInMagnolia = async (home) =>
        expectStatus(
          await api('POST', '/v1/properties', {
            token: avaToken,
            body: {
              ...home,
              city: 'Seattle',
              postalCode: '98199',
              stateOrProvince: 'WA',
              standardStatus: 'Coming Soon',
              propertyType: 'Residential',
              listingKey: `HP-${runId}-${home.streetNumber}`,
            },
          }),
          201,
          `${ava.name} lists ${home.streetNumber} ${home.streetName}`,
        );
      const smsOfMatch = async (propertyId) => {
        let sms = null;
        for (let attempt = 0; attempt < 120 && (!sms || sms.status === 'queued'); attempt += 1) {
          if (attempt > 0) await sleep(250);
          const page = expectStatus(
            await api('GET', '/v1/notifications/history?type=saved_search_match&limit=100', { token: ownerToken }),
            200,
            'notification history (saved-search matches)',
          );
          const match = page.items.find((item) => item.recipientContactId === alerted.contactId && item.data?.propertyId === propertyId);
          sms = match?.deliveries.find((delivery) => delivery.channel === 'sms') ?? null;
        }
        return sms;
      };
      const firstHome = await listInMagnolia(MAGNOLIA_LISTINGS[0]);
      const firstSms = await smsOfMatch(firstHome.id);
      check(firstSms?.status === 'sent', `SMS alert to ${alerted.name}: expected sent, got ${firstSms?.status} ${firstSms?.reason ?? ''}`);
      const texted = await (await fetch(`${sandboxUrl}/sandbox/twilio/messages?to=${encodeURIComponent(contactBefore.phone)}`)).json();
      check(
        texted.length === 1 && texted[0].sid === firstSms.providerMessageId,
        `provider sandbox: expected the one SMS to ${contactBefore.phone}`,
      );
      ok(`${alerted.name} saved a search; ${ava.name}'s new listing matched it: SMS "${texted[0].body}" (Twilio ${texted[0].sid})`);
      const stop = await fetch(`${sandboxUrl}/sandbox/twilio/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: contactBefore.phone, to: texted[0].from, body: 'STOP' }),
      });
      check(stop.ok, `provider sandbox: the inbound STOP was refused (${stop.status})`);
      let consent = null;
      for (let attempt = 0; attempt < 120 && consent?.granted !== false; attempt += 1) {
        if (attempt > 0) await sleep(250);
        consent = expectStatus(await api('GET', `/v1/contacts/${alerted.contactId}`, { token: avaToken }), 200, `${alerted.name}'s consent`)
          .consent?.sms;
      }
      check(
        consent?.granted === false,
        `crm: ${alerted.name}'s SMS consent should be withdrawn after STOP, got ${JSON.stringify(consent)}`,
      );
      const secondHome = await listInMagnolia(MAGNOLIA_LISTINGS[1]);
      const laterSms = await smsOfMatch(secondHome.id);
      check(
        laterSms?.status === 'blocked' && laterSms.reason === 'OPTED_OUT',
        `SMS after STOP: expected blocked OPTED_OUT, got ${laterSms?.status} ${laterSms?.reason}`,
      );
      const textedAfter = await (await fetch(`${sandboxUrl}/sandbox/twilio/messages?to=${encodeURIComponent(contactBefore.phone)}`)).json();
      result.contactSms = {
        lead: ALERTED_LEAD,
        firstSms: firstSms.status,
        consentAfterStop: { granted: consent.granted, source: consent.source },
        laterSms: { status: laterSms.status, reason: laterSms.reason },
        twilioMessages: textedAfter.length,
      };
      ok(
        `${alerted.name} texted STOP: crm withdrew her SMS consent (${consent.source}); the next Magnolia listing matched too, its SMS blocked ${laterSms.reason} (${textedAfter.length} SMS in all)`,
      );
    }
    // --- end of the contacts slice block
    const before = expectStatus(
      await api('GET', `/v1/contacts/${worked.contactId}`, { token: avaToken }),
      200,
      `${ava.name} reads ${worked.name}`,
    );
    const points = (contact) => contact.scoreReasons.reduce((sum, reason) => sum + reason.points, 0);
    const scoreBefore = {
      score: before.score,
      points: points(before),
      reasons: before.scoreReasons.map((reason) => `${reason.signal} +${reason.points}`),
    };
    ok(`Score before: ${scoreBefore.score} (${scoreBefore.points} points: ${scoreBefore.reasons.join(', ')})`);

    const updated = expectStatus(
      await api('PATCH', `/v1/contacts/${worked.contactId}`, {
        token: avaToken,
        body: {
          status: 'contacted',
          lastContactedAt: new Date().toISOString(),
          preferences: {
            postalCodes: ['98105', '98115'],
            areas: ['Ravenna', 'Wedgwood'],
            minPriceCents: 80_000_000,
            maxPriceCents: 95_000_000,
            minBeds: 3,
            propertyTypes: ['Residential'],
          },
        },
      }),
      200,
      `${ava.name} updates ${worked.name}`,
    );
    check(updated.status === 'contacted', 'contact update: status should be contacted');
    ok(`Called her: status "contacted"; looking in 98105/98115, ${money(80_000_000)}–${money(95_000_000)}, 3+ bedrooms`);
    const note = expectStatus(
      await api('POST', `/v1/contacts/${worked.contactId}/notes`, {
        token: avaToken,
        body: {
          body: 'Pre-approval letter expected next week. Loves Craftsman homes near Ravenna Park; needs a yard for the dog.',
          pinned: true,
        },
      }),
      201,
      'add a note',
    );
    ok(`Pinned a note (${note.id})`);
    const due = new Date(Date.now() + 86_400_000);
    due.setUTCHours(17, 0, 0, 0);
    const task = expectStatus(
      await api('POST', '/v1/tasks', {
        token: avaToken,
        body: {
          title: `Showing with ${worked.name}: 5230 17th Ave NE`,
          type: 'showing',
          contactId: worked.contactId,
          listingId: target.id,
          dueAt: due.toISOString(),
          priority: 'high',
          reminders: [1440, 60],
        },
      }),
      201,
      'create a task with reminders',
    );
    check(task.assigneeId === ava.id && task.status === 'open', 'task: expected open and assigned to Ava');
    check(
      JSON.stringify([...task.reminders].sort((a, b) => a - b)) === JSON.stringify([60, 1440]),
      `task: reminders 60 and 1440 minutes expected, got ${JSON.stringify(task.reminders)}`,
    );
    ok(`Task "${task.title}" due ${task.dueAt} with reminders ${task.reminders.join(' and ')} minutes before`);

    const area = `lat=${PREFERRED_AREA.lat}&lng=${PREFERRED_AREA.lng}&radius=${PREFERRED_AREA.radiusMeters}`;
    const nearby = expectStatus(
      await api('GET', `/v1/geo/radius-search?${area}&minBedrooms=3&limit=50`, { token: avaToken }),
      200,
      'radius search',
    );
    const distances = nearby.items.map((item) => item.distanceMeters);
    check(
      distances.every((distance, i) => distance <= PREFERRED_AREA.radiusMeters && (i === 0 || distance >= distances[i - 1])),
      'radius search: items must be within the radius, nearest first',
    );
    const active = expectStatus(
      await api('GET', `/v1/geo/radius-search?${area}&standardStatus=Active&minBedrooms=3`, { token: avaToken }),
      200,
      'radius search of active listings',
    );
    const found = active.items.find((item) => item.id === target.id);
    check(
      found,
      `radius search: Ben's active listing at ${target.unparsedAddress} should be within ${PREFERRED_AREA.radiusMeters} m of ${PREFERRED_AREA.name}`,
    );
    const closedNearby = nearby.items.filter((item) => item.standardStatus === 'Closed').length;
    result.radius = {
      center: PREFERRED_AREA,
      firstPage: nearby.items.length,
      closedOnFirstPage: closedNearby,
      distances,
      activeFound: { id: found.id, distanceMeters: found.distanceMeters },
      activeIds: active.items.map((item) => item.id),
    };
    ok(
      `Radius search ${PREFERRED_AREA.radiusMeters} m around ${PREFERRED_AREA.name}, 3+ bedrooms: ${nearby.items.length}${nearby.nextCursor ? '+' : ''} homes (${closedNearby} closed sales on the first page), nearest ${Math.round(distances[0] ?? 0)} m; active: ${target.unparsedAddress} at ${Math.round(found.distanceMeters)} m`,
    );

    const comparables = expectStatus(
      await api('GET', `/v1/properties/${target.id}/comparables?radius=2000&months=240&limit=20`, { token: avaToken }),
      200,
      'comparables for the listing',
    );
    check(comparables.items.length > 0, `comparables: expected closed King County sales near ${target.unparsedAddress}`);
    check(
      comparables.items.every((item) => item.property.standardStatus === 'Closed' && item.distanceMeters <= 2000),
      'comparables: every item must be a closed sale within 2,000 m',
    );
    result.comparables = {
      count: comparables.summary.count,
      medianPricePerSqFt: comparables.summary.medianPricePerSqFt,
      suggestedPriceLow: comparables.summary.suggestedPriceLow,
      suggestedPriceHigh: comparables.summary.suggestedPriceHigh,
      items: comparables.items.map((item) => ({
        id: item.property.id,
        closePrice: item.property.closePrice,
        livingArea: item.property.livingArea,
        bedroomsTotal: item.property.bedroomsTotal,
        closeDate: item.property.closeDate,
        distanceMeters: item.distanceMeters,
        pricePerSqFt: item.pricePerSqFt,
      })),
    };
    ok(
      `Comparables for ${target.unparsedAddress} (${target.livingArea} sq ft): ${comparables.summary.count} closed sales within 2 km, median ${money(comparables.summary.medianPricePerSqFt)}/sq ft, suggested ${money(comparables.summary.suggestedPriceLow)} – ${money(comparables.summary.suggestedPriceHigh)}`,
    );

    const view = expectStatus(
      await api('POST', `/v1/properties/${target.id}/views`, { token: avaToken, body: { contactId: worked.contactId, source: 'website' } }),
      201,
      'record a property view',
    );
    let after = before;
    const viewDeadline = Date.now() + 60_000;
    while (Date.now() < viewDeadline) {
      after = expectStatus(
        await api('GET', `/v1/contacts/${worked.contactId}`, { token: avaToken }),
        200,
        `${ava.name} reads ${worked.name} again`,
      );
      if (points(after) !== scoreBefore.points) break;
      await sleep(500);
    }
    const scoreAfter = {
      score: after.score,
      points: points(after),
      reasons: after.scoreReasons.map((reason) => `${reason.signal} +${reason.points}`),
    };
    check(
      scoreAfter.points > scoreBefore.points,
      `score: the property view should raise the score within 60 s (still ${scoreAfter.points} points)`,
    );
    result.work = {
      contactId: worked.contactId,
      agent: 'ava',
      noteId: note.id,
      task: { id: task.id, dueAt: task.dueAt, reminders: task.reminders },
      viewId: view.id,
      scoreBefore,
      scoreAfter,
    };
    ok(
      `Recorded that she viewed it online; score after: ${scoreAfter.score} (${scoreAfter.points} points: ${scoreAfter.reasons.join(', ')})`,
    );

    // ----------------------------------------------------------------------------- step 6
    step(6, `${worked.name} buys ${target.unparsedAddress}: the deal goes through the pipeline and the commission is computed`);
    const plan = expectStatus(
      await api('POST', '/v1/commission-plans', { token: ownerToken, body: PLAN }),
      201,
      'create the commission plan',
    );
    expectStatus(
      await api('PATCH', `/v1/agents/${ava.id}/commission-plan`, { token: ownerToken, body: { planId: plan.id } }),
      200,
      `give ${ava.name} the plan`,
    );
    ok(
      `Owner set ${ava.name}'s plan "${plan.name}": 2.75 % gross, 25 % referral fee, 70/30 → 80/20 after $10,000 GCI, $395 fee, $20,000 cap`,
    );
    const today = new Date().toISOString().slice(0, 10);
    const deal = expectStatus(
      await api('POST', '/v1/transactions', {
        token: avaToken,
        body: {
          propertyId: target.id,
          buyerContactIds: [worked.contactId],
          side: 'buy',
          price: target.listPrice,
          expectedCloseDate: today,
          notes: `Buyer side for ${worked.name}; listing agent ${agents.ben.name}`,
        },
      }),
      201,
      'open the transaction',
    );
    const stages = [deal.stage];
    for (const stage of ['meeting', 'offer', 'accepted']) {
      const moved = expectStatus(
        await api('PATCH', `/v1/transactions/${deal.id}`, {
          token: avaToken,
          body: stage === 'accepted' ? { stage, price: CLOSE_PRICE } : { stage },
        }),
        200,
        `move the deal to ${stage}`,
      );
      stages.push(moved.stage);
    }
    const closed = expectStatus(
      await api('PATCH', `/v1/transactions/${deal.id}`, {
        token: avaToken,
        body: { stage: 'closed', closePrice: CLOSE_PRICE, closeDate: today },
      }),
      200,
      'close the deal',
    );
    stages.push(closed.stage);
    check(
      JSON.stringify(stages) === JSON.stringify(['contacted', 'meeting', 'offer', 'accepted', 'closed']),
      `pipeline: expected contacted → … → closed, got ${stages.join(' → ')}`,
    );
    ok(`Transaction ${deal.id}: ${stages.join(' → ')}; sold for ${money(CLOSE_PRICE)} on ${today} (listed at ${money(target.listPrice)})`);
    const statement = expectStatus(
      await api('GET', `/v1/transactions/${deal.id}/commission`, { token: avaToken }),
      200,
      'read the commission statement',
    );
    check(
      statement.gross === statement.referralFee + statement.brokerage + statement.agent + statement.fees,
      'statement: gross must equal referral fee + brokerage + agent + fees',
    );
    ok(
      `Commission statement v${statement.version}: gross ${money(statement.gross)} = referral ${money(statement.referralFee)} + brokerage ${money(statement.brokerage)} + ${ava.name} ${money(statement.agent)} + fees ${money(statement.fees)}; split ${statement.segments.map((segment) => `${segment.agentSplitBps / 100}%`).join(' then ')}; cap left ${money(statement.cap.remainingCents ?? 0)}`,
    );
    const month = today.slice(0, 7);
    const report = expectStatus(
      await api('GET', `/v1/reports/commissions?month=${month}`, { token: ownerToken }),
      200,
      'commission report (JSON)',
    );
    const reportRow = report.rows.find((row) => row.agentId === ava.id);
    check(
      reportRow && reportRow.count === 1 && reportRow.gci === statement.gross && reportRow.agentShare === statement.agent,
      `report ${month}: expected ${ava.name}'s one deal with the statement's figures, got ${JSON.stringify(report.rows)}`,
    );
    const csvResponse = await api('GET', `/v1/reports/commissions?month=${month}&format=csv`, { token: ownerToken });
    expectStatus(csvResponse, 200, 'commission report (CSV)');
    check(csvResponse.contentType.startsWith('text/csv'), `CSV report: content type text/csv expected, got ${csvResponse.contentType}`);
    const csvRows = parseCsv(csvResponse.buffer.toString('utf8'), { columns: true, skip_empty_lines: true });
    const csvAva = csvRows.find((row) => row.agent_id === ava.id);
    check(
      csvAva && csvAva.gci === dollars(statement.gross) && csvAva.agent_share === dollars(statement.agent),
      `CSV report: expected a row for ${ava.name} with GCI ${dollars(statement.gross)}, got ${JSON.stringify(csvRows)}`,
    );
    const pdfResponse = await api('GET', `/v1/reports/commissions?month=${month}&format=pdf`, { token: ownerToken });
    expectStatus(pdfResponse, 200, 'commission report (PDF)');
    check(
      pdfResponse.contentType.startsWith('application/pdf'),
      `PDF report: content type application/pdf expected, got ${pdfResponse.contentType}`,
    );
    check(pdfResponse.buffer.subarray(0, 5).toString('latin1') === '%PDF-', 'PDF report: the file should start with %PDF-');
    result.deal = {
      transactionId: deal.id,
      stages,
      closePrice: CLOSE_PRICE,
      closeDate: today,
      planId: plan.id,
      statement,
      report: {
        month,
        json: report,
        csv: { contentType: csvResponse.contentType, disposition: csvResponse.headers.get('content-disposition'), rows: csvRows },
        pdf: {
          contentType: pdfResponse.contentType,
          disposition: pdfResponse.headers.get('content-disposition'),
          bytes: pdfResponse.buffer.length,
          buffer: pdfResponse.buffer,
        },
      },
    };
    ok(
      `Report ${month}: ${report.rows.length} agent row(s), GCI ${money(report.totals.gci)}; CSV (${csvResponse.contentType}, ${csvRows.length} rows incl. TOTAL) and PDF (${pdfResponse.contentType}, ${pdfResponse.buffer.length.toLocaleString('en-US')} bytes, %PDF-) downloaded`,
    );

    // The buyer's client portal (issue 13 item 17): register with the lead's address, verify it, read.
    check(typeof worked.email === 'string', `${worked.name} should have an email address`);
    const clientPassword = `${PASSWORD}-client`;
    expectStatus(
      await api('POST', '/v1/public/clients/register', {
        body: { formKey: organization.publicFormKey, name: worked.name, email: worked.email, password: clientPassword },
      }),
      201,
      `${worked.name} registers for the client portal`,
    );
    const clientToken = expectStatus(
      await api('POST', '/v1/auth/login', { body: { email: worked.email, password: clientPassword } }),
      200,
      `${worked.name} logs in to the portal`,
    ).accessToken;
    const unverified = expectStatus(
      await api('GET', '/v1/portal/transactions', { token: clientToken }),
      200,
      'the portal before verifying',
    );
    check(unverified.items.length === 0, `before verifying, the portal should show nothing, it shows ${unverified.items.length} deal(s)`);
    ok(`${worked.name} registered for the client portal with ${worked.email}; before verifying the address it shows nothing`);
    const verification = await mailSecrets(nats, worked.email, 'email_verification');
    expectStatus(await api('POST', '/v1/auth/email/verify', { body: { token: verification.token } }), 204, 'verify the address');

    const agreement = Buffer.from(`%PDF-1.4\n% Purchase and sale agreement, ${target.unparsedAddress}\n%%EOF\n`);
    const form = new FormData();
    form.append('file', new Blob([agreement], { type: 'application/pdf' }), 'purchase-and-sale-agreement.pdf');
    const uploaded = expectStatus(
      await api('POST', `/v1/transactions/${deal.id}/files`, { token: avaToken, form }),
      201,
      'upload the purchase agreement',
    );
    const sharedFile = expectStatus(
      await api('PUT', `/v1/transactions/${deal.id}/files/${uploaded.id}/sharing`, { token: avaToken, body: { shared: true } }),
      200,
      'share it with the buyer',
    );
    check(sharedFile.sharedWithClients === true, 'the agreement should be shared with clients');
    ok(`${ava.name} uploaded "${uploaded.name}" (${uploaded.size} bytes) and shared it with the deal's clients`);
    const invoice = expectStatus(
      await api('POST', '/v1/invoices', {
        token: ownerToken,
        body: {
          transactionId: deal.id,
          billTo: { name: worked.name, email: worked.email, contactId: worked.contactId },
          dueDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
          lineItems: [{ description: 'Transaction coordination fee', quantity: 1, unitAmount: COORDINATION_FEE }],
        },
      }),
      201,
      'invoice the buyer',
    );
    expectStatus(await api('POST', `/v1/invoices/${invoice.id}/send`, { token: ownerToken }), 200, 'send the invoice');
    ok(`Owner invoiced ${worked.name} ${money(COORDINATION_FEE)} (${invoice.number}, transaction coordination fee) and sent it`);

    // The link reaches deals through identity.user.contact_linked on Kafka: wait for it.
    let portalDeals = { items: [] };
    for (let attempt = 0; attempt < 120 && portalDeals.items.length === 0; attempt += 1) {
      if (attempt > 0) await sleep(500);
      portalDeals = expectStatus(await api('GET', '/v1/portal/transactions', { token: clientToken }), 200, 'the portal transactions');
    }
    check(portalDeals.items.length === 1, `the portal should show one deal, it shows ${portalDeals.items.length}`);
    const portalDeal = portalDeals.items[0];
    const documents = expectStatus(
      await api('GET', `/v1/portal/transactions/${portalDeal.id}/documents`, { token: clientToken }),
      200,
      'the portal documents',
    );
    check(documents.items.length === 1, `the portal should show one document, it shows ${documents.items.length}`);
    const signedUrl = expectStatus(
      await api('GET', `/v1/portal/transactions/${portalDeal.id}/documents/${documents.items[0].id}/download-url`, { token: clientToken }),
      200,
      'the download URL of the shared document',
    );
    const downloaded = await api('GET', signedUrl.url);
    expectStatus(downloaded, 200, 'download the shared document');
    check(downloaded.buffer.equals(agreement), 'the downloaded document should be the bytes Ava uploaded');
    const portalInvoices = expectStatus(await api('GET', '/v1/portal/invoices', { token: clientToken }), 200, 'the portal invoices');
    const commissionFields = ['commissionPlanId', 'team', 'probability', 'notes', 'closePrice'].filter((field) => field in portalDeal);
    check(commissionFields.length === 0, `the portal deal should carry no commission fields, it has ${commissionFields.join(', ')}`);
    result.portal = {
      beforeVerification: unverified.items.length,
      transactions: portalDeals.items,
      documents: documents.items,
      downloadedBytes: downloaded.buffer.length,
      downloadMatches: downloaded.buffer.equals(agreement),
      invoices: portalInvoices.items,
      invoiceNumber: invoice.number,
      fileId: uploaded.id,
    };
    ok(
      `${worked.name} verified the address and reads the portal: ${portalDeals.items.length} deal (${portalDeal.stage.name}, ${money(portalDeal.price)}), ${documents.items.length} document ("${documents.items[0].name}", downloaded, ${downloaded.buffer.length} bytes), ${portalInvoices.items.length} invoice (${portalInvoices.items.map((item) => `${item.number} ${item.status} ${money(item.balance)} due`).join(', ')})`,
    );

    // ----------------------------------------------------------------------------- step 7
    step(7, 'Who may not see what: the refusals');
    const refusals = [];
    const refuse = async (who, what, method, route, token, allowed) => {
      const response = await api(method, route, { token });
      check(
        allowed.includes(response.status),
        `${who} ${what}: expected ${allowed.join(' or ')}, got ${response.status} (${describe(response)})`,
      );
      const refusal = { who, what, route: `${method} ${route}`, status: response.status, code: response.body?.code ?? null };
      refusals.push(refusal);
      ok(`${who} ${what}: refused, ${response.status} ${refusal.code ?? ''}`.trim());
    };
    await refuse(
      agents.ben.name,
      `reads ${ava.name}'s contact ${worked.name}`,
      'GET',
      `/v1/contacts/${worked.contactId}`,
      tokens.ben,
      [403, 404],
    );
    const rival = expectStatus(
      await api('POST', '/v1/auth/register', {
        body: { organizationName: `Rival Homes ${runId}`, name: 'Rita Rival', email: email('rita.rival'), password: PASSWORD },
      }),
      201,
      'register another brokerage',
    );
    await refuse(
      `Rita of Rival Homes (another brokerage)`,
      `reads ${worked.name}`,
      'GET',
      `/v1/contacts/${worked.contactId}`,
      rival.accessToken,
      [403, 404],
    );
    await refuse(
      `Rita of Rival Homes (another brokerage)`,
      'reads the closed deal',
      'GET',
      `/v1/transactions/${deal.id}`,
      rival.accessToken,
      [403, 404],
    );
    await refuse(agents.ben.name, 'reads the audit trail', 'GET', '/v1/audit-logs', tokens.ben, [403]);
    result.refusals = refusals;

    // ----------------------------------------------------------------------------- step 8
    step(8, "The owner reads the day's audit trail and verifies it; the day's events straight from Kafka");
    const refreshed = expectStatus(
      await api('POST', '/v1/auth/refresh', { body: { refreshToken: ownerRefresh } }),
      200,
      'refresh the owner session',
    );
    ownerToken = refreshed.accessToken;
    ownerRefresh = refreshed.refreshToken;
    const audited = await auditCaughtUp(auditTimeoutMs);
    const page = expectStatus(
      await api('GET', `/v1/audit-logs?date=${today}&limit=100`, { token: ownerToken }),
      200,
      'read the audit trail of the day',
    );
    const verify = expectStatus(await api('GET', '/v1/audit-logs/verify', { token: ownerToken }), 200, 'verify the audit chain');
    check(
      verify.ok === true && verify.count === audited,
      `audit verify: expected ok with ${audited} entries, got ${JSON.stringify(verify)}`,
    );
    const byType = reader.countsByType();
    result.audit = {
      count: verify.count,
      ok: verify.ok,
      headSeq: verify.headSeq,
      headHash: verify.headHash,
      firstPage: page.items.map((entry) => ({ seq: entry.seq, action: entry.action, actor: entry.actor, target: entry.target })),
    };
    result.events = { total: reader.events.size, byType, byTopic: reader.countsByTopic() };
    ok(
      `The audit trail holds ${verify.count.toLocaleString('en-US')} entries for the brokerage; the hash chain verifies (head #${verify.headSeq} ${verify.headHash.slice(0, 16)}…)`,
    );
    info(
      `Latest: ${page.items
        .slice(0, 5)
        .map((entry) => `#${entry.seq} ${entry.action}`)
        .join('; ')}`,
    );
    ok(`Kafka: ${reader.events.size.toLocaleString('en-US')} domain events of the brokerage today, one audit entry each:`);
    for (const [type, count] of Object.entries(byType)) info(`${String(count).padStart(7)}  ${type}`);
    result.durationMs = Date.now() - started;
    log(`\nThe brokerage day passed every check in ${(result.durationMs / 1000).toFixed(0)} s.`);
    return result;
  } finally {
    await reader.close();
  }
}

async function main() {
  const baseUrl = process.env.KEYHOUSE_URL || 'http://127.0.0.1:3000';
  const kafka = kafkaSettingsFromEnvironment();
  const rows = process.env.DEMO_KING_COUNTY_ROWS ? Number(process.env.DEMO_KING_COUNTY_ROWS) : null;
  console.log(
    `Keyhouse demo: a brokerage's day through ${baseUrl} (Kafka ${kafka.brokers.join(',')}${kafka.prefix ? `, topic prefix ${kafka.prefix}` : ''})`,
  );
  try {
    const health = await fetch(`${baseUrl}/health/ready`).catch(() => null);
    if (!health || !health.ok) {
      console.error(`The gateway at ${baseUrl} is not ready. Start Keyhouse first with \`npm start\` (or set KEYHOUSE_URL).`);
      process.exit(2);
    }
    await runBrokerageDay({
      baseUrl,
      nats: natsSettingsFromEnvironment(),
      kafkaBrokers: kafka.brokers,
      topicPrefix: kafka.prefix,
      kingCountyRows: rows,
      auditTimeoutMs: (Number(process.env.DEMO_AUDIT_TIMEOUT_SECONDS) || 600) * 1000,
    });
  } catch (error) {
    console.error(`\n✗ ${error instanceof DemoFailure ? 'Expectation failed' : 'Demo error'}: ${error.message}`);
    if (!(error instanceof DemoFailure) && error.stack) console.error(error.stack);
    process.exit(1);
  }
}

module.exports = { runBrokerageDay, DemoFailure, LEADS, RULES, AGENTS, PLAN, CLOSE_PRICE, WORKED_LEAD, COORDINATION_FEE, PASSWORD };

if (require.main === module) void main();
