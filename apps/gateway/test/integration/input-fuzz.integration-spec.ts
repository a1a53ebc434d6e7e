import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import * as path from 'node:path';
import { registerOrganization, type Session } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

/**
 * Input hygiene at the edge (issue 13, item 9): malformed bodies, query strings and path
 * parameters sent to every operation of the OpenAPI document get a 4xx problem, never a 5xx.
 * Seeded (the same requests every run) and bounded (one of each kind per operation).
 */

interface Operation {
  method: string;
  path: string;
  hasJsonBody: boolean;
  stringFields: string[];
}

type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; allOf?: Schema[] };
type Problem = { status: number; code: string; errors?: Array<{ field: string; code?: string; message: string }> };

const DOCUMENT = JSON.parse(readFileSync(path.join(__dirname, '../../../../docs/api/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
};

/** mulberry32: a small seeded PRNG, so that the choice of field is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resolve(schema: Schema | undefined): Schema | undefined {
  if (!schema) return undefined;
  if (schema.$ref) return resolve(DOCUMENT.components.schemas[schema.$ref.split('/').pop()!]);
  if (schema.allOf) return { properties: Object.assign({}, ...schema.allOf.map((part) => resolve(part)?.properties ?? {})) };
  return schema;
}

function operations(): Operation[] {
  const list: Operation[] = [];
  for (const [route, methods] of Object.entries(DOCUMENT.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const json = operation.requestBody?.content?.['application/json'];
      const properties = resolve(json?.schema)?.properties ?? {};
      list.push({
        method: method.toUpperCase(),
        path: route,
        hasJsonBody: Boolean(json),
        stringFields: Object.entries(properties)
          .filter(([, schema]) => resolve(schema)?.type === 'string')
          .map(([name]) => name),
      });
    }
  }
  return list;
}

/** The route with every `{param}` replaced: a well-formed UUID unless `value` is given (already encoded). */
function fill(route: string, value?: string): string {
  return route.replace(/\{[^}]+\}/g, value ?? '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b');
}

describe('Input hygiene on every operation of the OpenAPI document', () => {
  let stack: TestStack;
  let owner: Session;
  const random = seeded(0x5eed);
  const ops = operations();

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'listings', 'deals-commission', 'audit'] });
    owner = await registerOrganization(stack.http, 'Fuzz Realty');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function send(method: string, url: string, raw?: string) {
    return stack.http.request<Problem>(method, url, {
      token: owner.accessToken,
      ...(raw !== undefined ? { raw, headers: { 'content-type': 'application/json' } } : {}),
    });
  }

  function expectClientProblem(response: { status: number; headers: Headers; body: unknown }, what: string): void {
    if (response.status >= 500) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    if (response.status >= 400) {
      expect([what, response.headers.get('content-type')]).toEqual([what, expect.stringMatching(/^application\/problem\+json/)]);
    }
  }

  it('covers the whole document', () => {
    expect(ops.length).toBeGreaterThan(150);
    expect(ops.filter((op) => op.hasJsonBody).length).toBeGreaterThan(50);
    expect(ops.filter((op) => op.path.includes('{')).length).toBeGreaterThan(50);
  });

  it('refuses a JSON body nested 5,000 levels deep with 400 naming where it got too deep, on every operation with a body', async () => {
    const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    for (const op of ops.filter((candidate) => candidate.hasJsonBody)) {
      const response = await send(op.method, `/v1${fill(op.path)}`, deep);
      const what = `${op.method} ${op.path}`;
      expectClientProblem(response, what);
      expect([what, response.status, response.body.code]).toEqual([what, 400, 'VALIDATION_FAILED']);
      expect(response.body.errors?.[0]).toMatchObject({ code: 'maxDepth', field: expect.stringMatching(/^a(\[0\])+$/) });
    }
  });

  it('refuses a NUL character and an unpaired surrogate in a body field with 400 naming the field', async () => {
    for (const op of ops.filter((candidate) => candidate.hasJsonBody)) {
      const field = op.stringFields.length > 0 ? op.stringFields[Math.floor(random() * op.stringFields.length)] : 'name';
      for (const [value, code] of [
        ['"Ann\\u0000Lee"', 'nulCharacter'],
        ['"Ann\\ud800Lee"', 'unpairedSurrogate'],
      ] as const) {
        const response = await send(op.method, `/v1${fill(op.path)}`, `{"${field}":${value}}`);
        const what = `${op.method} ${op.path} ${field}=${value}`;
        expectClientProblem(response, what);
        expect([what, response.status]).toEqual([what, 400]);
        expect(response.body.errors).toContainEqual(expect.objectContaining({ field, code }));
      }
    }
  });

  it('refuses a NUL character in a query string (q and any other parameter) with 400 naming the parameter', async () => {
    for (const op of ops) {
      const name = random() < 0.5 ? 'q' : 'cursor';
      const response = await send(op.method, `/v1${fill(op.path)}?${name}=a%00b`);
      const what = `${op.method} ${op.path}?${name}`;
      expectClientProblem(response, what);
      expect([what, response.status]).toEqual([what, 400]);
      expect(response.body.errors).toContainEqual(expect.objectContaining({ field: name, code: 'nulCharacter' }));
    }
  });

  it('answers a query string that is not UTF-8, and malformed path parameters, without a 5xx', async () => {
    for (const op of ops) {
      const what = `${op.method} ${op.path}`;
      expectClientProblem(await send(op.method, `/v1${fill(op.path)}?q=%ED%A0%80&limit=%FF`), `${what} (bad UTF-8 query)`);
      if (!op.path.includes('{')) continue;
      const nul = await send(op.method, `/v1${fill(op.path, 'a%00b')}`);
      expectClientProblem(nul, `${what} (NUL path parameter)`);
      expect([what, nul.status]).toEqual([what, 400]);
      const surrogate = await send(op.method, `/v1${fill(op.path, '%ED%A0%80')}`);
      expectClientProblem(surrogate, `${what} (lone surrogate path parameter)`);
      expect([what, surrogate.status]).toEqual([what, 400]);
      expectClientProblem(await send(op.method, `/v1${fill(op.path, 'x'.repeat(500))}`), `${what} (long path parameter)`);
    }
  });

  it('answers a path parameter over the router limit with a 414 problem', async () => {
    const response = await send('GET', `/v1/contacts/${'x'.repeat(500)}`);
    expect(response.status).toBe(414);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 414, code: 'URI_TOO_LONG' });
  });

  it('answers request headers over the server limit with a 431 problem', async () => {
    const url = new URL(`${stack.http.baseUrl}/v1/users/me`);
    const answer = await new Promise<{ status: number; type: string | undefined; body: string }>((done, fail) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers: { 'x-padding': 'x'.repeat(64 * 1024) } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => done({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
        },
      );
      req.on('error', fail);
      req.end();
    });
    expect(answer.status).toBe(431);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });
});
