import { loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** Environment of the deals-commission service (see `serviceEnv`); service-specific variables follow it. */
export const dealsCommissionEnv = {
  ...serviceEnv('DEALS_COMMISSION', { healthPort: 3104, schema: 'deals', dbRole: 'keyhouse_deals' }),
};

export type DealsCommissionConfig = ReturnType<typeof loadDealsCommissionConfig>;

export function loadDealsCommissionConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(dealsCommissionEnv, source);
}

export const DEALS_COMMISSION_CONFIG = Symbol('DEALS_COMMISSION_CONFIG');
