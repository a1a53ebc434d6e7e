import { z } from 'zod';
import { env, exitIfUnsetInProduction, loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** `id:base64(32 bytes)[,id:base64…]`, each key exactly 32 bytes. */
function ed25519KeyList(description: string, fallback: string, single: boolean) {
  return z
    .string()
    .default(fallback)
    .refine((value) => {
      const entries = value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      if (single && entries.length !== 1) return false;
      return entries.every((entry) => entry.indexOf(':') > 0 && Buffer.from(entry.slice(entry.indexOf(':') + 1), 'base64').length === 32);
    })
    .describe(description);
}

/**
 * Development checkpoint signing key (`dev-1`, public key `uYoPF2crh15Mb0+vcYDvHdhqSTPjmsRgNGscW5lZYl0=`):
 * refused in production (`exitIfUnsetInProduction`).
 */
export const AUDIT_DEV_CHECKPOINT_KEY = 'dev-1:4ZJ6q/SRuJ7ADf0vOrzm8adJfnosfNFGGcfXfXogx58=';

/** Environment of the audit service (see `serviceEnv`); service-specific variables follow it. */
export const auditEnv = {
  ...serviceEnv('AUDIT', { healthPort: 3105, schema: 'audit', dbRole: 'keyhouse_audit' }),
  /** How often each organization's chain head is checkpointed, in milliseconds (default 5 min). */
  AUDIT_CHECKPOINT_EVERY_MS: env.positiveInt(5 * 60_000, 'a number of milliseconds'),
  /** How often entries past their organization's retention are archived, in milliseconds (default daily). */
  AUDIT_ARCHIVE_EVERY_MS: env.positiveInt(24 * 3_600_000, 'a number of milliseconds'),
  /**
   * Folder the retention archives are written to (JSON Lines, one file per organization and seq
   * range). In production a mounted volume that is shipped to write-once storage.
   */
  AUDIT_ARCHIVE_DIR: env.string('var/audit-archive', 'a folder path'),
  /**
   * postgres:// URL of the schema's owner role (`keyhouse_audit_owner`, docs/adr/0020), used only
   * to run the migrations and grant the runtime role its rights. Unset: `AUDIT_DATABASE_URL` with
   * the user `keyhouse_audit_owner` and no password (the local machine); required in production.
   */
  AUDIT_MIGRATION_DATABASE_URL: env.optionalString('a postgres:// URL for the keyhouse_audit_owner role'),
  /**
   * Ed25519 key signing each checkpoint (docs/adr/0020): `keyId:base64(32-byte seed)`. Generate one
   * with `node -e "console.log('k1:' + require('crypto').randomBytes(32).toString('base64'))"`.
   */
  AUDIT_CHECKPOINT_SIGNING_KEY: ed25519KeyList('an Ed25519 key "id:base64(32-byte seed)"', AUDIT_DEV_CHECKPOINT_KEY, true),
  /** Public keys of retired signing keys, `keyId:base64(32-byte public key)[,…]`, so old checkpoints still verify. */
  AUDIT_CHECKPOINT_PUBLIC_KEYS: ed25519KeyList('Ed25519 public keys "id:base64(32 bytes)[,…]"', '', false),
};

/** Owner role of the audit schema when `AUDIT_MIGRATION_DATABASE_URL` is not set (deploy/services.js). */
export const AUDIT_OWNER_ROLE = 'keyhouse_audit_owner';

export type AuditConfig = ReturnType<typeof loadAuditConfig>;

export function loadAuditConfig(source: NodeJS.ProcessEnv = process.env) {
  const config = loadConfigOrExit(auditEnv, source);
  exitIfUnsetInProduction(config.NODE_ENV, source, {
    AUDIT_CHECKPOINT_SIGNING_KEY: 'an Ed25519 signing key "id:base64(32-byte seed)"',
    AUDIT_MIGRATION_DATABASE_URL: 'the postgres:// URL of the schema owner role',
  });
  return config;
}

/** The URL migrations run with: `AUDIT_MIGRATION_DATABASE_URL`, or the runtime URL with the owner role as user. */
export function auditMigrationUrl(config: Pick<AuditConfig, 'AUDIT_DATABASE_URL' | 'AUDIT_MIGRATION_DATABASE_URL'>): string {
  if (config.AUDIT_MIGRATION_DATABASE_URL) return config.AUDIT_MIGRATION_DATABASE_URL;
  const url = new URL(config.AUDIT_DATABASE_URL);
  url.username = AUDIT_OWNER_ROLE;
  url.password = '';
  return url.toString();
}

/** The runtime role (the user of `AUDIT_DATABASE_URL`), which the migrations grant its rights to. */
export function auditRuntimeRole(config: Pick<AuditConfig, 'AUDIT_DATABASE_URL'>): string {
  return decodeURIComponent(new URL(config.AUDIT_DATABASE_URL).username);
}

export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
