/**
 * NATS subjects and payloads for transaction files. Bytes travel in base64 chunks of at most
 * `DEALS_FILE_CHUNK_BYTES` raw bytes per message, below the 1 MiB NATS limit: the gateway calls
 * `begin`, then `chunk` for each piece in order, then `complete`; downloads read chunk by chunk.
 */
import { defineRpc } from '../rpc-contract.util';

export const DealsFileSubjects = {
  begin: defineRpc<TransactionFileBeginRequest, TransactionFileUpload>('deals.files.begin'),
  chunk: defineRpc<TransactionFileChunkRequest, TransactionFileChunkReceipt>('deals.files.chunk'),
  complete: defineRpc<TransactionFileRef, TransactionFileView>('deals.files.complete'),
  list: defineRpc<{ transactionId: string }, { items: TransactionFileView[] }>('deals.files.list'),
  get: defineRpc<TransactionFileRef, TransactionFileView>('deals.files.get'),
  read: defineRpc<TransactionFileReadRequest, TransactionFileChunk>('deals.files.read'),
  /** Answers no content. */
  delete: defineRpc<TransactionFileRef, void>('deals.files.delete'),
  /**
   * A signed GET URL of a stored file: the store's pre-signed URL with the S3 storage; with the
   * local disk, a gateway path (`/v1/transactions/:id/files/:fileId/signed?expires=…&signature=…`)
   * that `signedGet` and `signedRead` answer without a caller.
   */
  downloadUrl: defineRpc<TransactionFileRef, TransactionFileDownloadUrl>('deals.files.download-url'),
  /** The metadata of the file a signed local URL names (no actor: the signature is the permission). */
  signedGet: defineRpc<TransactionFileSignedRef, TransactionFileView>('deals.files.signed-get'),
  /** Chunk `index` of the file a signed local URL names (no actor: the signature is the permission). */
  signedRead: defineRpc<TransactionFileSignedReadRequest, TransactionFileChunk>('deals.files.signed-read'),
  /** Shares a stored file with the deal's clients (the client portal) or stops sharing it; answers the file. */
  share: defineRpc<TransactionFileShareRequest, TransactionFileView>('deals.files.share'),
};

/** `PUT /v1/transactions/:id/files/:fileId/sharing`: `shared` true shows the file in the client portal, false hides it. */
export interface TransactionFileShareRequest extends TransactionFileRef {
  shared: boolean;
}

/**
 * A signed GET URL of a stored file and when it stops working (ISO 8601, UTC). `url` is the
 * store's absolute URL with the S3 storage; with the local disk the service answers a path on the
 * gateway, which the gateway answers as an absolute URL of itself.
 */
export interface TransactionFileDownloadUrl {
  url: string;
  expiresAt: string;
}

/**
 * What a signed local download URL carries: the file, `expires` (Unix time, seconds) and
 * `signature` (HMAC-SHA256 of the transaction id, file id and `expires`, base64url).
 */
export interface TransactionFileSignedRef extends TransactionFileRef {
  expires: number;
  signature: string;
}

export interface TransactionFileSignedReadRequest extends TransactionFileSignedRef {
  index: number;
}

/** Raw bytes per upload/download chunk (512 KiB; 683 KiB in base64). */
export const DEALS_FILE_CHUNK_BYTES = 512 * 1024;

/** Accepted content types: PDF, JPEG, PNG, GIF, WebP, HEIC images, Word (.doc, .docx). */
export const DEALS_FILE_TYPES = [
  'application/pdf',
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
] as const;

export interface TransactionFileView {
  id: string;
  transactionId: string;
  name: string;
  contentType: string;
  size: number;
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
  uploadedBy: string | null;
  createdAt: string;
  /** Whether the deal's clients see the file in the client portal. */
  sharedWithClients: boolean;
  /** When it was last shared with clients (RFC 3339); null while not shared. */
  sharedAt: string | null;
}

export interface TransactionFileBeginRequest {
  transactionId: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** An upload begun: the file's id, and the raw bytes each `chunk` carries. */
export interface TransactionFileUpload {
  fileId: string;
  chunkBytes: number;
}

/** Raw bytes of one chunk written. */
export interface TransactionFileChunkReceipt {
  received: number;
}

export interface TransactionFileChunkRequest {
  transactionId: string;
  fileId: string;
  index: number;
  base64: string;
}

export interface TransactionFileRef {
  transactionId: string;
  fileId: string;
}

export interface TransactionFileReadRequest extends TransactionFileRef {
  index: number;
}

export interface TransactionFileChunk {
  index: number;
  base64: string;
  last: boolean;
}
