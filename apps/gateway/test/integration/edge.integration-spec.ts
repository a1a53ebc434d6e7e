import type { AddressInfo } from 'node:net';
import type { NatsConnection } from 'nats';
import { MetricsListener } from '@keyhouse/platform/observability';
import { NATS_CONNECTION } from '@keyhouse/platform/messaging';
import { IdentityUserSubjects } from '@keyhouse/contracts';
import { registerOrganization, uniqueEmail, PASSWORD, type Session } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

type Problem = {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
};

function expectProblem(response: { status: number; headers: Headers; body: unknown }, status: number, code: string): Problem {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = response.body as Problem;
  expect(problem).toMatchObject({ status, code });
  expect(typeof problem.type).toBe('string');
  expect(typeof problem.title).toBe('string');
  expect(JSON.stringify(problem)).not.toMatch(/\bat [\w.<>]+ \(/);
  return problem;
}

describe('Gateway edge behaviour', () => {
  let stack: TestStack;
  let owner: Session;

  beforeAll(async () => {
    stack = await startStack({
      BODY_LIMIT_BYTES: String(1024 * 1024),
      NATS_REQUEST_TIMEOUT_MS: '800',
      CORS_ALLOWED_ORIGINS: 'https://app.keyhouse.test, https://portal.keyhouse.test/',
    });
    owner = await registerOrganization(stack.http);
  });

  afterAll(async () => {
    await stack.stop();
  });

  describe('bad input', () => {
    it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
      expectProblem(await stack.http.request('POST', '/v1/auth/login', { raw: '{"email": "a@b.c", ' }), 400, 'MALFORMED_JSON');
    });

    it('names every unknown and invalid field in errors[]', async () => {
      const response = await stack.http.post(
        '/v1/users',
        { email: 'not-an-email', name: '', role: 'Agent!', favouriteColour: 'blue' },
        { token: owner.accessToken },
      );
      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect([...new Set(problem.errors!.map((e) => e.field))].sort()).toEqual(['email', 'favouriteColour', 'name', 'role']);
    });

    it('names nested fields with their path', async () => {
      const response = await stack.http.post(
        '/v1/agents',
        { email: uniqueEmail(), name: 'N', workingHours: { timezone: 'UTC', days: { '1': [{ start: '25:00', end: '17:00' }] } } },
        { token: owner.accessToken },
      );
      const problem = expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors!.map((e) => e.field)).toEqual(['workingHours.days.1[0].start']);
    });

    it('refuses a body over the limit with 413', async () => {
      const big = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(1024 * 1024 + 10) });
      expectProblem(await stack.http.request('POST', '/v1/auth/login', { raw: big }), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('refuses a path id that is not a UUID, an oversized page and a forged cursor with 400', async () => {
      const token = owner.accessToken;
      expect(expectProblem(await stack.http.get('/v1/users/42', { token }), 400, 'VALIDATION_FAILED').errors![0].field).toBe('id');
      expect(expectProblem(await stack.http.get('/v1/users?limit=10000', { token }), 400, 'VALIDATION_FAILED').errors![0].field).toBe(
        'limit',
      );
      expect(expectProblem(await stack.http.get('/v1/users?cursor=not-a-cursor', { token }), 400, 'INVALID_CURSOR').errors![0].field).toBe(
        'cursor',
      );
    });

    it('answers an unknown route with a 404 problem', async () => {
      expectProblem(await stack.http.get('/v1/no-such-thing'), 404, 'NOT_FOUND');
    });

    it('refuses malformed and forged credentials with 401', async () => {
      expectProblem(await stack.http.get('/v1/users/me', { headers: { authorization: 'Basic abc' } }), 401, 'UNAUTHENTICATED');
      const [header, payload] = owner.accessToken.split('.');
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
      expectProblem(await stack.http.get('/v1/users/me', { headers: { authorization: `Bearer ${unsigned}x` } }), 401, 'UNAUTHENTICATED');
      const tampered = `${header}.${payload.slice(0, -2)}${payload.slice(-2) === 'AA' ? 'AB' : 'AA'}.${owner.accessToken.split('.')[2]}`;
      expectProblem(await stack.http.get('/v1/users/me', { token: tampered }), 401, 'UNAUTHENTICATED');
      expectProblem(await stack.http.get('/v1/users/me', { apiKey: 'kh_unknown' }), 401, 'INVALID_API_KEY');
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, even with keys reordered', async () => {
      const key = `team-${Date.now()}`;
      const body = { name: `Replay ${key}`, memberIds: [] };
      const first = await stack.http.post<{ id: string }>('/v1/teams', body, {
        token: owner.accessToken,
        headers: { 'idempotency-key': key },
      });
      expect(first.status).toBe(201);
      const second = await stack.http.post<{ id: string }>(
        '/v1/teams',
        { memberIds: [], name: body.name },
        {
          token: owner.accessToken,
          headers: { 'idempotency-key': key },
        },
      );
      expect(second.status).toBe(201);
      expect(second.body.id).toBe(first.body.id);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      const teams = await stack.http.get<{ items: Array<{ name: string }> }>(`/v1/teams?q=${encodeURIComponent(key)}`, {
        token: owner.accessToken,
      });
      expect(teams.body.items).toHaveLength(1);
    });

    it('refuses the same key with a different body (422) and lets another caller use the same key', async () => {
      const key = `user-${Date.now()}`;
      const body = { email: uniqueEmail(), name: 'Ida', role: 'agent', password: PASSWORD };
      expect((await stack.http.post('/v1/users', body, { token: owner.accessToken, headers: { 'idempotency-key': key } })).status).toBe(
        201,
      );
      const changed = await stack.http.post(
        '/v1/users',
        { ...body, name: 'Ida Changed' },
        { token: owner.accessToken, headers: { 'idempotency-key': key } },
      );
      expectProblem(changed, 422, 'IDEMPOTENCY_KEY_REUSED');
      const other = await registerOrganization(stack.http, 'Other Realty');
      const theirs = await stack.http.post<{ orgId: string }>(
        '/v1/users',
        { ...body, email: uniqueEmail() },
        {
          token: other.accessToken,
          headers: { 'idempotency-key': key },
        },
      );
      expect(theirs.status).toBe(201);
      expect(theirs.body.orgId).toBe(other.orgId);
    });

    it('does not store a failed request, so a corrected retry with the same key runs', async () => {
      const key = `fix-${Date.now()}`;
      const bad = await stack.http.post('/v1/teams', { name: '' }, { token: owner.accessToken, headers: { 'idempotency-key': key } });
      expect(bad.status).toBe(400);
      const good = await stack.http.post(
        '/v1/teams',
        { name: `Fixed ${key}` },
        { token: owner.accessToken, headers: { 'idempotency-key': key } },
      );
      expect(good.status).toBe(201);
    });

    it('refuses a malformed key', async () => {
      expectProblem(
        await stack.http.post('/v1/teams', { name: 'K' }, { token: owner.accessToken, headers: { 'idempotency-key': 'x'.repeat(256) } }),
        400,
        'IDEMPOTENCY_KEY_INVALID',
      );
    });
  });

  describe('when a service is down or slow', () => {
    it('answers 503 at once when identity has no responder, and 504 when it does not answer in time', async () => {
      await stack.stopIdentity();
      try {
        // No responder: NATS answers "503 no responders" at once, so the gateway says 503, not 504.
        const down = await stack.http.get('/v1/users/me', { token: owner.accessToken });
        expectProblem(down, 503, 'SERVICE_UNAVAILABLE');

        const nats = stack.gateway.get<NatsConnection>(NATS_CONNECTION);
        const silent = nats.subscribe(`${stack.env.NATS_SUBJECT_PREFIX}${IdentityUserSubjects.getMe.subject}`, {
          callback: () => undefined,
        });
        try {
          const slow = await stack.http.get('/v1/users/me', { token: owner.accessToken });
          expectProblem(slow, 504, 'SERVICE_TIMEOUT');
        } finally {
          silent.unsubscribe();
        }
      } finally {
        await stack.startIdentity();
      }
      expect((await stack.http.get('/v1/users/me', { token: owner.accessToken })).status).toBe(200);
    });
  });

  describe('security headers and CORS', () => {
    it('marks every API answer, a success and a problem alike, as not to be cached, framed, sniffed or referred, HTTPS only', async () => {
      const me = await stack.http.get('/v1/users/me', { token: owner.accessToken });
      const refused = await stack.http.get('/v1/users/me');
      for (const response of [me, refused]) {
        expect([me.status, refused.status]).toEqual([200, 401]);
        expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('referrer-policy')).toBe('no-referrer');
        expect(response.headers.get('x-frame-options')).toBe('DENY');
        expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
        expect(response.headers.get('cache-control')).toBe('no-store');
      }
    });

    it('answers a configured origin’s preflight and calls, and gives any other origin no CORS grant', async () => {
      const preflight = await stack.http.request('OPTIONS', '/v1/users/me', {
        headers: {
          origin: 'https://portal.keyhouse.test',
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://portal.keyhouse.test');
      expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
      const allowed = await stack.http.get('/v1/users/me', { token: owner.accessToken, headers: { origin: 'https://app.keyhouse.test' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.keyhouse.test');
      const foreign = await stack.http.get('/v1/users/me', { token: owner.accessToken, headers: { origin: 'https://evil.example' } });
      expect(foreign.status).toBe(200);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
      const foreignPreflight = await stack.http.request('OPTIONS', '/v1/users/me', {
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'PATCH' },
      });
      expect(foreignPreflight.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('health, metrics and docs', () => {
    it('reports readiness and the OpenAPI document on the public port', async () => {
      const ready = await stack.http.get<{ status: string; info: Record<string, unknown> }>('/health/ready');
      expect(ready.status).toBe(200);
      expect(Object.keys(ready.body.info).sort()).toEqual(['nats', 'redis']);
      const docs = await stack.http.get<{ openapi: string; paths: Record<string, unknown> }>('/docs-json');
      expect(docs.body.openapi).toMatch(/^3\./);
      expect(Object.keys(docs.body.paths)).toEqual(
        expect.arrayContaining(['/v1/auth/login', '/v1/users/me', '/v1/agents', '/v1/api-keys']),
      );
      expect(Object.keys(docs.body.paths)).not.toContain('/metrics');
    });

    it('answers 404 NOT_FOUND for /metrics on the public port (issue 13, item 11)', async () => {
      expectProblem(await stack.http.request('GET', '/metrics'), 404, 'NOT_FOUND');
    });

    it('serves Prometheus metrics on the internal METRICS_PORT listener, bound to loopback by default', async () => {
      const internal = stack.gateway.get(MetricsListener).address();
      const publicPort = (stack.gateway.getHttpServer().address() as AddressInfo).port;
      expect(internal.address).toBe('127.0.0.1');
      expect(internal.port).not.toBe(publicPort);
      await stack.http.get('/health/live');
      const metrics = await fetch(`http://127.0.0.1:${internal.port}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await metrics.text()).toMatch(/^http_requests_total\{/m);
      // The internal listener serves nothing but /metrics: no API, no health, no docs.
      for (const route of ['/v1/users/me', '/health/ready', '/docs-json']) {
        expect((await fetch(`http://127.0.0.1:${internal.port}${route}`)).status).toBe(404);
      }
    });
  });
});

describe('Gateway rate limits', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_AUTH_PER_MINUTE: '3' });
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('limits auth routes per IP with 429 and Retry-After, whatever X-Forwarded-For says', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await stack.http.post(
        '/v1/auth/login',
        { email: uniqueEmail(), password: PASSWORD },
        { headers: { 'x-forwarded-for': `203.0.113.${i}` } },
      );
      statuses.push(response.status);
      if (response.status === 429) {
        expectProblem(response, 429, 'RATE_LIMITED');
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe('Gateway per-user rate limit', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack({ RATE_LIMIT_USER_PER_MINUTE: '5' });
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('limits an authenticated user across routes, per user', async () => {
    const owner = await registerOrganization(stack.http);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await stack.http.get('/v1/users/me', { token: owner.accessToken })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const other = await registerOrganization(stack.http, 'Second');
    expect((await stack.http.get('/v1/users/me', { token: other.accessToken })).status).toBe(200);
  });
});
