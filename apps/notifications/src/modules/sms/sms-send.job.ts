import { Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Job, type Queue } from '@keyhouse/platform/queue';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from '../../config/notifications.config';
import type { NotificationsDb } from '../../database/notifications.db';
import { DeliveryReason } from '../../notifications.exception';
import { DeliveryStatusService, deliveryJobContext } from '../email/delivery-status.service';
import type { DeliveryJobData } from '../email/email-queue.constant';
import { SmsOptOutService } from './sms-opt-out.service';
import { NOTIFICATIONS_SMS_QUEUE, smsJobOptions } from './sms-queue.constant';
import { TwilioSmsAdapter } from './twilio-sms.adapter';
import { contactSendBlock } from '../contacts/contact-notification.service';
import { SendClaimService } from '../reconcile/send-claim.service';
import { requeueQueuedDeliveries } from '../email/delivery-sweep.util';

/** Token of the SMS adapter: a `TwilioSmsAdapter` when `TWILIO_ACCOUNT_SID` is set, null when the channel is off. */
export const TWILIO_SMS = Symbol('TWILIO_SMS');

/** The adapter for `config`: null (SMS channel off) without an Account SID. */
export function twilioSmsOf(config: NotificationsConfig): TwilioSmsAdapter | null {
  return config.TWILIO_ACCOUNT_SID ? new TwilioSmsAdapter(config) : null;
}

/** Longest SMS body the Messages API takes (characters; longer is error 21617). */
const MAX_SMS_CHARS = 1600;

/** The text of an SMS notification: `Keyhouse: <title>. <body> <app link>`, at most 1600 characters. */
export function smsText(title: string, body: string, link: string | null): string {
  const text = `Keyhouse: ${title}. ${body}${link ? ` ${link}` : ''}`;
  return text.length > MAX_SMS_CHARS ? `${text.slice(0, MAX_SMS_CHARS - 1)}…` : text;
}

/**
 * The SMS channel (Bull queue `notifications.sms`, one job per SMS delivery, jobId = the delivery
 * id; the email channel's pieces: `deliveryJobOptions`, `DeliveryStatusService.recordOutcome`). A
 * job sends only a delivery still `queued`. Right before the send, the opt-out ledger: an opted-out
 * number is `blocked` `OPTED_OUT` without a call to Twilio. The send goes through the `twilio` SDK
 * from `TWILIO_FROM_NUMBER` with `StatusCallback` = `TWILIO_STATUS_CALLBACK_URL`; 201 → `sent`
 * with the message SID; 21610 → the opt-out recorded (`notifications.sms.opted_out`) and the
 * delivery `blocked` `OPTED_OUT`; 429/20429, 5xx, refused connection → retried with backoff
 * (`NOTIFICATIONS_SMS_ATTEMPTS`, `TWILIO_RETRY_DELAY_MS`), then `failed` `PROVIDER_UNAVAILABLE`;
 * another 4xx → `failed` `TWILIO_<code>`; no answer after the request was written → `unknown`,
 * not resent. At start, queued SMS deliveries get their job again.
 */
@Processor(NOTIFICATIONS_SMS_QUEUE)
export class SmsSendJob implements OnApplicationBootstrap {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @Inject(TWILIO_SMS) private readonly twilio: TwilioSmsAdapter | null,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(NOTIFICATIONS_SMS_QUEUE) private readonly queue: Queue<DeliveryJobData>,
    private readonly unitOfWork: UnitOfWork,
    private readonly statuses: DeliveryStatusService,
    private readonly sendClaims: SendClaimService,
    private readonly optOuts: SmsOptOutService,
  ) {}

  /** Re-enqueues every queued SMS delivery when the channel is on (same jobId: no duplicate), keeping a quiet-hours delay. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.twilio) return;
    await requeueQueuedDeliveries(this.dataSource, 'sms', this.queue, (deliveryId, scheduledFor) =>
      smsJobOptions(this.config, deliveryId, scheduledFor),
    );
  }

  /**
   * Sends one SMS delivery (see the class). Returns the status it left the delivery in, or null
   * when it was not queued any more.
   *
   * @throws Error on 429 / 5xx / refused connection while attempts remain (Bull retries it).
   */
  @Process('send')
  async send(job: Job<DeliveryJobData>): Promise<string | null> {
    const deliveryId = job.data.deliveryId;
    const db = kyselyFor<NotificationsDb>(this.dataSource);
    const row = await db
      .selectFrom('delivery as d')
      .innerJoin('notification as n', 'n.id', 'd.notification_id')
      .select([
        'd.id',
        'd.org_id',
        'd.status',
        'd.to_address',
        'n.recipient_user_id',
        'n.recipient_contact_id',
        'n.type',
        'n.title',
        'n.body',
        'n.link',
      ])
      .where('d.id', '=', deliveryId)
      .where('d.channel', '=', 'sms')
      .executeTakeFirst();
    // reconcile: only a queued delivery not claimed yet, or the one resend the reconcile authorised (SendClaimService).
    if (!row || !(await this.sendClaims.admit(deliveryId))) return null;
    const context = deliveryJobContext(row.org_id, 'sms', deliveryId);
    const block = async (reason: string) => {
      await this.unitOfWork.run(context, (unit) => this.statuses.advance(unit, deliveryId, 'blocked', { reason }));
      return 'blocked';
    };
    if (!this.twilio) return block(DeliveryReason.ChannelOff);
    const to = row.to_address;
    if (!to) return block(DeliveryReason.NoAddress);
    const from = this.config.TWILIO_FROM_NUMBER;
    if (await this.optOuts.isOptedOut(db, to, from)) return block(DeliveryReason.OptedOut);
    // contacts slice: a crm contact's do-not-contact and (marketing types) SMS consent, as they are now.
    if (row.recipient_contact_id) {
      const contactId = row.recipient_contact_id;
      const reason = await contactSendBlock(db, { orgId: row.org_id, contactId, type: row.type, channel: 'sms', address: to });
      if (reason) return block(reason);
    }
    // reconcile: claim the send right before the provider call (send_started_at, attempts + 1); held by another run → stop.
    if (!(await this.sendClaims.claim(deliveryId))) return null;
    const link = row.link ? `${this.config.NOTIFICATIONS_APP_URL.replace(/\/+$/, '')}${row.link}` : null;
    const outcome = await this.twilio.send({
      to,
      from,
      body: smsText(row.title, row.body, link),
      statusCallback: this.config.TWILIO_STATUS_CALLBACK_URL ?? null,
    });
    await this.sendClaims.release(deliveryId, outcome); // reconcile: a `retry` reached nothing, the next attempt may claim
    if (outcome.kind !== 'opted_out') return this.statuses.recordOutcome(context, job, outcome, 'Twilio');
    await this.unitOfWork.run(context, async (unit) => {
      await this.optOuts.optOut(unit, {
        phone: to,
        sender: from,
        source: 'send_error',
        keyword: null,
        messageSid: null,
        deliveryId,
        orgId: row.org_id,
      });
      await this.statuses.advance(unit, deliveryId, 'blocked', { reason: DeliveryReason.OptedOut });
    });
    return 'blocked';
  }
}
