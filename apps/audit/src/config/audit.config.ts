import { env, loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

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
};

export type AuditConfig = ReturnType<typeof loadAuditConfig>;

export function loadAuditConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(auditEnv, source);
}

export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
