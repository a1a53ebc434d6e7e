import { ConfigError } from '@keyhouse/platform/config';
import { parseDealsCommissionConfig } from './deals-commission.config';

const BASE = { DEALS_COMMISSION_DATABASE_URL: 'postgres://deals@127.0.0.1:5432/keyhouse' };

const S3 = {
  ...BASE,
  DEALS_COMMISSION_FILE_STORAGE: 's3',
  DEALS_COMMISSION_S3_ENDPOINT: 'http://minio:9000',
  DEALS_COMMISSION_S3_REGION: 'us-east-1',
  DEALS_COMMISSION_S3_BUCKET: 'keyhouse-deal-files',
  DEALS_COMMISSION_S3_ACCESS_KEY_ID: 'minio-user',
  DEALS_COMMISSION_S3_SECRET_ACCESS_KEY: 'very-secret-value',
  DEALS_COMMISSION_S3_FORCE_PATH_STYLE: 'true',
};

/** The one-line message of the ConfigError `source` raises (fails when it parses). */
function problemOf(source: NodeJS.ProcessEnv): string {
  try {
    parseDealsCommissionConfig(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('deals-commission file storage configuration', () => {
  it('defaults to the local disk with 300 s download URLs and no S3 settings', () => {
    const config = parseDealsCommissionConfig(BASE);
    expect(config.DEALS_COMMISSION_FILE_STORAGE).toBe('local');
    expect(config.DEALS_COMMISSION_FILE_DIR).toBe('tmp/deal-files');
    expect(config.DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS).toBe(300);
    expect(config.DEALS_COMMISSION_S3_FORCE_PATH_STYLE).toBe(false);
    expect(config.DEALS_COMMISSION_S3_KEY_PREFIX).toBe('');
    expect(config.DEALS_COMMISSION_S3_BUCKET).toBeUndefined();
  });

  it('reads a complete s3 configuration', () => {
    const config = parseDealsCommissionConfig({
      ...S3,
      DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS: '900',
      DEALS_COMMISSION_S3_KEY_PREFIX: 'deals/',
    });
    expect(config).toMatchObject({
      DEALS_COMMISSION_FILE_STORAGE: 's3',
      DEALS_COMMISSION_S3_ENDPOINT: 'http://minio:9000',
      DEALS_COMMISSION_S3_REGION: 'us-east-1',
      DEALS_COMMISSION_S3_BUCKET: 'keyhouse-deal-files',
      DEALS_COMMISSION_S3_FORCE_PATH_STYLE: true,
      DEALS_COMMISSION_S3_KEY_PREFIX: 'deals/',
      DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS: 900,
    });
  });

  it('accepts s3 without static credentials (the AWS default chain) and without an endpoint (AWS S3)', () => {
    const {
      DEALS_COMMISSION_S3_ACCESS_KEY_ID: _id,
      DEALS_COMMISSION_S3_SECRET_ACCESS_KEY: _secret,
      DEALS_COMMISSION_S3_ENDPOINT: _endpoint,
      ...aws
    } = S3;
    const config = parseDealsCommissionConfig(aws);
    expect(config.DEALS_COMMISSION_S3_ACCESS_KEY_ID).toBeUndefined();
    expect(config.DEALS_COMMISSION_S3_ENDPOINT).toBeUndefined();
  });

  it('names the bucket and the region when s3 lacks them, in one line', () => {
    const message = problemOf({ ...BASE, DEALS_COMMISSION_FILE_STORAGE: 's3' });
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^Invalid configuration: DEALS_COMMISSION_S3_BUCKET is missing: .*; DEALS_COMMISSION_S3_REGION is missing: /);
  });

  it('refuses an unknown storage, a malformed endpoint or bucket, a TTL beyond the 7-day SigV4 limit', () => {
    expect(problemOf({ ...BASE, DEALS_COMMISSION_FILE_STORAGE: 'gcs' })).toContain(
      'DEALS_COMMISSION_FILE_STORAGE is "gcs": expected one of local, s3',
    );
    expect(problemOf({ ...S3, DEALS_COMMISSION_S3_ENDPOINT: 'minio:9000' })).toContain('DEALS_COMMISSION_S3_ENDPOINT is "minio:9000"');
    expect(problemOf({ ...S3, DEALS_COMMISSION_S3_BUCKET: 'Deal_Files' })).toContain('DEALS_COMMISSION_S3_BUCKET is "Deal_Files"');
    expect(problemOf({ ...S3, DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS: '604801' })).toContain(
      // "URL" in the name: the platform does not echo the value (it might hold credentials).
      'DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS is set but invalid: expected seconds between 1 and 604800',
    );
    expect(problemOf({ ...S3, DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS: '0' })).toContain('DEALS_COMMISSION_DOWNLOAD_URL_TTL_SECONDS');
    expect(problemOf({ ...S3, DEALS_COMMISSION_S3_FORCE_PATH_STYLE: 'yes' })).toContain('DEALS_COMMISSION_S3_FORCE_PATH_STYLE is "yes"');
  });

  it('takes a download-URL signing secret of at least 32 characters and never prints a short one', () => {
    expect(parseDealsCommissionConfig(BASE).DEALS_COMMISSION_DOWNLOAD_URL_SECRET).toBeUndefined();
    const secret = 'a-signing-secret-of-forty-characters-xyz';
    expect(parseDealsCommissionConfig({ ...BASE, DEALS_COMMISSION_DOWNLOAD_URL_SECRET: secret }).DEALS_COMMISSION_DOWNLOAD_URL_SECRET).toBe(
      secret,
    );
    const message = problemOf({ ...BASE, DEALS_COMMISSION_DOWNLOAD_URL_SECRET: 'too-short-secret' });
    expect(message).toContain('DEALS_COMMISSION_DOWNLOAD_URL_SECRET');
    expect(message).not.toContain('too-short-secret');
  });

  it('wants static credentials in pairs and never prints the secret', () => {
    const { DEALS_COMMISSION_S3_ACCESS_KEY_ID: _id, ...secretOnly } = S3;
    const message = problemOf(secretOnly);
    expect(message).toContain('DEALS_COMMISSION_S3_ACCESS_KEY_ID is missing: expected it with DEALS_COMMISSION_S3_SECRET_ACCESS_KEY');
    expect(message).not.toContain('very-secret-value');
    const { DEALS_COMMISSION_S3_SECRET_ACCESS_KEY: _secret, ...idOnly } = S3;
    expect(problemOf(idOnly)).toContain('DEALS_COMMISSION_S3_SECRET_ACCESS_KEY is missing');
  });
});
