import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An object as the stand-in holds it. */
export interface StandInObject {
  bytes: Buffer;
  contentType: string;
  /** `x-amz-checksum-sha256` it was stored with (base64), verified against the bytes. */
  checksumSha256?: string;
  etag: string;
  lastModified: Date;
}

/** One request the stand-in answered. */
export interface StandInRequest {
  method: string;
  /** Object key (without the bucket), '' for bucket-level requests. */
  key: string;
  query: Record<string, string>;
  /** How it was authorized: a SigV4 `Authorization` header or SigV4 query parameters. */
  auth: 'header' | 'presigned';
  headers: IncomingMessage['headers'];
  status: number;
}

export interface S3StandIn {
  /** `http://127.0.0.1:<port>`, for `endpoint` with `forcePathStyle: true`. */
  endpoint: string;
  port: number;
  bucket: string;
  objects: Map<string, StandInObject>;
  requests: StandInRequest[];
  stop(): Promise<void>;
}

const xml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `YYYYMMDDTHHMMSSZ` (SigV4 `X-Amz-Date`) as a Date. */
function amzDate(value: string): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return match ? new Date(Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +match[6])) : null;
}

/**
 * A local HTTP server speaking the subset of the S3 REST API the deals service's `S3FileStorage`
 * uses, path-style (`/<bucket>/<key>`): PutObject (checks `x-amz-checksum-sha256`, `Content-MD5`
 * and a hex `x-amz-content-sha256` against the body: 400 `BadDigest` / `XAmzContentSHA256Mismatch`),
 * GetObject (whole or one `Range: bytes=a-b`, 206; `response-content-type` /
 * `response-content-disposition` query overrides), HeadObject (`x-amz-checksum-sha256` when
 * `x-amz-checksum-mode: ENABLED`), DeleteObject (204, also when absent) and ListObjectsV2
 * (`list-type=2`, `prefix`, `max-keys`, `continuation-token`). It does not verify SigV4 signatures
 * but refuses (403 `AccessDenied`) a request with neither an `Authorization: AWS4-HMAC-SHA256
 * Credential=…, SignedHeaders=…, Signature=…` header nor pre-signed query parameters
 * (`X-Amz-Algorithm=AWS4-HMAC-SHA256`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
 * `X-Amz-Signature`), and a pre-signed URL past `X-Amz-Date + X-Amz-Expires`.
 */
export async function startS3StandIn(bucket = 'keyhouse-test'): Promise<S3StandIn> {
  const objects = new Map<string, StandInObject>();
  const requests: StandInRequest[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const query = Object.fromEntries(url.searchParams.entries());
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = rest.map((segment) => decodeURIComponent(segment)).join('/');
    const method = request.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);

    const record = (status: number, auth: StandInRequest['auth']) =>
      requests.push({ method, key, query, auth, headers: request.headers, status });
    const fail = (status: number, code: string, message: string, auth: StandInRequest['auth'] = 'header') => {
      record(status, auth);
      response.writeHead(status, { 'content-type': 'application/xml' });
      response.end(
        method === 'HEAD'
          ? undefined
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message><Key>${xml(key)}</Key></Error>`,
      );
    };

    // Authorization: a SigV4 header, or SigV4 query parameters (a pre-signed URL) not yet expired.
    const header = request.headers.authorization ?? '';
    let auth: StandInRequest['auth'];
    if (/^AWS4-HMAC-SHA256 Credential=[^,]+, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/.test(header)) {
      auth = 'header';
    } else if (
      query['X-Amz-Algorithm'] === 'AWS4-HMAC-SHA256' &&
      query['X-Amz-Credential'] &&
      /^[0-9a-f]{64}$/.test(query['X-Amz-Signature'] ?? '') &&
      /^\d+$/.test(query['X-Amz-Expires'] ?? '')
    ) {
      auth = 'presigned';
      const signedAt = amzDate(query['X-Amz-Date'] ?? '');
      if (!signedAt) return fail(403, 'AccessDenied', 'X-Amz-Date is malformed', auth);
      if (Date.now() > signedAt.getTime() + Number(query['X-Amz-Expires']) * 1000)
        return fail(403, 'AccessDenied', 'Request has expired', auth);
    } else {
      return fail(403, 'AccessDenied', 'No SigV4 Authorization header or pre-signed query parameters');
    }
    if (bucketName !== bucket) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist', auth);
    if (auth === 'presigned' && method !== 'GET') return fail(403, 'AccessDenied', 'Only GET is pre-signed here', auth);

    if (method === 'GET' && !key && query['list-type'] === '2') {
      const prefix = query.prefix ?? '';
      const maxKeys = Math.min(Number(query['max-keys'] ?? 1000), 1000);
      const after = query['continuation-token'] ? Buffer.from(query['continuation-token'], 'base64url').toString() : '';
      const matching = [...objects.keys()].filter((name) => name.startsWith(prefix) && name > after).sort();
      const page = matching.slice(0, maxKeys);
      const truncated = matching.length > page.length;
      const contents = page
        .map((name) => {
          const object = objects.get(name)!;
          return `<Contents><Key>${xml(name)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>&quot;${object.etag}&quot;</ETag><Size>${object.bytes.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      record(200, auth);
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xml(prefix)}</Prefix>` +
          `<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
          (truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64url')}</NextContinuationToken>` : '') +
          `${contents}</ListBucketResult>`,
      );
      return;
    }
    if (!key) return fail(400, 'InvalidRequest', `${method} on the bucket is not part of the stand-in`, auth);

    if (method === 'PUT') {
      if (request.headers['content-encoding']?.includes('aws-chunked'))
        return fail(501, 'NotImplemented', 'aws-chunked bodies are not supported by the stand-in', auth);
      const payloadHash = request.headers['x-amz-content-sha256'];
      if (
        typeof payloadHash === 'string' &&
        /^[0-9a-f]{64}$/.test(payloadHash) &&
        createHash('sha256').update(body).digest('hex') !== payloadHash
      ) {
        return fail(400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 does not match the body', auth);
      }
      const checksum = request.headers['x-amz-checksum-sha256'];
      if (typeof checksum === 'string' && createHash('sha256').update(body).digest('base64') !== checksum) {
        return fail(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum', auth);
      }
      const md5 = request.headers['content-md5'];
      if (typeof md5 === 'string' && createHash('md5').update(body).digest('base64') !== md5) {
        return fail(400, 'BadDigest', 'The Content-MD5 you specified did not match what was received', auth);
      }
      const etag = createHash('md5').update(body).digest('hex');
      objects.set(key, {
        bytes: body,
        contentType: request.headers['content-type'] ?? 'application/octet-stream',
        ...(typeof checksum === 'string' ? { checksumSha256: checksum } : {}),
        etag,
        lastModified: new Date(),
      });
      record(200, auth);
      response.writeHead(200, { etag: `"${etag}"`, ...(typeof checksum === 'string' ? { 'x-amz-checksum-sha256': checksum } : {}) });
      response.end();
      return;
    }

    if (method === 'DELETE') {
      objects.delete(key);
      record(204, auth);
      response.writeHead(204);
      response.end();
      return;
    }

    if (method === 'GET' || method === 'HEAD') {
      const object = objects.get(key);
      if (!object) return fail(404, 'NoSuchKey', 'The specified key does not exist.', auth);
      const headers: Record<string, string | number> = {
        'content-type': query['response-content-type'] ?? object.contentType,
        etag: `"${object.etag}"`,
        'last-modified': object.lastModified.toUTCString(),
        'accept-ranges': 'bytes',
      };
      if (query['response-content-disposition']) headers['content-disposition'] = query['response-content-disposition'];
      let bytes = object.bytes;
      let status = 200;
      const range = request.headers.range;
      if (range) {
        const match = /^bytes=(\d+)-(\d+)?$/.exec(range);
        if (!match) return fail(400, 'InvalidArgument', `Range ${range} is not supported by the stand-in`, auth);
        const start = Number(match[1]);
        const end = Math.min(match[2] === undefined ? object.bytes.length - 1 : Number(match[2]), object.bytes.length - 1);
        if (start >= object.bytes.length) return fail(416, 'InvalidRange', 'The requested range is not satisfiable', auth);
        bytes = object.bytes.subarray(start, end + 1);
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${object.bytes.length}`;
      } else if (request.headers['x-amz-checksum-mode'] === 'ENABLED' && object.checksumSha256) {
        // Like S3: the whole object's checksum, not for a range.
        headers['x-amz-checksum-sha256'] = object.checksumSha256;
        headers['x-amz-checksum-type'] = 'FULL_OBJECT';
      }
      headers['content-length'] = bytes.length;
      record(status, auth);
      response.writeHead(status, headers);
      response.end(method === 'HEAD' ? undefined : bytes);
      return;
    }
    return fail(405, 'MethodNotAllowed', `${method} is not part of the stand-in`, auth);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    objects,
    requests,
    stop: () =>
      new Promise<void>((closed, failed) => {
        server.closeAllConnections();
        server.close((error) => (error ? failed(error) : closed()));
      }),
  };
}
