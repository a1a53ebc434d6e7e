import { Client } from 'pg';
import { startStack, type TestStack } from '../../support/stack.fixture';

// deploy/seed/listings.js is plain CommonJS run by `npm start`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { seed } = require('../../../../../deploy/seed/listings.js') as { seed: (context: SeedContext) => Promise<string> };

interface SeedContext {
  base: string;
  api: (method: string, route: string, body: unknown, token?: string) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  login: (email: string) => Promise<string>;
  demo: { owner: { email: string }; agents: Array<{ email: string }>; password: string };
}

const DEMO = {
  owner: { email: 'owner@demo.keyhouse.test' },
  agents: [{ email: 'ava@demo.keyhouse.test' }, { email: 'ben@demo.keyhouse.test' }, { email: 'chloe@demo.keyhouse.test' }],
  password: 'keyhouse-demo-2026',
};

describe('deploy/seed/listings.js against a running stack', () => {
  let stack: TestStack;
  let context: SeedContext;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['listings'] });
    const base = stack.http.baseUrl;
    const api: SeedContext['api'] = async (method, route, body, token) => {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    };
    // The demo brokerage as deploy/start.js creates it (the agents' team and profiles do not matter here).
    const registered = await api('POST', '/v1/auth/register', {
      organizationName: 'Keyhouse Demo Realty',
      name: 'Olivia Owner',
      email: DEMO.owner.email,
      password: DEMO.password,
    });
    expect(registered.status).toBe(201);
    for (const agent of DEMO.agents) {
      const created = await api(
        'POST',
        '/v1/users',
        { email: agent.email, name: agent.email.split('@')[0], role: 'agent', password: DEMO.password },
        registered.body.accessToken,
      );
      expect(created.status).toBe(201);
    }
    const login = async (email: string) =>
      (await api('POST', '/v1/auth/login', { email, password: DEMO.password })).body.accessToken as string;
    context = { base, api, login, demo: DEMO };
  });

  afterAll(async () => {
    await stack.stop();
  });

  const counts = async () => {
    const db = new Client({ connectionString: stack.env.LISTINGS_DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ properties: number; events: number; modified: string }>(
        `SELECT (SELECT count(*)::int FROM listings.property) AS properties, (SELECT count(*)::int FROM listings.outbox_event) AS events,
                (SELECT max(modification_timestamp)::text FROM listings.property) AS modified`,
      );
      return rows[0];
    } finally {
      await db.end();
    }
  };

  it('imports the King County sales and the agents’ listings the first time, and changes nothing the second time', async () => {
    const first = await seed(context);
    expect(first).toMatch(/^21613 King County sales imported \(0 rejected\) in \d+ ms; 6 agent listings created$/);
    const afterFirst = await counts();
    expect(afterFirst.properties).toBe(21_613 + 6);
    const second = await seed(context);
    expect(second).toBe('King County sales already present; 0 agent listings created');
    expect(await counts()).toEqual(afterFirst);
  }, 120_000);
});
