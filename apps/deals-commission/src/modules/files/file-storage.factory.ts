import type { DealsCommissionConfig } from '../../config/deals-commission.config';
import type { FileStorage } from './file-storage.port';
import { LocalDiskFileStorage } from './local-disk-file-storage.adapter';
import { S3FileStorage } from './s3-file-storage.adapter';

/** The adapter `DEALS_COMMISSION_FILE_STORAGE` names; the configuration was checked at start (bucket and region present with `s3`). */
export function fileStorageOf(config: DealsCommissionConfig): FileStorage {
  if (config.DEALS_COMMISSION_FILE_STORAGE === 'local') return new LocalDiskFileStorage(config.DEALS_COMMISSION_FILE_DIR);
  const accessKeyId = config.DEALS_COMMISSION_S3_ACCESS_KEY_ID;
  const secretAccessKey = config.DEALS_COMMISSION_S3_SECRET_ACCESS_KEY;
  return new S3FileStorage({
    bucket: config.DEALS_COMMISSION_S3_BUCKET!,
    region: config.DEALS_COMMISSION_S3_REGION!,
    endpoint: config.DEALS_COMMISSION_S3_ENDPOINT,
    publicEndpoint: config.DEALS_COMMISSION_S3_PUBLIC_ENDPOINT,
    forcePathStyle: config.DEALS_COMMISSION_S3_FORCE_PATH_STYLE,
    keyPrefix: config.DEALS_COMMISSION_S3_KEY_PREFIX,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
  });
}
