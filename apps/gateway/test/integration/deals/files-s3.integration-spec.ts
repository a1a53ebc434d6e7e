import { createHash } from 'node:crypto';
import { registerOrganization, type Session } from '../../support/fixtures';
import { createTransaction, dealsOrg, download, uploadFile, type DealsOrg } from '../../support/deals-fixtures';
import { startS3StandIn, type S3StandIn } from '../../support/s3-stand-in';
import { startStack, type TestStack } from '../../support/stack';

const CHUNK = 512 * 1024;
const TTL_SECONDS = 120;

/**
 * Transaction files with `DEALS_COMMISSION_FILE_STORAGE=s3`: the deals service's AWS SDK talks to
 * a local S3 stand-in (path-style, static credentials, a key prefix); pre-signed URLs are signed
 * for a public endpoint other than the one the service uses. Agents who do not own the deal and
 * users of another organization get 404 (nothing to see), as for the download itself.
 */
describe('deals files in an S3-compatible store', () => {
  let s3: S3StandIn;
  let stack: TestStack;
  let org: DealsOrg;
  let other: Session;

  beforeAll(async () => {
    s3 = await startS3StandIn('deal-files');
    stack = await startStack(
      {
        DEALS_COMMISSION_FILE_STORAGE: 's3',
        DEALS_COMMISSION_S3_ENDPOINT: s3.endpoint,
        DEALS_COMMISSION_S3_PUBLIC_ENDPOINT: `http://localhost:${s3.port}`,
        DEALS_COMMISSION_S3_REGION: 'us-east-1',
        DEALS_COMMISSION_S3_BUCKET: 'deal-files',
        DEALS_COMMISSION_S3_KEY_PREFIX: 'deals/',
        DEALS_COMMISSION_S3_ACCESS_KEY_ID: 'AKIDDEALS',
        DEALS_COMMISSION_S3_SECRET_ACCESS_KEY: 'stand-in-secret',
        DEALS_COMMISSION_S3_FORCE_PATH_STYLE: 'true',
        DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS: String(TTL_SECONDS),
        DEALS_COMMISSION_FILE_MAX_BYTES: String(1_536 * 1024),
      },
      { services: ['deals-commission'] },
    );
    org = await dealsOrg(stack.http);
    other = await registerOrganization(stack.http, 'Other Realty');
  });

  afterAll(async () => {
    await stack?.stop();
    await s3?.stop();
  });

  const pdf = (size: number) => {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i += 1) bytes[i] = (i * 17 + 5) % 253;
    Buffer.from('%PDF-1.7\n').copy(bytes);
    return bytes;
  };

  it('stores an upload as one object with its bytes, downloads it through the gateway and by pre-signed URL, deletes it', async () => {
    const deal = await createTransaction(stack.http, org.agent1, {});
    const bytes = pdf(CHUNK * 2 + 4_321);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const uploaded = await uploadFile(stack.http, `/v1/transactions/${deal.id}/files`, org.agent1.accessToken, {
      name: 'Inspection report.pdf',
      type: 'application/pdf',
      bytes,
    });
    expect(uploaded.status).toBe(201);
    expect(uploaded.body).toMatchObject({ size: bytes.length, sha256 });
    const fileId = uploaded.body.id as string;

    // In the store: exactly the object `<prefix><org>/<file>` with the bytes and their SHA-256; the chunk parts are gone.
    const objectKey = `deals/${org.owner.orgId}/${fileId}`;
    expect([...s3.objects.keys()]).toEqual([objectKey]);
    expect(s3.objects.get(objectKey)!.bytes.equals(bytes)).toBe(true);
    expect(s3.objects.get(objectKey)!.checksumSha256).toBe(createHash('sha256').update(bytes).digest('base64'));
    expect(s3.requests.filter((request) => request.method === 'PUT' && request.key.startsWith('deals/pending/'))).toHaveLength(3);
    expect(
      s3.requests.every((request) => request.auth === 'header' && String(request.headers.authorization).includes('Credential=AKIDDEALS/')),
    ).toBe(true);

    // Through the gateway, for whoever can read the deal.
    for (const session of [org.agent1, org.manager, org.owner]) {
      const got = await download(stack.http, `/v1/transactions/${deal.id}/files/${fileId}`, session.accessToken);
      expect(got.status).toBe(200);
      expect(createHash('sha256').update(got.bytes).digest('hex')).toBe(sha256);
      expect(got.headers.get('x-checksum-sha256')).toBe(sha256);
    }

    // By pre-signed URL: signed for the public endpoint, valid TTL_SECONDS, the store answers the bytes as the named attachment.
    const before = Date.now();
    const signed = await stack.http.get<{ url: string; expiresAt: string }>(`/v1/transactions/${deal.id}/files/${fileId}/download-url`, {
      token: org.manager.accessToken,
    });
    expect(signed.status).toBe(200);
    const url = new URL(signed.body.url);
    expect(`${url.origin}${url.pathname}`).toBe(`http://localhost:${s3.port}/deal-files/${objectKey}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(TTL_SECONDS));
    const expiresAt = Date.parse(signed.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + (TTL_SECONDS - 1) * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + TTL_SECONDS * 1000);
    const fetched = await fetch(signed.body.url);
    expect(fetched.status).toBe(200);
    expect(
      createHash('sha256')
        .update(Buffer.from(await fetched.arrayBuffer()))
        .digest('hex'),
    ).toBe(sha256);
    expect(fetched.headers.get('content-type')).toBe('application/pdf');
    expect(fetched.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''Inspection%20report.pdf");
    expect(s3.requests.at(-1)).toMatchObject({ method: 'GET', key: objectKey, auth: 'presigned', status: 200 });

    // Same refusals as the download: an agent outside the deal, another organization.
    for (const session of [org.agent2, other]) {
      const refused = await stack.http.get<{ code: string }>(`/v1/transactions/${deal.id}/files/${fileId}/download-url`, {
        token: session.accessToken,
      });
      expect(refused.status).toBe(404);
      expect(refused.body.code).toBe('TRANSACTION_NOT_FOUND');
    }
    const unknown = await stack.http.get<{ code: string }>(`/v1/transactions/${deal.id}/files/${deal.id}/download-url`, {
      token: org.agent1.accessToken,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('FILE_NOT_FOUND');

    expect((await stack.http.delete(`/v1/transactions/${deal.id}/files/${fileId}`, { token: org.agent1.accessToken })).status).toBe(204);
    expect(s3.objects.size).toBe(0);
    expect((await fetch(signed.body.url)).status).toBe(404);
    expect(
      (await stack.http.get(`/v1/transactions/${deal.id}/files/${fileId}/download-url`, { token: org.agent1.accessToken })).status,
    ).toBe(404);
  });
});
