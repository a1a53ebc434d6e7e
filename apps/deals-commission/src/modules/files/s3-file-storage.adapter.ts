import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Logger } from '@nestjs/common';
import { DomainException } from '@keyhouse/platform/messaging';
import { DealsErrorCode } from '../../deals-commission.exception';
import type { FileStorage, SignedDownload } from './file-storage.port';

/** Connection settings of `S3FileStorage` (from the `DEALS_COMMISSION_S3_*` variables). */
export interface S3FileStorageOptions {
  bucket: string;
  region: string;
  /** S3-compatible endpoint (MinIO…); unset for AWS. */
  endpoint?: string;
  /** Endpoint written into pre-signed URLs; defaults to `endpoint`. */
  publicEndpoint?: string;
  forcePathStyle: boolean;
  /** Prepended to every object key. */
  keyPrefix: string;
  /** Static credentials; absent: the AWS default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Parts fetched or removed at once while assembling or deleting. */
const PARALLEL = 4;

/** Width of the zero-padded offset in a part's key, so parts list in offset order. */
const OFFSET_DIGITS = 12;

function isNotFound(error: unknown): boolean {
  // Not the status alone: a missing bucket is a 404 too (NoSuchBucket), and a configuration error.
  const name = (error as { name?: string })?.name;
  return name === 'NotFound' || name === 'NoSuchKey';
}

async function inBatches<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += PARALLEL) await Promise.all(items.slice(start, start + PARALLEL).map(work));
}

const sha256Base64 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64');

/**
 * `FileStorage` in an S3-compatible bucket through the AWS SDK v3 (docs/adr/0018).
 *
 * The service receives a file as 512 KiB chunks over NATS, possibly on different replicas, and S3
 * multipart parts must be at least 5 MiB (except the last), so chunks cannot be parts. Each chunk
 * is instead stored as its own object `<prefix>pending/<key>/<offset, 12 digits>` (a retried chunk
 * overwrites itself); `commit` lists them, checks they are contiguous from 0, reads them in order,
 * hashes the whole and stores it with one PutObject at `<prefix><key>` carrying
 * `x-amz-checksum-sha256`, so the store itself refuses bytes that differ from the hash
 * (S3 `BadDigest`); then removes the parts. Files are at most `DEALS_COMMISSION_FILE_MAX_BYTES`
 * (10 MiB), so assembling in memory is bounded. A `commit` retried after it succeeded (parts gone,
 * object present) answers size and SHA-256 from HeadObject's stored checksum.
 *
 * Downloads through the gateway read ranges (`GetObject` with `Range`); `signedDownloadUrl` signs a
 * GetObject (SigV4 query parameters, `response-content-disposition: attachment`) with the public
 * endpoint, no network call.
 */
export class S3FileStorage implements FileStorage {
  private readonly logger = new Logger(S3FileStorage.name);
  private readonly client: S3Client;
  private readonly signer: S3Client;

  constructor(private readonly options: S3FileStorageOptions) {
    const base: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    this.client = new S3Client({ ...base, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    const publicEndpoint = options.publicEndpoint ?? options.endpoint;
    this.signer =
      publicEndpoint === options.endpoint
        ? this.client
        : new S3Client({ ...base, ...(publicEndpoint ? { endpoint: publicEndpoint } : {}) });
  }

  async writeChunk(key: string, offset: number, bytes: Buffer): Promise<void> {
    await this.guard(
      this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: this.partKey(key, offset),
          Body: bytes,
          ContentLength: bytes.length,
          ChecksumSHA256: sha256Base64(bytes),
        }),
      ),
    );
  }

  async commit(key: string): Promise<{ size: number; sha256: string }> {
    const parts = await this.pendingParts(key);
    if (!parts.length) return this.committed(key);
    const pieces: Buffer[] = new Array<Buffer>(parts.length);
    await inBatches(
      parts.map((part, index) => ({ part, index })),
      async ({ part, index }) => {
        pieces[index] = await this.get(part.key);
      },
    );
    // Contiguous from offset 0; a gap (a chunk never stored) ends the object there, and the
    // caller sees a size that differs from the declared one.
    const contiguous: Buffer[] = [];
    let size = 0;
    for (const [index, part] of parts.entries()) {
      if (part.offset !== size) break;
      contiguous.push(pieces[index]);
      size += pieces[index].length;
    }
    const body = Buffer.concat(contiguous);
    const digest = createHash('sha256').update(body).digest();
    if (contiguous.length === parts.length) {
      await this.guard(
        this.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: this.objectKey(key),
            Body: body,
            ContentLength: body.length,
            ChecksumSHA256: digest.toString('base64'),
          }),
        ),
      );
      await this.removeParts(parts);
    }
    return { size, sha256: digest.toString('hex') };
  }

  async read(key: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    return this.get(this.objectKey(key), `bytes=${offset}-${offset + length - 1}`);
  }

  async delete(key: string): Promise<void> {
    await this.guard(this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) })));
    await this.removeParts(await this.pendingParts(key));
  }

  async signedDownloadUrl(key: string, download: SignedDownload): Promise<{ url: string; expiresAt: Date }> {
    const signedAt = new Date();
    const url = await getSignedUrl(
      this.signer,
      new GetObjectCommand({
        Bucket: this.options.bucket,
        Key: this.objectKey(key),
        ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(download.fileName)}`,
        ResponseContentType: download.contentType,
      }),
      { expiresIn: download.expiresInSeconds, signingDate: signedAt },
    );
    return { url, expiresAt: new Date(signedAt.getTime() + download.expiresInSeconds * 1000) };
  }

  /** Closes the SDK's sockets (Nest calls it on shutdown). */
  onApplicationShutdown(): void {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }

  /**
   * Awaits an S3 call; a 404 passes through (callers handle it), any other failure (network, 5xx,
   * AccessDenied, NoSuchBucket) is logged with its S3 code and HTTP status — never the request,
   * which may carry credentials — and becomes 503 `FILE_STORAGE_UNAVAILABLE`.
   */
  private async guard<T>(pending: Promise<T>): Promise<T> {
    try {
      return await pending;
    } catch (error) {
      if (isNotFound(error)) throw error;
      const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      this.logger.warn(
        { s3Error: failure?.name, s3Status: failure?.$metadata?.httpStatusCode, bucket: this.options.bucket },
        `S3 request failed: ${failure?.message ?? String(error)}`,
      );
      throw new DomainException('unavailable', DealsErrorCode.FileStorageUnavailable, 'The file store is unavailable; try again later');
    }
  }

  private objectKey(key: string): string {
    return `${this.options.keyPrefix}${key}`;
  }

  private partPrefix(key: string): string {
    return `${this.options.keyPrefix}pending/${key}/`;
  }

  private partKey(key: string, offset: number): string {
    return `${this.partPrefix(key)}${String(offset).padStart(OFFSET_DIGITS, '0')}`;
  }

  /** The pending parts of `key`, by offset. */
  private async pendingParts(key: string): Promise<Array<{ key: string; offset: number }>> {
    const prefix = this.partPrefix(key);
    const parts: Array<{ key: string; offset: number }> = [];
    let token: string | undefined;
    do {
      const page = await this.guard(
        this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const item of page.Contents ?? []) {
        const offset = Number(item.Key!.slice(prefix.length));
        if (Number.isSafeInteger(offset)) parts.push({ key: item.Key!, offset });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return parts.sort((a, b) => a.offset - b.offset);
  }

  private removeParts(parts: Array<{ key: string }>): Promise<void> {
    return inBatches(parts, (part) =>
      this.guard(this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: part.key }))),
    );
  }

  private async get(objectKey: string, range?: string): Promise<Buffer> {
    const response = await this.guard(
      this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: objectKey, ...(range ? { Range: range } : {}) })),
    );
    return Buffer.from(await response.Body!.transformToByteArray());
  }

  /** Size and SHA-256 of an object already committed (a retried `commit`), from its stored checksum. */
  private async committed(key: string): Promise<{ size: number; sha256: string }> {
    try {
      const head = await this.guard(
        this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), ChecksumMode: 'ENABLED' })),
      );
      if (!head.ChecksumSHA256) throw new Error(`object ${this.objectKey(key)} has no stored SHA-256`);
      return { size: Number(head.ContentLength ?? 0), sha256: Buffer.from(head.ChecksumSHA256, 'base64').toString('hex') };
    } catch (error) {
      if (isNotFound(error)) return { size: 0, sha256: createHash('sha256').digest('hex') };
      throw error;
    }
  }
}
