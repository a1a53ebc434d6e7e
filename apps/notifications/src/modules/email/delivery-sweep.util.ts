import { kyselyFor } from '@keyhouse/platform/database';
import type { JobOptions, Queue } from '@keyhouse/platform/queue';
import type { DataSource } from 'typeorm';
import type { NotificationChannel } from '@keyhouse/contracts';
import type { NotificationsDb } from '../../database/notifications.db';
import type { DeliveryJobData } from './email-queue.constant';

/**
 * The start-up sweep of a channel's send queue: adds the job of every delivery of `channel` still
 * `queued` again, with `optionsFor(deliveryId, scheduledFor)` — whose `jobId` is the delivery id,
 * so a job that still exists is not added twice and a finished one finds the delivery no longer
 * queued. Recovers a job lost between the commit and the enqueue (or with Redis' data), keeping a
 * quiet-hours delay (`scheduled_for`, UTC). Returns how many were added again.
 */
export async function requeueQueuedDeliveries(
  dataSource: DataSource,
  channel: Exclude<NotificationChannel, 'in_app'>,
  queue: Queue<DeliveryJobData>,
  optionsFor: (deliveryId: string, scheduledFor: Date | null) => JobOptions,
): Promise<number> {
  const queued = await kyselyFor<NotificationsDb>(dataSource)
    .selectFrom('delivery')
    .select(['id', 'scheduled_for'])
    .where('channel', '=', channel)
    .where('status', '=', 'queued')
    .execute();
  for (const row of queued) await queue.add('send', { deliveryId: row.id }, optionsFor(row.id, row.scheduled_for));
  return queued.length;
}
