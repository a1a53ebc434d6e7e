import { InitialNotificationsSchema1763770600006 } from './migrations/1763770600006-initial-notifications-schema';
import { SmsChannel1765141200000 } from './migrations/1765141200000-sms-channel';

/**
 * The notifications schema's migrations in order, generated from `migrations/` by `node deploy/db-types.js`
 * (do not edit; `npm test` fails when it is stale): what the service runs at start, the platform's
 * outbox and inbox migrations following (ServiceCoreModule), and what the row types are generated from.
 */
export const NOTIFICATIONS_MIGRATIONS = [InitialNotificationsSchema1763770600006, SmsChannel1765141200000];
