import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerOrganization, type Session } from '../support/identity.fixture';
import type { Page, Problem, Property } from '../support/listings.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

interface SyncRun {
  status: string;
  fetched: number;
  created: number;
  errors: Array<{ listingKey: string | null; reasons: string[] }>;
}

/**
 * Issue 13 for listings: MLS source URLs must be https to public addresses, checked when a
 * source is saved and again on every request of a pull (a stored row or a DNS answer may point
 * inside since); a failed pull never echoes what an internal listener said or where it listens;
 * the partner webhook honours `Idempotency-Key` like the other creating POSTs.
 */
describe('MLS hardening (issue 13)', () => {
  let stack: TestStack;
  let owner: Session;
  let server: Server;
  /** Requests the local "internal" listener received (path and Authorization header). */
  const received: Array<{ path: string; authorization: string | undefined }> = [];
  let origin: string;

  const setAllowPrivateSources = async (allow: boolean) => {
    await stack.stopService('listings');
    stack.env.LISTINGS_MLS_ALLOW_PRIVATE_SOURCES = String(allow);
    await stack.startService('listings');
  };
  const createSource = (baseUrl: string) =>
    stack.http.post<{ id: string } & Problem>(
      '/v1/mls-sources',
      { name: 'Internal MLS', baseUrl, accessToken: 'mls-secret-token' },
      { token: owner.accessToken },
    );
  const sync = (id: string) => stack.http.post<SyncRun & Problem>(`/v1/mls-sources/${id}/sync`, {}, { token: owner.accessToken });

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push({ path: req.url ?? '', authorization: req.headers.authorization });
      if (req.url?.startsWith('/reso/Property')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            value: [
              {
                ListingKey: 'INTERNAL-1',
                StandardStatus: 'Active',
                PropertyType: 'Residential',
                ListPrice: 500000,
                City: 'Tukwila',
                ModificationTimestamp: '2026-02-01T10:00:00Z',
              },
            ],
          }),
        );
      } else if (req.url?.startsWith('/banner/Property')) {
        // What a non-HTTP-API internal service might answer: its reply must not reach the run record.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('SECRETBANNER redis_version:7.2.4 role:master');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The scheduled tick would queue its own pull of a source created moments before, racing the
    // manual sync these tests start (which then answers 409 MLS_SYNC_RUNNING): keep it out of the way.
    stack = await startStack({ LISTINGS_MLS_ALLOW_PRIVATE_SOURCES: 'false', LISTINGS_MLS_TICK_MS: '3600000' }, { services: ['listings'] });
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
  });

  afterAll(async () => {
    await stack.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  describe('MLS source URLs (item 7)', () => {
    it('refuses to save a source that is not https or whose host is or resolves to a private, loopback or link-local address (400 MLS_SOURCE_URL_NOT_ALLOWED), on create and on change', async () => {
      const port = (server.address() as AddressInfo).port;
      const refused = [
        `${origin}/reso`,
        `https://127.0.0.1:${port}/reso`,
        `https://localhost:${port}/reso`,
        'https://10.1.2.3/reso',
        'https://172.16.0.1/reso',
        'https://192.168.1.10/reso',
        'https://169.254.169.254/latest/meta-data',
        'https://100.64.0.1/reso',
        'https://0.0.0.0/reso',
        `https://[::1]:${port}/reso`,
        'https://[::ffff:127.0.0.1]/reso',
        'https://[fe80::1]/reso',
        'https://[fd00::1]/reso',
        // A public address, but plain http: the bearer token would travel in clear.
        'http://93.184.215.14/reso',
      ];
      for (const baseUrl of refused) {
        const response = await createSource(baseUrl);
        expect([baseUrl, response.status, response.body.code]).toEqual([baseUrl, 400, 'MLS_SOURCE_URL_NOT_ALLOWED']);
      }
      expect((await stack.http.get<Page<unknown>>('/v1/mls-sources', { token: owner.accessToken })).body.items).toEqual([]);

      // An https root on a public address literal is accepted (no DNS needed); moving it inside is refused.
      const created = await createSource('https://93.184.215.14/reso');
      expect(created.status).toBe(201);
      for (const baseUrl of [`${origin}/reso`, `https://localhost:${port}/reso`, 'https://169.254.169.254/latest']) {
        const changed = await stack.http.patch<Problem>(`/v1/mls-sources/${created.body.id}`, { baseUrl }, { token: owner.accessToken });
        expect([baseUrl, changed.status, changed.body.code]).toEqual([baseUrl, 400, 'MLS_SOURCE_URL_NOT_ALLOWED']);
      }
      expect(received).toEqual([]);
      expect((await stack.http.delete(`/v1/mls-sources/${created.body.id}`, { token: owner.accessToken })).status).toBe(204);
    });

    it('checks the address again at sync time: a stored source pointing at a loopback listener fails its run without connecting, sending the token or importing', async () => {
      // A row saved while private sources were allowed (before this check existed, or in a local setup).
      await setAllowPrivateSources(true);
      const created = await createSource(`${origin}/reso`);
      expect(created.status).toBe(201);
      await setAllowPrivateSources(false);

      const run = await sync(created.body.id);
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ status: 'failed', fetched: 0, created: 0 });
      expect(received).toEqual([]);
      const errors = JSON.stringify(run.body.errors);
      expect(errors).not.toContain('127.0.0.1');
      expect(errors).not.toContain(String((server.address() as AddressInfo).port));
      const listed = await stack.http.get<Page<Property>>('/v1/properties?city=Tukwila', { token: owner.accessToken });
      expect(listed.body.items).toEqual([]);
      expect((await stack.http.delete(`/v1/mls-sources/${created.body.id}`, { token: owner.accessToken })).status).toBe(204);
    });

    it('never echoes an unreachable port or a non-MLS reply in the run record (local sources allowed, as in development)', async () => {
      await setAllowPrivateSources(true);
      received.length = 0;
      try {
        const closed = createServer();
        await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
        const closedPort = (closed.address() as AddressInfo).port;
        await new Promise<void>((resolve) => closed.close(() => resolve()));

        const unreachable = await createSource(`http://127.0.0.1:${closedPort}/reso`);
        expect(unreachable.status).toBe(201);
        const refusedRun = await sync(unreachable.body.id);
        expect(refusedRun.body.status).toBe('failed');
        const refusedErrors = JSON.stringify(refusedRun.body.errors);
        for (const leak of [String(closedPort), '127.0.0.1', 'ECONNREFUSED']) expect(refusedErrors).not.toContain(leak);

        const banner = await createSource(`${origin}/banner`);
        expect(banner.status).toBe(201);
        const bannerRun = await sync(banner.body.id);
        expect(bannerRun.body.status).toBe('failed');
        expect(received.map((r) => r.path.split('?')[0])).toEqual(['/banner/Property']);
        const bannerErrors = JSON.stringify(bannerRun.body.errors);
        for (const leak of ['SECRET', 'redis', String((server.address() as AddressInfo).port)]) expect(bannerErrors).not.toContain(leak);
      } finally {
        await setAllowPrivateSources(false);
      }
    });
  });

  describe('MLS webhook Idempotency-Key (item 13)', () => {
    it('replays the same key with the same body and refuses it with another body (422 IDEMPOTENCY_KEY_REUSED), applying nothing', async () => {
      const key = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'MLS partner', scopes: ['listings:write:org'] },
        { token: owner.accessToken },
      );
      expect(key.status).toBe(201);
      const record = (listingKey: string) => ({
        ListingKey: listingKey,
        StandardStatus: 'Active',
        PropertyType: 'Residential',
        ListPrice: 610000,
        City: 'Auburn',
        ModificationTimestamp: '2026-02-01T10:00:00Z',
      });
      const push = (value: unknown[]) =>
        stack.http.post<Record<string, unknown> & Problem>(
          '/v1/webhooks/mls',
          { value },
          { apiKey: key.body.key, headers: { 'idempotency-key': 'mls-push-0001' } },
        );

      const first = await push([record('IK-1')]);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ received: 1, created: 1 });
      const again = await push([record('IK-1')]);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      const other = await push([record('IK-2')]);
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');

      const listed = await stack.http.get<Page<Property>>('/v1/properties?city=Auburn', { token: owner.accessToken });
      expect(listed.body.items.map((p) => p.listingKey)).toEqual(['IK-1']);
    });
  });
});
