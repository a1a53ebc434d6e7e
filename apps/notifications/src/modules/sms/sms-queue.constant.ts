import type { JobOptions } from '@keyhouse/platform/queue';
import type { NotificationsConfig } from '../../config/notifications.config';
import { deliveryJobOptions } from '../email/email-queue.constant';

/** Bull queue of SMS sends (one job per SMS delivery, data `DeliveryJobData`). */
export const NOTIFICATIONS_SMS_QUEUE = 'notifications.sms';

/**
 * Options of an SMS job: jobId = the delivery id; `NOTIFICATIONS_SMS_ATTEMPTS` with backoff from
 * `TWILIO_RETRY_DELAY_MS`; delayed until `scheduledFor` (UTC) when quiet hours deferred it.
 */
export function smsJobOptions(
  config: Pick<NotificationsConfig, 'NOTIFICATIONS_SMS_ATTEMPTS' | 'TWILIO_RETRY_DELAY_MS'>,
  deliveryId: string,
  scheduledFor: Date | string | null = null,
): JobOptions {
  return deliveryJobOptions(deliveryId, config.NOTIFICATIONS_SMS_ATTEMPTS, config.TWILIO_RETRY_DELAY_MS, scheduledFor);
}
