import { startStack, type TestStack } from '../../support/stack.fixture';

// deploy/seed/crm.js is plain CommonJS run by `npm start`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { seed } = require('../../../../../deploy/seed/crm.js') as { seed: (context: SeedContext) => Promise<string> };

interface SeedContext {
  base: string;
  api: (method: string, route: string, body: unknown, token?: string) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  login: (email: string) => Promise<string>;
  demo: { owner: { email: string }; agents: Array<{ email: string; name: string; regions: string[] }>; password: string };
}

const DEMO = {
  owner: { email: 'owner@demo.keyhouse.test' },
  agents: [
    { email: 'ava@demo.keyhouse.test', name: 'Ava', regions: ['98103', '98105'] },
    { email: 'ben@demo.keyhouse.test', name: 'Ben', regions: ['98004'] },
  ],
  password: 'keyhouse-demo-2026',
};

/** deploy/seed/crm.js against a stack: the brokerage's own lead source 'facebook' and contacts that use it, safe to run twice. */
describe('deploy/seed/crm.js against a running stack', () => {
  let stack: TestStack;
  let context: SeedContext;
  let ownerToken: string;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm'] });
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
    const registered = await api('POST', '/v1/auth/register', {
      organizationName: 'Keyhouse Demo Realty',
      name: 'Olivia Owner',
      email: DEMO.owner.email,
      password: DEMO.password,
    });
    expect(registered.status).toBe(201);
    ownerToken = registered.body.accessToken;
    // The demo agents as deploy/start.js adds them (with their ZIP regions; always available here).
    for (const agent of DEMO.agents) {
      const created = await api(
        'POST',
        '/v1/agents',
        { email: agent.email, name: agent.name, password: DEMO.password, regions: agent.regions, capacity: 25 },
        ownerToken,
      );
      expect(created.status).toBe(201);
    }
    const login = async (email: string) =>
      (await api('POST', '/v1/auth/login', { email, password: DEMO.password })).body.accessToken as string;
    context = { base, api, login, demo: DEMO };
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('registers facebook (Facebook) and files some contacts and a public lead under it; a second run adds nothing', async () => {
    expect(await seed(context)).toMatch(
      /^1 lead sources, \d+ assignment rules, 3 companies, 2 tags, 20 contacts, \d+ tasks, 5 public-form leads added$/,
    );
    const sources = await context.api('GET', '/v1/lead-sources', undefined, ownerToken);
    expect(sources.body.find((source: { key: string }) => source.key === 'facebook')).toMatchObject({ label: 'Facebook', builtIn: false });
    const facebook = await context.api('GET', '/v1/contacts?source=facebook&limit=100', undefined, ownerToken);
    // Contacts n = 6 (FIRST[6] Isla, LAST[30 % 12] Okafor) and n = 13 (FIRST[1] Liam, LAST[66 % 12] Okafor) of the
    // agents' 20 (SOURCES[n % 7]) and the form lead Priya Nair.
    expect(facebook.body.items.map((contact: { email: string }) => contact.email).sort()).toEqual([
      'isla.okafor.6@demo-client.keyhouse.test',
      'liam.okafor.13@demo-client.keyhouse.test',
      'priya.nair@demo-lead.keyhouse.test',
    ]);
    expect(await seed(context)).toMatch(
      /^0 lead sources, 0 assignment rules, 0 companies, 0 tags, 0 contacts, 0 tasks, 0 public-form leads added$/,
    );
  });
});
