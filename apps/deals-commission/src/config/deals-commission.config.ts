import { z } from 'zod';
import { ConfigError, env, loadConfig } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** Longest validity of a SigV4 pre-signed URL (7 days, the AWS limit). */
const PRESIGN_MAX_SECONDS = 7 * 24 * 3600;

const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/);

/** Environment of the deals-commission service (see `serviceEnv`); service-specific variables follow it. */
export const dealsCommissionEnv = {
  ...serviceEnv('DEALS_COMMISSION', { healthPort: 3104, schema: 'deals', dbRole: 'keyhouse_deals' }),
  /** How often key-date reminders and missed deadlines are looked for, ms (60000). Tests shorten it. */
  DEALS_COMMISSION_SCHEDULE_EVERY_MS: env.positiveInt(60_000, 'milliseconds between reminder / missed-deadline runs (60000)'),
  /** How often sent invoices past due are marked overdue, ms (daily: 86400000). */
  DEALS_COMMISSION_OVERDUE_EVERY_MS: env.positiveInt(86_400_000, 'milliseconds between overdue-invoice runs (86400000)'),
  /** Largest transaction file, bytes (10 MiB). */
  DEALS_COMMISSION_FILE_MAX_BYTES: env.positiveInt(10 * 1024 * 1024, 'a size in bytes'),
  /** Where file bytes live: `local` (disk, `DEALS_COMMISSION_FILE_DIR`) or `s3` (an S3-compatible bucket, docs/adr/0018). */
  DEALS_COMMISSION_FILE_STORAGE: env.oneOf(['local', 's3'], 'local'),
  /** Directory of the local-disk file storage, relative to the working directory unless absolute. */
  DEALS_COMMISSION_FILE_DIR: env.string('tmp/deal-files', 'a directory for transaction files'),
  /** S3 API endpoint for S3-compatible stores (MinIO, Ceph, R2…); unset for AWS S3 itself. */
  DEALS_COMMISSION_S3_ENDPOINT: httpUrl.optional().describe('an http(s) URL such as http://minio:9000'),
  /**
   * Endpoint written into pre-signed download URLs when clients reach the store by another address
   * than the service does (`http://minio:9000` inside, `https://files.example.com` outside); the
   * signature covers the host, so the URL is signed for this one. Defaults to the endpoint.
   */
  DEALS_COMMISSION_S3_PUBLIC_ENDPOINT: httpUrl.optional().describe('an http(s) URL clients reach the store at'),
  /** Region of the bucket (`us-east-1` for MinIO unless configured otherwise). Required with `s3`. */
  DEALS_COMMISSION_S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .optional()
    .describe('a region such as us-east-1'),
  /** Bucket of the transaction files. Required with `s3`. */
  DEALS_COMMISSION_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
    .optional()
    .describe('an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)'),
  /** Prepended to every object key (e.g. `deals/`), so a bucket can be shared. */
  DEALS_COMMISSION_S3_KEY_PREFIX: z.string().default('').describe('an object key prefix such as "deals/"'),
  /** Static credentials; both or neither (neither: the AWS default chain — environment, IRSA, instance role). Never logged. */
  DEALS_COMMISSION_S3_ACCESS_KEY_ID: env.optionalString('an access key id'),
  DEALS_COMMISSION_S3_SECRET_ACCESS_KEY: env.optionalString('a secret access key'),
  /** Path-style URLs (`endpoint/bucket/key`) instead of virtual hosts (`bucket.endpoint/key`): true for MinIO. */
  DEALS_COMMISSION_S3_FORCE_PATH_STYLE: env.bool(false),
  /** Validity of pre-signed download URLs, seconds (300; at most 604800, the SigV4 limit). */
  DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .max(PRESIGN_MAX_SECONDS)
    .default(300)
    .describe(`seconds between 1 and ${PRESIGN_MAX_SECONDS} (300)`),
  /**
   * Key of the HMAC-SHA256 signatures of download URLs with the local-disk storage (served by the
   * gateway, `GET /v1/transactions/:id/files/:fileId/signed`), at least 32 characters. Unset: a
   * random key per process, so a URL opens only on the replica that signed it and stops at its
   * restart; replicas sharing a volume need the same value. Never logged.
   */
  DEALS_COMMISSION_DOWNLOAD_URL_SECRET: z.string().min(32).optional().describe('a secret of at least 32 characters'),
};

export type DealsCommissionConfig = z.infer<z.ZodObject<typeof dealsCommissionEnv>>;

/** Rules across variables: the `s3` storage needs a bucket and a region, and static credentials come in pairs. */
function crossFieldProblems(config: DealsCommissionConfig): Array<{ variable: string; expected: string }> {
  const problems: Array<{ variable: string; expected: string }> = [];
  if (config.DEALS_COMMISSION_FILE_STORAGE === 's3') {
    if (!config.DEALS_COMMISSION_S3_BUCKET)
      problems.push({
        variable: 'DEALS_COMMISSION_S3_BUCKET',
        expected: 'is missing: expected a bucket name when DEALS_COMMISSION_FILE_STORAGE=s3',
      });
    if (!config.DEALS_COMMISSION_S3_REGION)
      problems.push({
        variable: 'DEALS_COMMISSION_S3_REGION',
        expected: 'is missing: expected a region when DEALS_COMMISSION_FILE_STORAGE=s3',
      });
  }
  const hasKeyId = config.DEALS_COMMISSION_S3_ACCESS_KEY_ID !== undefined;
  const hasSecret = config.DEALS_COMMISSION_S3_SECRET_ACCESS_KEY !== undefined;
  if (hasKeyId && !hasSecret)
    problems.push({
      variable: 'DEALS_COMMISSION_S3_SECRET_ACCESS_KEY',
      expected: 'is missing: expected it with DEALS_COMMISSION_S3_ACCESS_KEY_ID',
    });
  if (hasSecret && !hasKeyId)
    problems.push({
      variable: 'DEALS_COMMISSION_S3_ACCESS_KEY_ID',
      expected: 'is missing: expected it with DEALS_COMMISSION_S3_SECRET_ACCESS_KEY',
    });
  return problems;
}

/** Parses and checks the environment; throws `ConfigError` (one line naming each variable, never a secret's value). */
export function parseDealsCommissionConfig(source: NodeJS.ProcessEnv = process.env): DealsCommissionConfig {
  const config = loadConfig(dealsCommissionEnv, source);
  const problems = crossFieldProblems(config);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** `parseDealsCommissionConfig`, printing the one-line error and exiting 78 (EX_CONFIG) as `loadConfigOrExit` does. */
export function loadDealsCommissionConfig(source: NodeJS.ProcessEnv = process.env): DealsCommissionConfig {
  try {
    return parseDealsCommissionConfig(source);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

export const DEALS_COMMISSION_CONFIG = Symbol('DEALS_COMMISSION_CONFIG');
