import { loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** Environment of the audit service (see `serviceEnv`); service-specific variables follow it. */
export const auditEnv = {
  ...serviceEnv('AUDIT', { healthPort: 3105, schema: 'audit', dbRole: 'keyhouse_audit' }),
};

export type AuditConfig = ReturnType<typeof loadAuditConfig>;

export function loadAuditConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(auditEnv, source);
}

export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
