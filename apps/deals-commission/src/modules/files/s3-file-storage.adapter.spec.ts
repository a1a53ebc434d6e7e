import { createHash } from 'node:crypto';
import { startS3StandIn, type S3StandIn } from '../../../test/support/s3-stand-in.fixture';
import { DomainException } from '@keyhouse/platform/messaging';
import { S3FileStorage } from './s3-file-storage.adapter';

const CHUNK = 512 * 1024;

/** Deterministic bytes, different at every offset within a chunk. */
function bytesOf(size: number, seed = 7): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + seed) % 251;
  return bytes;
}

const hex = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The real AWS SDK against a local S3 stand-in (path-style, static credentials). */
describe('S3FileStorage', () => {
  let s3: S3StandIn;
  let storage: S3FileStorage;

  beforeAll(async () => {
    s3 = await startS3StandIn('deal-files');
    storage = new S3FileStorage({
      bucket: 'deal-files',
      region: 'us-east-1',
      endpoint: s3.endpoint,
      publicEndpoint: `http://localhost:${s3.port}`,
      forcePathStyle: true,
      keyPrefix: 'deals/',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    });
  });

  afterAll(async () => {
    storage?.onApplicationShutdown();
    await s3?.stop();
  });

  it('assembles chunks (a retried one overwrites itself) into one object stored with its SHA-256, reads ranges, answers a retried commit from the stored checksum', async () => {
    const bytes = bytesOf(CHUNK * 2 + 1000);
    const key = 'org-1/file-1';
    await storage.writeChunk(key, CHUNK, bytes.subarray(CHUNK, 2 * CHUNK));
    await storage.writeChunk(key, 0, bytes.subarray(0, CHUNK));
    await storage.writeChunk(key, 2 * CHUNK, bytes.subarray(2 * CHUNK));
    await storage.writeChunk(key, CHUNK, bytes.subarray(CHUNK, 2 * CHUNK));

    expect(await storage.commit(key)).toEqual({ size: bytes.length, sha256: hex(bytes) });
    expect([...s3.objects.keys()]).toEqual(['deals/org-1/file-1']);
    const stored = s3.objects.get('deals/org-1/file-1')!;
    expect(stored.bytes.equals(bytes)).toBe(true);
    expect(stored.checksumSha256).toBe(createHash('sha256').update(bytes).digest('base64'));
    expect(
      s3.requests.every((request) => request.auth === 'header' && /Credential=AKIDTEST\//.test(String(request.headers.authorization))),
    ).toBe(true);

    expect((await storage.read(key, CHUNK - 10, CHUNK)).equals(bytes.subarray(CHUNK - 10, 2 * CHUNK - 10))).toBe(true);
    expect((await storage.read(key, 2 * CHUNK, CHUNK)).equals(bytes.subarray(2 * CHUNK))).toBe(true);

    const heads = s3.requests.filter((request) => request.method === 'HEAD').length;
    expect(await storage.commit(key)).toEqual({ size: bytes.length, sha256: hex(bytes) });
    expect(s3.requests.filter((request) => request.method === 'HEAD')).toHaveLength(heads + 1);

    await storage.delete(key);
    expect(s3.objects.size).toBe(0);
  });

  it('stops at a missing chunk: the short size tells the caller, nothing is stored, delete removes the parts', async () => {
    const bytes = bytesOf(CHUNK * 2 + 10, 3);
    const key = 'org-1/file-gap';
    await storage.writeChunk(key, 0, bytes.subarray(0, CHUNK));
    await storage.writeChunk(key, 2 * CHUNK, bytes.subarray(2 * CHUNK));
    expect(await storage.commit(key)).toEqual({ size: CHUNK, sha256: hex(bytes.subarray(0, CHUNK)) });
    expect(s3.objects.has('deals/org-1/file-gap')).toBe(false);
    expect([...s3.objects.keys()].filter((name) => name.startsWith('deals/pending/org-1/file-gap/'))).toHaveLength(2);
    await storage.delete(key);
    expect(s3.objects.size).toBe(0);
  });

  it('signs a GET URL for the public endpoint that the store answers with the bytes as a named attachment until it expires', async () => {
    const bytes = bytesOf(1234, 11);
    await storage.writeChunk('org-2/file-2', 0, bytes);
    await storage.commit('org-2/file-2');
    const before = Date.now();
    const signed = await storage.signedDownloadUrl('org-2/file-2', {
      fileName: 'Offer – 12 Main St.pdf',
      contentType: 'application/pdf',
      expiresInSeconds: 120,
    });
    const url = new URL(signed.url);
    expect(url.origin).toBe(`http://localhost:${s3.port}`);
    expect(url.pathname).toBe('/deal-files/deals/org-2/file-2');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 119_000);
    expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 120_000);

    const response = await fetch(signed.url);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''Offer%20%E2%80%93%2012%20Main%20St.pdf");
    expect(s3.requests.at(-1)).toMatchObject({ method: 'GET', auth: 'presigned', status: 200 });

    // The same URL once its validity has passed (the stand-in checks X-Amz-Date + X-Amz-Expires).
    url.searchParams.set('X-Amz-Date', '20200101T000000Z');
    expect((await fetch(url)).status).toBe(403);
  });

  it('turns a store that refuses (no such bucket) or cannot be reached into 503 FILE_STORAGE_UNAVAILABLE', async () => {
    const options = {
      region: 'us-east-1',
      forcePathStyle: true,
      keyPrefix: '',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    };
    const wrongBucket = new S3FileStorage({ ...options, bucket: 'no-such-bucket', endpoint: s3.endpoint });
    const unreachable = new S3FileStorage({ ...options, bucket: 'deal-files', endpoint: 'http://127.0.0.1:9' });
    try {
      for (const storage of [wrongBucket, unreachable]) {
        const failure = await storage.writeChunk('org-3/file-3', 0, Buffer.from('%PDF-1.7')).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(DomainException);
        expect(failure).toMatchObject({ kind: 'unavailable', code: 'FILE_STORAGE_UNAVAILABLE' });
      }
    } finally {
      wrongBucket.onApplicationShutdown();
      unreachable.onApplicationShutdown();
    }
  });
});
