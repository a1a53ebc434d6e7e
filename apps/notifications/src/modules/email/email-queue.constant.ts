import type { JobOptions } from '@keyhouse/platform/queue';
import type { NotificationsConfig } from '../../config/notifications.config';

/** Bull queue of email sends (one job per email delivery). */
export const NOTIFICATIONS_EMAIL_QUEUE = 'notifications.email';

/** Data of an email job: only the delivery's id; everything else is read when the job runs. */
export interface EmailJobData {
  deliveryId: string;
}

/** Data of any channel job (email, SMS): only the delivery's id. */
export type DeliveryJobData = EmailJobData;

/**
 * Options of an email job: `jobId` = the delivery id, so a redelivered event, a re-run start-up
 * sweep or a retried enqueue never adds a second job for one delivery; attempts and exponential
 * backoff for 429 / 5xx / refused connections (`NOTIFICATIONS_EMAIL_ATTEMPTS`, `SENDGRID_RETRY_DELAY_MS`).
 */
export function emailJobOptions(
  config: Pick<NotificationsConfig, 'NOTIFICATIONS_EMAIL_ATTEMPTS' | 'SENDGRID_RETRY_DELAY_MS'>,
  deliveryId: string,
): JobOptions {
  return deliveryJobOptions(deliveryId, config.NOTIFICATIONS_EMAIL_ATTEMPTS, config.SENDGRID_RETRY_DELAY_MS);
}

/**
 * Options of one channel job of any channel (email, SMS, push): `jobId` = the delivery id (one job
 * per delivery, whatever enqueues it again), `attempts` with exponential backoff from `delayMs`
 * (ms), and for a delivery deferred to the end of quiet hours (`delivery.scheduled_for`, UTC) a
 * Bull `delay` until then (none when unset or past).
 */
export function deliveryJobOptions(
  deliveryId: string,
  attempts: number,
  delayMs: number,
  scheduledFor: Date | string | null = null,
  now = Date.now(),
): JobOptions {
  const options: JobOptions = { jobId: deliveryId, attempts, backoff: { type: 'exponential', delay: delayMs } };
  const delay = scheduledFor ? new Date(scheduledFor).getTime() - now : 0;
  return delay > 0 ? { ...options, delay } : options;
}
