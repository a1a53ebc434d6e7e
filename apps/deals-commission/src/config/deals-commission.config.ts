import { env, loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';

/** Environment of the deals-commission service (see `serviceEnv`); service-specific variables follow it. */
export const dealsCommissionEnv = {
  ...serviceEnv('DEALS_COMMISSION', { healthPort: 3104, schema: 'deals', dbRole: 'keyhouse_deals' }),
  /** How often key-date reminders and missed deadlines are looked for, ms (60000). Tests shorten it. */
  DEALS_COMMISSION_SCHEDULE_EVERY_MS: env.positiveInt(60_000, 'milliseconds between reminder / missed-deadline runs (60000)'),
  /** How often sent invoices past due are marked overdue, ms (daily: 86400000). */
  DEALS_COMMISSION_OVERDUE_EVERY_MS: env.positiveInt(86_400_000, 'milliseconds between overdue-invoice runs (86400000)'),
  /** Directory of the local-disk file storage, relative to the working directory unless absolute. */
  DEALS_COMMISSION_FILE_DIR: env.string('tmp/deal-files', 'a directory for transaction files'),
  /** Largest transaction file, bytes (10 MiB). */
  DEALS_COMMISSION_FILE_MAX_BYTES: env.positiveInt(10 * 1024 * 1024, 'a size in bytes'),
};

export type DealsCommissionConfig = ReturnType<typeof loadDealsCommissionConfig>;

export function loadDealsCommissionConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(dealsCommissionEnv, source);
}

export const DEALS_COMMISSION_CONFIG = Symbol('DEALS_COMMISSION_CONFIG');
