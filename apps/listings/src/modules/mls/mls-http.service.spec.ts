import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { DomainException } from '@keyhouse/platform/messaging';
import { MLS_MAX_REDIRECTS, MlsFetchError, MlsHttpService } from './mls-http.service';
import { mlsSourcePolicy, type MlsSourcePolicy } from './mls-source-address.util';

/** A local listener that records what it was asked. */
async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Array<{ path: string; authorization: string | undefined }> = [];
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, seen, origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** 127.0.0.1 stands in for a public address, so hops can be followed locally; every other address is refused. */
const LOOPBACK_AS_PUBLIC: MlsSourcePolicy = { protocols: ['https:', 'http:'], allowsAddress: (address) => address === '127.0.0.1' };
const service = (policy: MlsSourcePolicy, timeoutMs = 5_000) => new MlsHttpService({ LISTINGS_MLS_HTTP_TIMEOUT_MS: timeoutMs }, policy);

const json = (res: ServerResponse, body: unknown) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const redirect = (res: ServerResponse, location: string, status = 302) => {
  res.writeHead(status, { location });
  res.end();
};

describe('MlsHttpService', () => {
  describe('getJson', () => {
    it('follows a redirect within the origin, sending the token on each hop, and answers the JSON', async () => {
      const source = await listen((req, res) => (req.url === '/start' ? redirect(res, '/page?x=1', 307) : json(res, { value: [1] })));
      try {
        await expect(service(LOOPBACK_AS_PUBLIC).getJson(`${source.origin}/start`, 'tok', source.origin)).resolves.toEqual({ value: [1] });
        expect(source.seen).toEqual([
          { path: '/start', authorization: 'Bearer tok' },
          { path: '/page?x=1', authorization: 'Bearer tok' },
        ]);
      } finally {
        await source.close();
      }
    });

    it('checks every redirect hop: a redirect to a refused address fails before connecting', async () => {
      const source = await listen((_req, res) => redirect(res, 'http://10.0.0.1/internal'));
      try {
        const failure = await service(LOOPBACK_AS_PUBLIC)
          .getJson(`${source.origin}/start`, 'tok', source.origin)
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(MlsFetchError);
        expect((failure as MlsFetchError).rule).toMatch(/public addresses/);
        expect((failure as MlsFetchError).message).not.toContain('10.0.0.1');
        expect(source.seen).toHaveLength(1);
      } finally {
        await source.close();
      }
    });

    it('refuses a URL whose scheme the policy does not allow (http under https-only) before connecting', async () => {
      const source = await listen((_req, res) => json(res, { value: [] }));
      try {
        const httpsOnly: MlsSourcePolicy = { ...LOOPBACK_AS_PUBLIC, protocols: ['https:'] };
        await expect(service(httpsOnly).getJson(`${source.origin}/start`, 'tok', source.origin)).rejects.toMatchObject({
          name: 'MlsFetchError',
          rule: 'must be an https URL',
        });
        expect(source.seen).toEqual([]);
      } finally {
        await source.close();
      }
    });

    it('does not send the token to another origin a redirect leads to', async () => {
      const other = await listen((_req, res) => json(res, { value: [] }));
      const source = await listen((_req, res) => redirect(res, `${other.origin}/elsewhere`));
      try {
        await expect(service(LOOPBACK_AS_PUBLIC).getJson(`${source.origin}/start`, 'tok', source.origin)).resolves.toEqual({ value: [] });
        expect(source.seen[0].authorization).toBe('Bearer tok');
        expect(other.seen).toEqual([{ path: '/elsewhere', authorization: undefined }]);
      } finally {
        await source.close();
        await other.close();
      }
    });

    it('resolves a host name, checks its addresses and connects to them under the name (Host header kept)', async () => {
      const source = await listen((req, res) => json(res, { host: req.headers.host }));
      const port = (source.server.address() as AddressInfo).port;
      const loopbackAsPublic: MlsSourcePolicy = { ...LOOPBACK_AS_PUBLIC, allowsAddress: (a) => a === '127.0.0.1' || a === '::1' };
      try {
        await expect(service(loopbackAsPublic).getJson(`http://localhost:${port}/p`, 'tok', `http://localhost:${port}`)).resolves.toEqual({
          host: `localhost:${port}`,
        });
        await expect(service(mlsSourcePolicy(false)).assertAllowedSourceUrl(`https://localhost:${port}/p`)).rejects.toMatchObject({
          code: 'MLS_SOURCE_URL_NOT_ALLOWED',
        });
        expect(source.seen).toEqual([{ path: '/p', authorization: 'Bearer tok' }]);
      } finally {
        await source.close();
      }
    });

    it(`stops after ${MLS_MAX_REDIRECTS} redirects`, async () => {
      const source = await listen((_req, res) => redirect(res, '/again'));
      try {
        await expect(service(LOOPBACK_AS_PUBLIC).getJson(`${source.origin}/start`, 'tok', source.origin)).rejects.toBeInstanceOf(
          MlsFetchError,
        );
        expect(source.seen).toHaveLength(MLS_MAX_REDIRECTS + 1);
      } finally {
        await source.close();
      }
    });

    it('decodes a gzip body', async () => {
      const source = await listen((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify({ value: ['zipped'] })));
      });
      try {
        await expect(service(LOOPBACK_AS_PUBLIC).getJson(`${source.origin}/p`, 'tok', source.origin)).resolves.toEqual({
          value: ['zipped'],
        });
      } finally {
        await source.close();
      }
    });

    it('answers failures in its own words: no reply text, address or port', async () => {
      const source = await listen((req, res) => {
        if (req.url === '/banner') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('SECRETBANNER redis_version:7.2.4');
        } else {
          res.writeHead(503);
          res.end('internal detail');
        }
      });
      const port = String((source.server.address() as AddressInfo).port);
      const messageOf = (url: string) =>
        service(mlsSourcePolicy(true))
          .getJson(url, 'tok', source.origin)
          .then(
            () => 'resolved',
            (error: Error) => (error instanceof MlsFetchError ? error.message : `not an MlsFetchError: ${error.message}`),
          );
      try {
        expect(await messageOf(`${source.origin}/banner`)).toBe('MLS page is not valid JSON');
        expect(await messageOf(`${source.origin}/down`)).toBe('MLS answered 503 for /down');
      } finally {
        await source.close();
      }
      const unreachable = await messageOf(`${source.origin}/gone`);
      expect(unreachable).toBe('Could not reach the MLS source');
      expect(unreachable).not.toContain(port);
    });

    it('gives up after LISTINGS_MLS_HTTP_TIMEOUT_MS', async () => {
      const source = await listen(() => undefined);
      try {
        await expect(service(LOOPBACK_AS_PUBLIC, 200).getJson(`${source.origin}/slow`, 'tok', source.origin)).rejects.toThrow(
          'The MLS source did not answer within 200 ms',
        );
      } finally {
        source.server.closeAllConnections();
        await source.close();
      }
    });
  });

  describe('assertAllowedSourceUrl', () => {
    const strict = service(mlsSourcePolicy(false));

    it.each([
      'http://93.184.215.14/reso',
      'https://127.0.0.1/reso',
      'https://localhost/reso',
      'https://169.254.169.254/latest',
      'https://[::1]/reso',
      'https://[::ffff:7f00:1]/reso',
      'https://user:secret@93.184.215.14/reso',
      'not a url',
    ])('refuses %s with 400 MLS_SOURCE_URL_NOT_ALLOWED on baseUrl', async (baseUrl) => {
      const failure = await strict.assertAllowedSourceUrl(baseUrl).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DomainException);
      expect(failure).toMatchObject({ kind: 'validation', code: 'MLS_SOURCE_URL_NOT_ALLOWED', errors: [{ field: 'baseUrl' }] });
    });

    it('accepts https to a public address literal (no lookup needed), and anything http(s) when private sources are allowed', async () => {
      await expect(strict.assertAllowedSourceUrl('https://93.184.215.14/reso')).resolves.toBeUndefined();
      await expect(service(mlsSourcePolicy(true)).assertAllowedSourceUrl('http://127.0.0.1:9/reso')).resolves.toBeUndefined();
    });
  });
});
