import { loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** Environment of the listings service (see `serviceEnv`); service-specific variables follow it. */
export const listingsEnv = {
  ...serviceEnv('LISTINGS', { healthPort: 3103, schema: 'listings', dbRole: 'keyhouse_listings' }),
};

export type ListingsConfig = ReturnType<typeof loadListingsConfig>;

export function loadListingsConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(listingsEnv, source);
}

export const LISTINGS_CONFIG = Symbol('LISTINGS_CONFIG');
