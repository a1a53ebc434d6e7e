import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Job, type Queue } from '@keyhouse/platform/queue';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from '../../config/notifications.config';
import type { NotificationsDb } from '../../database/notifications.db';
import { DeliveryReason } from '../../notifications.exception';
import { DeliveryStatusService, deliveryJobContext } from '../email/delivery-status.service';
import type { DeliveryJobData } from '../email/email-queue.constant';
import { FcmPushAdapter, type PushSendOutcome } from './fcm-push.adapter';
import { NOTIFICATIONS_PUSH_QUEUE, pushJobOptions } from './push-queue.constant';
import { requeueQueuedDeliveries } from '../email/delivery-sweep.util';

/** Token of the push adapter: an `FcmPushAdapter` when `FCM_PROJECT_ID` is set, null when the channel is off. */
export const FCM_PUSH = Symbol('FCM_PUSH');

/** The adapter for `config`: null (push channel off) without a project id. */
export function fcmPushOf(config: NotificationsConfig): FcmPushAdapter | null {
  return config.FCM_PROJECT_ID ? new FcmPushAdapter(config) : null;
}

/**
 * The push channel (Bull queue `notifications.push`, one job per push delivery, jobId = the
 * delivery id; the email/SMS pieces: `deliveryJobOptions`, `DeliveryStatusService.recordOutcome`,
 * the start-up sweep). A job sends only a delivery still `queued`, to each of the recipient's
 * devices (`push_device` of the delivery's organization) through `firebase-admin`. Each token's
 * answer is kept in `push_send` before the delivery moves, so a retried job sends only to tokens
 * without an answer. A token FCM reports invalid is deleted. The delivery then: any token `sent` →
 * `sent` (the first message name as `provider_message_id`); else a timeout → `unknown`
 * (not resent); else 429/5xx/refused → retried with backoff (`NOTIFICATIONS_PUSH_ATTEMPTS`,
 * `FCM_RETRY_DELAY_MS`), then `failed` `PROVIDER_UNAVAILABLE`; else every token invalid (or no
 * device) → `blocked` `NO_DEVICE`; else `failed` `FCM_<code>`. At start, queued push deliveries get
 * their job again, delayed to their `scheduled_for` (quiet hours).
 */
@Processor(NOTIFICATIONS_PUSH_QUEUE)
export class PushSendJob implements OnApplicationBootstrap {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @Inject(FCM_PUSH) private readonly fcm: FcmPushAdapter | null,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(NOTIFICATIONS_PUSH_QUEUE) private readonly queue: Queue<DeliveryJobData>,
    private readonly unitOfWork: UnitOfWork,
    private readonly statuses: DeliveryStatusService,
  ) {}

  /** Re-enqueues every queued push delivery when the channel is on (same jobId: no duplicate), keeping a quiet-hours delay. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.fcm) return;
    await requeueQueuedDeliveries(this.dataSource, 'push', this.queue, (deliveryId, scheduledFor) =>
      pushJobOptions(this.config, deliveryId, scheduledFor),
    );
  }

  /**
   * Sends one push delivery (see the class). Returns the status it left the delivery in, or null
   * when it was not queued any more.
   *
   * @throws Error on 429 / 5xx / refused connection of a token while attempts remain (Bull retries it).
   */
  @Process('send')
  async send(job: Job<DeliveryJobData>): Promise<string | null> {
    const deliveryId = job.data.deliveryId;
    const db = kyselyFor<NotificationsDb>(this.dataSource);
    const row = await db
      .selectFrom('delivery as d')
      .innerJoin('notification as n', 'n.id', 'd.notification_id')
      .select(['d.id', 'd.org_id', 'd.status', 'n.id as notification_id', 'n.recipient_user_id', 'n.type', 'n.title', 'n.body', 'n.link'])
      .where('d.id', '=', deliveryId)
      .where('d.channel', '=', 'push')
      .executeTakeFirst();
    if (!row || row.status !== 'queued') return null;
    const context = deliveryJobContext(row.org_id, 'push', deliveryId);
    const block = async (reason: string) => {
      await this.unitOfWork.run(context, (unit) => this.statuses.advance(unit, deliveryId, 'blocked', { reason }));
      return 'blocked';
    };
    if (!this.fcm) return block(DeliveryReason.ChannelOff);
    if (!row.recipient_user_id) return block(DeliveryReason.NoDevice);
    const answered = new Set(
      (await db.selectFrom('push_send').select('token').where('delivery_id', '=', deliveryId).execute()).map((sent) => sent.token),
    );
    const devices = await db
      .selectFrom('push_device')
      .select('token')
      .where('org_id', '=', row.org_id)
      .where('user_id', '=', row.recipient_user_id)
      .orderBy('created_at')
      .execute();
    const pending = devices.filter((device) => !answered.has(device.token));
    if (pending.length > 0) {
      await db
        .updateTable('delivery')
        .set({ attempts: sql<number>`attempts + 1`, updated_at: sql<Date>`now()` })
        .where('id', '=', deliveryId)
        .execute();
    }
    const data: Record<string, string> = { notificationId: row.notification_id, deliveryId, type: row.type };
    if (row.link) data.link = row.link;
    let retry: Extract<PushSendOutcome, { kind: 'retry' }> | null = null;
    for (const device of pending) {
      const outcome = await this.fcm.send(device.token, { title: row.title, body: row.body, data });
      if (outcome.kind === 'retry') {
        retry = outcome;
        continue;
      }
      await db
        .insertInto('push_send')
        .values({
          delivery_id: deliveryId,
          token: device.token,
          outcome: outcome.kind,
          message_name: outcome.kind === 'sent' ? outcome.messageName : outcome.kind === 'rejected' ? outcome.code : null,
        })
        .onConflict((conflict) => conflict.columns(['delivery_id', 'token']).doNothing())
        .execute();
      if (outcome.kind === 'invalid_token') await db.deleteFrom('push_device').where('token', '=', device.token).execute();
    }
    const results = await db
      .selectFrom('push_send')
      .select(['outcome', 'message_name'])
      .where('delivery_id', '=', deliveryId)
      .orderBy('created_at')
      .execute();
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const sent = results.find((result) => result.outcome === 'sent');
    if (retry && !lastAttempt) {
      return this.statuses.recordOutcome(context, job, { kind: 'retry', status: null, message: retry.message }, 'FCM');
    }
    if (sent) return this.statuses.recordOutcome(context, job, { kind: 'sent', messageId: sent.message_name }, 'FCM');
    if (results.some((result) => result.outcome === 'unknown')) {
      return this.statuses.recordOutcome(context, job, { kind: 'unknown', message: 'FCM gave no answer' }, 'FCM');
    }
    if (retry) return this.statuses.recordOutcome(context, job, { kind: 'retry', status: null, message: retry.message }, 'FCM');
    const rejected = results.find((result) => result.outcome === 'rejected');
    if (rejected) {
      const code = (rejected.message_name ?? 'unknown')
        .replace(/^messaging\//, '')
        .replace(/-/g, '_')
        .toUpperCase();
      return this.statuses.recordOutcome(
        context,
        job,
        { kind: 'rejected', status: 400, message: `FCM refused: ${code}`, reason: `FCM_${code}` },
        'FCM',
      );
    }
    return block(DeliveryReason.NoDevice);
  }
}
