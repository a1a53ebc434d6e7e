import { env, loadConfigOrExit } from '@keyhouse/platform/config';
import { serviceEnv } from '@keyhouse/platform/service';
import { z } from 'zod';

/** Environment of the crm service (see `serviceEnv`); service-specific variables follow it. */
export const crmEnv = {
  ...serviceEnv('CRM', { healthPort: 3102, schema: 'crm', dbRole: 'keyhouse_crm' }),
  /** ISO 3166 region a phone number without a country code is read in (libphonenumber-js). */
  CRM_DEFAULT_PHONE_REGION: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .default('US')
    .describe('an ISO 3166-1 alpha-2 region such as US'),
  /**
   * Length of one "minute" of an assignment rule's `responseDeadlineMinutes`, in ms (60000).
   * Tests shorten it so speed-to-lead re-routing is observable in seconds.
   */
  CRM_RESPONSE_DEADLINE_UNIT_MS: env.positiveInt(60_000, 'milliseconds per deadline minute (60000)'),
};

export type CrmConfig = ReturnType<typeof loadCrmConfig>;

export function loadCrmConfig(source: NodeJS.ProcessEnv = process.env) {
  return loadConfigOrExit(crmEnv, source);
}

export const CRM_CONFIG = Symbol('CRM_CONFIG');
