import { loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** Environment of the crm service (see `serviceEnv`); service-specific variables follow it. */
export const crmEnv = {
  ...serviceEnv('CRM', { healthPort: 3102, schema: 'crm', dbRole: 'keyhouse_crm' }),
};

export type CrmConfig = ReturnType<typeof loadCrmConfig>;

export function loadCrmConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(crmEnv, source);
}

export const CRM_CONFIG = Symbol('CRM_CONFIG');
