import { env, loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** Environment of the audit service (see `serviceEnv`); service-specific variables follow it. */
export const auditEnv = {
  ...serviceEnv('AUDIT', { healthPort: 3105, schema: 'audit', dbRole: 'keyhouse_audit' }),
  /** How often each organization's chain head is checkpointed, in milliseconds (default 5 min). */
  AUDIT_CHECKPOINT_EVERY_MS: env.positiveInt(5 * 60_000, 'a number of milliseconds'),
};

export type AuditConfig = ReturnType<typeof loadAuditConfig>;

export function loadAuditConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(auditEnv, source);
}

export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
