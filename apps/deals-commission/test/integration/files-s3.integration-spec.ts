import { createHash } from 'node:crypto';
import { DealsFileSubjects as F } from '@keyhouse/contracts';
import { startService, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startDealsCommission } from '../../src/main';
import { downloadFile, sha256Hex, uploadFile } from '../support/deals-files.fixture';
import { dealsOrg, dealsUser, type DealsActor, type DealsOrg } from '../support/deals-org.fixture';
import { createTransaction } from '../support/deals-records.fixture';
import { startS3StandIn, type S3StandIn } from '../support/s3-stand-in.fixture';

const CHUNK = 512 * 1024;
const TTL_SECONDS = 120;

/**
 * Transaction files with `DEALS_COMMISSION_FILE_STORAGE=s3`, on the deals service alone (over
 * NATS): its AWS SDK talks to a local S3 stand-in (path-style, static credentials, a key prefix);
 * pre-signed URLs are signed for a public endpoint other than the one the service uses. Agents who
 * do not own the deal and users of another organization get not found (nothing to see), as for the
 * download itself.
 */
describe('deals files in an S3-compatible store (deals-commission over NATS)', () => {
  let s3: S3StandIn;
  let deals: TestService;
  let org: DealsOrg;
  let other: DealsActor;

  beforeAll(async () => {
    s3 = await startS3StandIn('deal-files');
    deals = await startService(startDealsCommission, {
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
    });
    org = dealsOrg(null);
    other = dealsUser(null, newId(), 'owner');
  });

  afterAll(async () => {
    await deals?.stop();
    await s3?.stop();
  });

  const pdf = (size: number) => {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i += 1) bytes[i] = (i * 17 + 5) % 253;
    Buffer.from('%PDF-1.7\n').copy(bytes);
    return bytes;
  };

  it('stores an upload as one object with its bytes, reads it back in chunks and by pre-signed URL, deletes it', async () => {
    const deal = await createTransaction(deals, org.agent1);
    const bytes = pdf(CHUNK * 2 + 4_321);
    const sha256 = sha256Hex(bytes);
    const uploaded = await uploadFile(deals, org.agent1, deal.id, { name: 'Inspection report.pdf', type: 'application/pdf', bytes });
    expect(uploaded).toMatchObject({ size: bytes.length, sha256 });
    const fileId = uploaded.id;

    // In the store: exactly the object `<prefix><org>/<file>` with the bytes and their SHA-256; the chunk parts are gone.
    const objectKey = `deals/${org.orgId}/${fileId}`;
    expect([...s3.objects.keys()]).toEqual([objectKey]);
    expect(s3.objects.get(objectKey)!.bytes.equals(bytes)).toBe(true);
    expect(s3.objects.get(objectKey)!.checksumSha256).toBe(createHash('sha256').update(bytes).digest('base64'));
    expect(s3.requests.filter((request) => request.method === 'PUT' && request.key.startsWith('deals/pending/'))).toHaveLength(3);
    expect(
      s3.requests.every((request) => request.auth === 'header' && String(request.headers.authorization).includes('Credential=AKIDDEALS/')),
    ).toBe(true);

    // Read back in chunks, for whoever can read the deal.
    for (const actor of [org.agent1, org.manager, org.owner]) {
      const got = await downloadFile(deals, actor, deal.id, fileId);
      expect(sha256Hex(got.bytes)).toBe(sha256);
      expect(got.file.sha256).toBe(sha256);
    }

    // By pre-signed URL: signed for the public endpoint, valid TTL_SECONDS, the store answers the bytes as the named attachment.
    const before = Date.now();
    const signed = await deals.rpc.call(F.downloadUrl, { transactionId: deal.id, fileId }, org.manager);
    const url = new URL(signed.url);
    expect(`${url.origin}${url.pathname}`).toBe(`http://localhost:${s3.port}/deal-files/${objectKey}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(TTL_SECONDS));
    const expiresAt = Date.parse(signed.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + (TTL_SECONDS - 1) * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + TTL_SECONDS * 1000);
    const fetched = await fetch(signed.url);
    expect(fetched.status).toBe(200);
    expect(sha256Hex(Buffer.from(await fetched.arrayBuffer()))).toBe(sha256);
    expect(fetched.headers.get('content-type')).toBe('application/pdf');
    expect(fetched.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''Inspection%20report.pdf");
    expect(s3.requests.at(-1)).toMatchObject({ method: 'GET', key: objectKey, auth: 'presigned', status: 200 });

    // Same refusals as the download: an agent outside the deal, another organization.
    for (const actor of [org.agent2, other]) {
      await expect(deals.rpc.call(F.downloadUrl, { transactionId: deal.id, fileId }, actor)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'TRANSACTION_NOT_FOUND',
      });
    }
    await expect(deals.rpc.call(F.downloadUrl, { transactionId: deal.id, fileId: deal.id }, org.agent1)).rejects.toMatchObject({
      kind: 'not_found',
      code: 'FILE_NOT_FOUND',
    });

    await expect(deals.rpc.call(F.delete, { transactionId: deal.id, fileId }, org.agent1)).resolves.toBeNull();
    expect(s3.objects.size).toBe(0);
    expect((await fetch(signed.url)).status).toBe(404);
    await expect(deals.rpc.call(F.downloadUrl, { transactionId: deal.id, fileId }, org.agent1)).rejects.toMatchObject({
      kind: 'not_found',
    });
  });
});
