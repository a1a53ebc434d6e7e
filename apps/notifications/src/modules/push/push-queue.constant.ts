import type { JobOptions } from '@keyhouse/platform/queue';
import type { NotificationsConfig } from '../../config/notifications.config';
import { deliveryJobOptions } from '../email/email-queue.constant';

/** Bull queue of push sends (one job per push delivery, data `DeliveryJobData`; the job sends to each of the user's devices). */
export const NOTIFICATIONS_PUSH_QUEUE = 'notifications.push';

/**
 * Options of a push job: jobId = the delivery id; `NOTIFICATIONS_PUSH_ATTEMPTS` with backoff from
 * `FCM_RETRY_DELAY_MS`; delayed until `scheduledFor` (UTC) when quiet hours deferred it.
 */
export function pushJobOptions(
  config: Pick<NotificationsConfig, 'NOTIFICATIONS_PUSH_ATTEMPTS' | 'FCM_RETRY_DELAY_MS'>,
  deliveryId: string,
  scheduledFor: Date | string | null = null,
): JobOptions {
  return deliveryJobOptions(deliveryId, config.NOTIFICATIONS_PUSH_ATTEMPTS, config.FCM_RETRY_DELAY_MS, scheduledFor);
}
