import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TransactionFileRef } from '@keyhouse/contracts';

/** A signed download: when it stops working (Unix time, seconds) and its signature (base64url). */
export interface FileDownloadSignature {
  expires: number;
  signature: string;
}

/** What a signed URL is checked to be: `valid`, `invalid` (not this service's signature of that file and expiry), `expired`. */
export type FileDownloadCheck = 'valid' | 'invalid' | 'expired';

/**
 * Signs and checks the download URLs of files on the local disk, which has no URL of its own:
 * HMAC-SHA256 over a version tag, the transaction id, the file id and the expiry (Unix seconds),
 * base64url. The URL is a bearer capability for that one file until it expires, as the S3 store's
 * pre-signed URLs are (docs/adr/0018). The key is `DEALS_COMMISSION_DOWNLOAD_URL_SECRET`, or a
 * random one per process when unset (URLs then open only on the replica that signed them and
 * stop at its restart).
 */
export class FileDownloadSigner {
  private readonly key: Buffer;

  /** `now` gives the time in milliseconds (tests pass a clock). */
  constructor(
    secret: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.key = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  /** The signature of `ref` valid for `ttlSeconds` from now (the expiry rounded down to the second). */
  sign(ref: TransactionFileRef, ttlSeconds: number): FileDownloadSignature {
    const expires = Math.floor(this.now() / 1000) + ttlSeconds;
    return { expires, signature: this.signatureOf(ref, expires) };
  }

  /** Whether `signature` is this key's signature of `ref` and `expires` (compared in constant time), and not expired. */
  check(ref: TransactionFileRef, expires: number, signature: string): FileDownloadCheck {
    if (!Number.isSafeInteger(expires)) return 'invalid';
    const expected = Buffer.from(this.signatureOf(ref, expires), 'utf8');
    const given = Buffer.from(signature, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return expires * 1000 <= this.now() ? 'expired' : 'valid';
  }

  private signatureOf(ref: TransactionFileRef, expires: number): string {
    return createHmac('sha256', this.key)
      .update(`deals-file-download:v1\n${ref.transactionId}\n${ref.fileId}\n${expires}`)
      .digest('base64url');
  }
}

/** The gateway path that downloads `ref` with a signature (the route `GET /v1/transactions/:id/files/:fileId/signed`). */
export function signedDownloadPath(ref: TransactionFileRef, signed: FileDownloadSignature): string {
  const query = new URLSearchParams({ expires: String(signed.expires), signature: signed.signature });
  return `/v1/transactions/${encodeURIComponent(ref.transactionId)}/files/${encodeURIComponent(ref.fileId)}/signed?${query.toString()}`;
}
