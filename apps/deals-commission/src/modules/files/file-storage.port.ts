/**
 * Where transaction files' bytes live. Keys are opaque (`<orgId>/<fileId>`); the database keeps the
 * metadata. Writes are positional so a retried chunk overwrites itself instead of appending twice;
 * `commit` makes a fully written object readable and returns its size and SHA-256.
 * Adapters: `LocalDiskFileStorage` (default) and `S3FileStorage`, chosen by
 * `DEALS_COMMISSION_FILE_STORAGE` (docs/adr/0018).
 */
export interface FileStorage {
  /** Writes `bytes` at `offset` of the pending object `key` (created on first write). */
  writeChunk(key: string, offset: number, bytes: Buffer): Promise<void>;
  /** Finishes the pending object: size in bytes and SHA-256 (lowercase hex) of what was written. */
  commit(key: string): Promise<{ size: number; sha256: string }>;
  /** Up to `length` bytes of a committed object from `offset`. */
  read(key: string, offset: number, length: number): Promise<Buffer>;
  /** Removes the object, pending or committed; no error when absent. */
  delete(key: string): Promise<void>;
  /**
   * A URL that lets whoever holds it GET the committed object directly from the store until
   * `expiresAt`, answered as an attachment named `fileName` of `contentType`; `null` when the
   * adapter cannot hand out such URLs (the local disk).
   */
  signedDownloadUrl(key: string, download: SignedDownload): Promise<{ url: string; expiresAt: Date } | null>;
}

export interface SignedDownload {
  fileName: string;
  contentType: string;
  /** Validity of the URL, seconds. */
  expiresInSeconds: number;
}

export const FILE_STORAGE = Symbol('FILE_STORAGE');
