import { InitialCrmSchema1763769600000 } from './migrations/1763769600000-initial-crm-schema';
import { CrmWorkSchema1763769700000 } from './migrations/1763769700000-crm-work-schema';
import { CrmContactTagDefinitions1763769900000 } from './migrations/1763769900000-crm-contact-tag-definitions';
import { CrmLeadSources1763770100000 } from './migrations/1763770100000-crm-lead-sources';
import { CrmTeamMembers1765340000000 } from './migrations/1765340000000-crm-team-members';

/**
 * The crm schema's migrations in order, generated from `migrations/` by `node deploy/db-types.js`
 * (do not edit; `npm test` fails when it is stale): what the service runs at start, the platform's
 * outbox and inbox migrations following (ServiceCoreModule), and what the row types are generated from.
 */
export const CRM_MIGRATIONS = [
  InitialCrmSchema1763769600000,
  CrmWorkSchema1763769700000,
  CrmContactTagDefinitions1763769900000,
  CrmLeadSources1763770100000,
  CrmTeamMembers1765340000000,
];
