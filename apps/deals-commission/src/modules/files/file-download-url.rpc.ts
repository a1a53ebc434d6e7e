/**
 * Contract of `deals.files.download-url` (request `TransactionFileRef`, answer
 * `TransactionFileDownloadUrl`). Declared here and, identically, in
 * `apps/gateway/src/deals/file-download-url.rpc.ts` until it moves into
 * `libs/contracts/src/rpc/deals/deals-files.rpc.ts` (`DealsFileSubjects.downloadUrl`).
 */
export const DEALS_FILE_DOWNLOAD_URL_SUBJECT = 'deals.files.download-url';

/** A pre-signed GET URL of a stored file and when it stops working (ISO 8601). */
export interface TransactionFileDownloadUrl {
  url: string;
  expiresAt: string;
}
