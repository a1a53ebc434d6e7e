import { createHash } from 'node:crypto';
import { DealsFileSubjects as F, type Actor, type TransactionFileView } from '@keyhouse/contracts';
import type { TestService } from '@keyhouse/testing';

/** A file to upload: its name, declared content type and bytes. */
export interface UploadedFileInput {
  name: string;
  type: string;
  bytes: Buffer;
}

/**
 * Uploads `file` to a transaction as `actor` the way the gateway does: `deals.files.begin` with
 * name, type, size and SHA-256, `deals.files.chunk` for each piece of the `chunkBytes` the service
 * answered, in order, then `deals.files.complete`; resolves with the stored file.
 *
 * @throws DomainException: the service's refusal of any step, as it sent it.
 */
export async function uploadFile(
  deals: TestService,
  actor: Actor,
  transactionId: string,
  file: UploadedFileInput,
): Promise<TransactionFileView> {
  const sha256 = createHash('sha256').update(file.bytes).digest('hex');
  const begun = await deals.rpc.call(
    F.begin,
    { transactionId, name: file.name, contentType: file.type, size: file.bytes.length, sha256 },
    actor,
  );
  for (let index = 0; index * begun.chunkBytes < file.bytes.length; index += 1) {
    const chunk = file.bytes.subarray(index * begun.chunkBytes, (index + 1) * begun.chunkBytes);
    await deals.rpc.call(F.chunk, { transactionId, fileId: begun.fileId, index, base64: chunk.toString('base64') }, actor);
  }
  return deals.rpc.call(F.complete, { transactionId, fileId: begun.fileId }, actor);
}

/**
 * Downloads a stored file as `actor` the way the gateway does: `deals.files.get` (the metadata),
 * then `deals.files.read` chunk by chunk until the last.
 *
 * @throws DomainException: the service's refusal (404 `TRANSACTION_NOT_FOUND`, `FILE_NOT_FOUND`).
 */
export async function downloadFile(
  deals: TestService,
  actor: Actor,
  transactionId: string,
  fileId: string,
): Promise<{ file: TransactionFileView; bytes: Buffer }> {
  const file = await deals.rpc.call(F.get, { transactionId, fileId }, actor);
  const chunks: Buffer[] = [];
  for (let index = 0; ; index += 1) {
    const chunk = await deals.rpc.call(F.read, { transactionId, fileId, index }, actor);
    chunks.push(Buffer.from(chunk.base64, 'base64'));
    if (chunk.last) break;
  }
  return { file, bytes: Buffer.concat(chunks) };
}

/** SHA-256 of `bytes`, lowercase hex. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
