import { InitialNotificationsSchema1763770600006 } from './migrations/1763770600006-initial-notifications-schema';
import { SmsChannel1765141200000 } from './migrations/1765141200000-sms-channel';
import { PreferencesAndPush1765300000000 } from './migrations/1765300000000-preferences-and-push';
import { TriggerSettings1765310000000 } from './migrations/1765310000000-trigger-settings';
import { ContactNotifications1765320000000 } from './migrations/1765320000000-contact-notifications';
import { DeliveryReconcile1765330000000 } from './migrations/1765330000000-delivery-reconcile';
import { EmailTemplatesAndBranding1765350000000 } from './migrations/1765350000000-email-templates-and-branding';

/**
 * The notifications schema's migrations in order, generated from `migrations/` by `node deploy/db-types.js`
 * (do not edit; `npm test` fails when it is stale): what the service runs at start, the platform's
 * outbox and inbox migrations following (ServiceCoreModule), and what the row types are generated from.
 */
export const NOTIFICATIONS_MIGRATIONS = [
  InitialNotificationsSchema1763770600006,
  SmsChannel1765141200000,
  PreferencesAndPush1765300000000,
  TriggerSettings1765310000000,
  ContactNotifications1765320000000,
  DeliveryReconcile1765330000000,
  EmailTemplatesAndBranding1765350000000,
];
