import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql, type Selectable } from 'kysely';
import type { DataSource, EntityManager } from 'typeorm';
import {
  DEALS_FILE_CHUNK_BYTES,
  DEALS_FILE_TYPES,
  DealsEvent,
  DealsFileSubjects,
  type RequestEnvelope,
  type TransactionFileBeginRequest,
  type TransactionFileChunk,
  type TransactionFileChunkReceipt,
  type TransactionFileChunkRequest,
  type TransactionFileReadRequest,
  type TransactionFileRef,
  type TransactionFileShareRequest,
  type TransactionFileSignedReadRequest,
  type TransactionFileSignedRef,
  type TransactionFileView,
  type TransactionFileDownloadUrl,
  type TransactionFileUpload,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { requestLogFields } from '@keyhouse/platform/observability';
import { newId } from '@keyhouse/util';
import { DEALS_COMMISSION_CONFIG, type DealsCommissionConfig } from '../../config/deals-commission.config';
import type { DealsCommissionDb } from '../../database/deals-commission.db';
import type { TransactionFileStatus } from '../../database/deals-commission-json.type';
import { DealsErrorCode } from '../../deals-commission.exception';
import { actorOf, scopeFor } from '../scope.util';
import { findVisibleTransaction, recordActivity } from '../transactions/transaction.queries';
import { FileDownloadSigner, signedDownloadPath } from './file-download-signer.service';
import { FILE_STORAGE, type FileStorage } from './file-storage.port';

/** A row of `transaction_file` (declared by the migrations: `deals-commission.db.ts`); `size_bytes` is bigint (text). */
type FileRow = Selectable<DealsCommissionDb['transaction_file']>;

function toView(row: FileRow): TransactionFileView {
  return {
    id: row.id,
    transactionId: row.transaction_id,
    name: row.name,
    contentType: row.content_type,
    size: Number(row.size_bytes),
    sha256: row.sha256,
    uploadedBy: row.uploaded_by,
    createdAt: row.created_at.toISOString(),
    sharedWithClients: row.shared_at !== null,
    sharedAt: row.shared_at?.toISOString() ?? null,
  };
}

/** Leading bytes ("magic numbers") of each accepted type; the first chunk must match the declared type. */
const SIGNATURES: Record<(typeof DEALS_FILE_TYPES)[number], (head: Buffer) => boolean> = {
  'application/pdf': (head) => head.subarray(0, 5).toString('latin1') === '%PDF-',
  'image/jpeg': (head) => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff,
  'image/png': (head) => head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/gif': (head) => head.subarray(0, 4).toString('latin1') === 'GIF8',
  'image/webp': (head) => head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP',
  'application/msword': (head) => head.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])),
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': (head) =>
    head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])),
};

/**
 * Files on a transaction: metadata in `transaction_file`, bytes through the `FileStorage` port.
 * Upload in three steps (bytes in ≤ 512 KiB chunks, below the NATS message limit): `begin` declares
 * name, type, size and SHA-256; `chunk` writes piece `index` at `index × 512 KiB` (the first must
 * match the declared type's signature); `complete` checks size and SHA-256 of what arrived and
 * publishes the file. Types: PDF, JPEG, PNG, GIF, WebP, Word (.doc/.docx) — else 400
 * `FILE_TYPE_NOT_ALLOWED`; at most `DEALS_COMMISSION_FILE_MAX_BYTES` — else 413 `FILE_TOO_LARGE`.
 * Upload, delete and sharing with clients need `transactions:write`, list and download
 * `transactions:read`, on a transaction within the caller's reach (404 `TRANSACTION_NOT_FOUND`
 * otherwise). A file shared with clients (`shared_at`) is what the client portal shows the deal's
 * buyers and sellers (`PortalService`, docs/adr/0033).
 */
@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);
  private readonly signer: FileDownloadSigner;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    @Inject(DEALS_COMMISSION_CONFIG) private readonly config: DealsCommissionConfig,
    private readonly unitOfWork: UnitOfWork,
  ) {
    this.signer = new FileDownloadSigner(config.DEALS_COMMISSION_DOWNLOAD_URL_SECRET);
  }

  /** Declares an upload (row `uploading`): 400 `FILE_TYPE_NOT_ALLOWED` or a bad size / SHA-256, 413 `FILE_TOO_LARGE`, 404 `TRANSACTION_NOT_FOUND`. */
  @RpcHandler(DealsFileSubjects.begin)
  async begin(envelope: RequestEnvelope<TransactionFileBeginRequest>): Promise<TransactionFileUpload> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    if (!(DEALS_FILE_TYPES as readonly string[]).includes(data.contentType)) {
      throw DomainException.validation(
        [{ field: 'file', message: `type ${data.contentType} is not accepted (PDF, images, Word documents)` }],
        DealsErrorCode.FileTypeNotAllowed,
      );
    }
    if (data.size > this.config.DEALS_COMMISSION_FILE_MAX_BYTES) {
      throw new DomainException(
        'payload_too_large',
        DealsErrorCode.FileTooLarge,
        `Files are limited to ${this.config.DEALS_COMMISSION_FILE_MAX_BYTES} bytes`,
        [{ field: 'file', message: `must be at most ${this.config.DEALS_COMMISSION_FILE_MAX_BYTES} bytes` }],
      );
    }
    if (!Number.isSafeInteger(data.size) || data.size <= 0)
      throw DomainException.validation([{ field: 'file', message: 'must not be empty' }]);
    if (!/^[0-9a-f]{64}$/.test(data.sha256))
      throw DomainException.validation([{ field: 'sha256', message: 'must be a SHA-256 in lowercase hex' }]);
    const name =
      [...data.name]
        .map((char) => (char === '/' || char === '\\' || char.charCodeAt(0) < 0x20 ? '_' : char))
        .join('')
        .slice(0, 255) || 'file';
    const deal = await findVisibleTransaction(this.dataSource.manager, actor, scope, data.transactionId);
    const id = newId();
    await kyselyFor<DealsCommissionDb>(this.dataSource)
      .insertInto('transaction_file')
      .values({
        id,
        org_id: actor.orgId,
        transaction_id: deal.id,
        name,
        content_type: data.contentType,
        size_bytes: data.size,
        sha256: data.sha256,
        storage_key: `${actor.orgId}/${id}`,
        status: 'uploading',
        uploaded_by: actor.userId,
      })
      .execute();
    return { fileId: id, chunkBytes: DEALS_FILE_CHUNK_BYTES };
  }

  /** Writes chunk `index` of an upload; 400 for a chunk outside the declared size, `FILE_TYPE_NOT_ALLOWED` (upload discarded) when the first does not match the type; 404 `FILE_NOT_FOUND`. */
  @RpcHandler(DealsFileSubjects.chunk)
  async chunk(envelope: RequestEnvelope<TransactionFileChunkRequest>): Promise<TransactionFileChunkReceipt> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const data = envelope.data;
    const file = await this.find(this.dataSource.manager, envelope, scope, data, 'uploading');
    const bytes = Buffer.from(data.base64, 'base64');
    const offset = data.index * DEALS_FILE_CHUNK_BYTES;
    if (
      !Number.isInteger(data.index) ||
      data.index < 0 ||
      bytes.length === 0 ||
      bytes.length > DEALS_FILE_CHUNK_BYTES ||
      offset + bytes.length > Number(file.size_bytes)
    ) {
      throw DomainException.validation([{ field: 'index', message: 'chunk outside the declared size' }]);
    }
    if (data.index === 0 && !SIGNATURES[file.content_type as keyof typeof SIGNATURES](bytes)) {
      await this.discard(file);
      throw DomainException.validation(
        [{ field: 'file', message: `the content is not ${file.content_type}` }],
        DealsErrorCode.FileTypeNotAllowed,
      );
    }
    await this.storage.writeChunk(file.storage_key, offset, bytes);
    return { received: bytes.length };
  }

  /** 422 `FILE_CHECKSUM_MISMATCH` (the upload is discarded) when size or SHA-256 differ from the declaration. */
  @RpcHandler(DealsFileSubjects.complete)
  async complete(envelope: RequestEnvelope<TransactionFileRef>): Promise<TransactionFileView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const file = await this.find(this.dataSource.manager, envelope, scope, envelope.data, 'uploading');
    const stored = await this.storage.commit(file.storage_key);
    if (stored.size !== Number(file.size_bytes) || stored.sha256 !== file.sha256) {
      await this.discard(file);
      throw new DomainException(
        'unprocessable',
        DealsErrorCode.FileChecksumMismatch,
        'The bytes received do not match the declared size and SHA-256',
        [{ field: 'file', message: 'size or checksum differs; upload again' }],
      );
    }
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const stored = await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('transaction_file')
        .set({ status: 'stored' })
        .where('id', '=', file.id)
        .where('status', '=', 'uploading')
        .returningAll()
        .executeTakeFirst();
      if (!stored) throw DomainException.notFound(DealsErrorCode.FileNotFound, 'File');
      const view = toView(stored);
      await recordActivity(
        manager,
        file.org_id,
        file.transaction_id,
        'file_uploaded',
        actor.userId,
        { fileId: file.id, name: file.name },
        newId(),
      );
      await unit.emit(DealsEvent.fileUploaded, file.transaction_id, file.org_id, { file: view });
      return view;
    });
  }

  /** Stored files of a transaction within reach (at most 500), oldest first; 404 `TRANSACTION_NOT_FOUND`. */
  @RpcHandler(DealsFileSubjects.list)
  async list(envelope: RequestEnvelope<{ transactionId: string }>): Promise<{ items: TransactionFileView[] }> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const deal = await findVisibleTransaction(this.dataSource.manager, actor, scope, envelope.data.transactionId);
    const rows = await kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('transaction_file')
      .selectAll()
      .where('transaction_id', '=', deal.id)
      .where('status', '=', 'stored')
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(500)
      .execute();
    return { items: rows.map(toView) };
  }

  /** A stored file's metadata; 404 `TRANSACTION_NOT_FOUND` / `FILE_NOT_FOUND`. */
  @RpcHandler(DealsFileSubjects.get)
  async get(envelope: RequestEnvelope<TransactionFileRef>): Promise<TransactionFileView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    return toView(await this.find(this.dataSource.manager, envelope, scope, envelope.data, 'stored'));
  }

  /** Chunk `index` of a stored file (≤ 512 KiB, base64); `last` on the final one. */
  @RpcHandler(DealsFileSubjects.read)
  async read(envelope: RequestEnvelope<TransactionFileReadRequest>): Promise<TransactionFileChunk> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    const file = await this.find(this.dataSource.manager, envelope, scope, envelope.data, 'stored');
    return this.readChunk(file, envelope.data.index);
  }

  /**
   * A signed GET URL of a stored file, valid `DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS` (300),
   * answered as an attachment with the file's name and type. Same checks as `read`
   * (`transactions:read` on a transaction within reach, else 404). With the S3 storage the store's
   * pre-signed URL; with the local disk, which has no URL of its own, the gateway path
   * `/v1/transactions/:id/files/:fileId/signed?expires=…&signature=…` (HMAC-SHA256,
   * `FileDownloadSigner`) that `signedGet` / `signedRead` answer (docs/adr/0018).
   */
  @RpcHandler(DealsFileSubjects.downloadUrl)
  async downloadUrl(envelope: RequestEnvelope<TransactionFileRef>): Promise<TransactionFileDownloadUrl> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:read');
    return this.signedUrlOf(await this.find(this.dataSource.manager, envelope, scope, envelope.data, 'stored'));
  }

  /**
   * A signed GET URL of `file` (a stored file the caller was found to reach), valid
   * `DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS`: the store's pre-signed URL, or with the local disk
   * the gateway's signed path (`downloadUrl`). Also the client portal's download URL.
   */
  async signedUrlOf(
    file: Pick<FileRow, 'id' | 'transaction_id' | 'storage_key' | 'name' | 'content_type'>,
  ): Promise<TransactionFileDownloadUrl> {
    const ttl = this.config.DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS;
    const signed = await this.storage.signedDownloadUrl(file.storage_key, {
      fileName: file.name,
      contentType: file.content_type,
      expiresInSeconds: ttl,
    });
    if (signed) return { url: signed.url, expiresAt: signed.expiresAt.toISOString() };
    const ref = { transactionId: file.transaction_id, fileId: file.id };
    const local = this.signer.sign(ref, ttl);
    return { url: signedDownloadPath(ref, local), expiresAt: new Date(local.expires * 1000).toISOString() };
  }

  /**
   * The metadata of the file a signed local URL names; no actor (the signature is the permission).
   * 403 `FILE_DOWNLOAD_URL_INVALID` / `FILE_DOWNLOAD_URL_EXPIRED`; 404 `FILE_NOT_FOUND` when the
   * file or its deal was deleted since.
   */
  @RpcHandler(DealsFileSubjects.signedGet)
  async signedGet(envelope: RequestEnvelope<TransactionFileSignedRef>): Promise<TransactionFileView> {
    return toView(await this.findSigned(envelope.data));
  }

  /** Chunk `index` of the file a signed local URL names (≤ 512 KiB, base64), with `signedGet`'s checks. */
  @RpcHandler(DealsFileSubjects.signedRead)
  async signedRead(envelope: RequestEnvelope<TransactionFileSignedReadRequest>): Promise<TransactionFileChunk> {
    return this.readChunk(await this.findSigned(envelope.data), envelope.data.index);
  }

  /** Soft-deletes a stored file (`deals.file.deleted`), then removes its bytes (a failure there is only logged); 404 `TRANSACTION_NOT_FOUND` / `FILE_NOT_FOUND`. */
  @RpcHandler(DealsFileSubjects.delete)
  async delete(envelope: RequestEnvelope<TransactionFileRef>): Promise<void> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const file = await this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const file = await this.find(manager, envelope, scope, envelope.data, 'stored', true);
      await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('transaction_file')
        .set({ deleted_at: sql<Date>`now()` })
        .where('id', '=', file.id)
        .execute();
      await recordActivity(
        manager,
        file.org_id,
        file.transaction_id,
        'file_deleted',
        actor.userId,
        { fileId: file.id, name: file.name },
        newId(),
      );
      await unit.emit(DealsEvent.fileDeleted, file.transaction_id, file.org_id, { transactionId: file.transaction_id, fileId: file.id });
      return file;
    });
    await this.storage
      .delete(file.storage_key)
      .catch((error: unknown) =>
        this.logger.warn({ ...requestLogFields(envelope), err: error, fileId: file.id }, 'Could not remove deleted file bytes'),
      );
  }

  /**
   * `PUT /v1/transactions/:id/files/:fileId/sharing`: `shared` true shows a stored file to the
   * deal's clients in the client portal (`shared_at` now, `shared_by` the caller), false hides it
   * again. A change records a `file_shared` / `file_unshared` timeline entry and emits
   * `deals.file.shared` / `deals.file.unshared`; asking for the state the file already has changes
   * nothing (no entry, no event) and answers the file. Needs `transactions:write` on a transaction
   * within reach: 404 `TRANSACTION_NOT_FOUND` / `FILE_NOT_FOUND`.
   */
  @RpcHandler(DealsFileSubjects.share)
  async share(envelope: RequestEnvelope<TransactionFileShareRequest>): Promise<TransactionFileView> {
    const actor = actorOf(envelope);
    const scope = scopeFor(actor, 'transactions:write');
    const shared = envelope.data.shared === true;
    return this.unitOfWork.run(envelope, async (unit) => {
      const manager = unit.manager;
      const file = await this.find(manager, envelope, scope, envelope.data, 'stored', true);
      if ((file.shared_at !== null) === shared) return toView(file);
      const row = await kyselyFor<DealsCommissionDb>(manager)
        .updateTable('transaction_file')
        .set(shared ? { shared_at: sql<Date>`now()`, shared_by: actor.userId } : { shared_at: null, shared_by: null })
        .where('id', '=', file.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = toView(row);
      await recordActivity(
        manager,
        file.org_id,
        file.transaction_id,
        shared ? 'file_shared' : 'file_unshared',
        actor.userId,
        { fileId: file.id, name: file.name },
        newId(),
      );
      await unit.emit(shared ? DealsEvent.fileShared : DealsEvent.fileUnshared, file.transaction_id, file.org_id, {
        transactionId: file.transaction_id,
        fileId: file.id,
        name: file.name,
        sharedAt: view.sharedAt,
      });
      return view;
    });
  }

  /** Uploads never completed within an hour are dropped (bytes and row); run by the schedule job. */
  async purgeStaleUploads(): Promise<number> {
    const rows = await kyselyFor<DealsCommissionDb>(this.dataSource)
      .deleteFrom('transaction_file')
      .where('status', '=', 'uploading')
      .where('created_at', '<', sql<Date>`now() - interval '1 hour'`)
      .returning('storage_key')
      .execute();
    for (const row of rows) await this.storage.delete(row.storage_key);
    return rows.length;
  }

  private async find(
    manager: EntityManager,
    envelope: RequestEnvelope,
    scope: ReturnType<typeof scopeFor>,
    ref: TransactionFileRef,
    status: TransactionFileStatus,
    lock = false,
  ): Promise<FileRow> {
    const actor = actorOf(envelope);
    const deal = await findVisibleTransaction(manager, actor, scope, ref.transactionId);
    let query = kyselyFor<DealsCommissionDb>(manager)
      .selectFrom('transaction_file')
      .selectAll()
      .where('id', '=', ref.fileId)
      .where('transaction_id', '=', deal.id)
      .where('status', '=', status)
      .where('deleted_at', 'is', null);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw DomainException.notFound(DealsErrorCode.FileNotFound, 'File');
    return row;
  }

  /** Chunk `index` of a stored file; 400 past its end. */
  private async readChunk(file: FileRow, index: number): Promise<TransactionFileChunk> {
    const offset = index * DEALS_FILE_CHUNK_BYTES;
    const size = Number(file.size_bytes);
    if (!Number.isInteger(index) || index < 0 || offset >= size)
      throw DomainException.validation([{ field: 'index', message: 'past the end of the file' }]);
    const bytes = await this.storage.read(file.storage_key, offset, DEALS_FILE_CHUNK_BYTES);
    return { index, base64: bytes.toString('base64'), last: offset + bytes.length >= size };
  }

  /** The stored file of a signed local URL, its signature checked first (then whether the file and its deal still exist). */
  private async findSigned(ref: TransactionFileSignedRef): Promise<FileRow> {
    const check = this.signer.check(ref, ref.expires, ref.signature);
    if (check === 'invalid')
      throw DomainException.forbidden(DealsErrorCode.FileDownloadUrlInvalid, 'This download URL is not valid; ask for a new one');
    if (check === 'expired')
      throw DomainException.forbidden(DealsErrorCode.FileDownloadUrlExpired, 'This download URL has expired; ask for a new one');
    const row = await kyselyFor<DealsCommissionDb>(this.dataSource)
      .selectFrom('transaction_file as f')
      .innerJoin('deal_transaction as t', (join) => join.onRef('t.id', '=', 'f.transaction_id').onRef('t.org_id', '=', 'f.org_id'))
      .selectAll('f')
      .where('f.id', '=', ref.fileId)
      .where('f.transaction_id', '=', ref.transactionId)
      .where('f.status', '=', 'stored')
      .where('f.deleted_at', 'is', null)
      .where('t.deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) throw DomainException.notFound(DealsErrorCode.FileNotFound, 'File');
    return row;
  }

  private async discard(file: FileRow): Promise<void> {
    await kyselyFor<DealsCommissionDb>(this.dataSource).deleteFrom('transaction_file').where('id', '=', file.id).execute();
    await this.storage.delete(file.storage_key);
  }
}
