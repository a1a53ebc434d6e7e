import { Inject, Injectable } from '@nestjs/common';
import { NotificationsEvent, type NotificationChannel } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { InjectQueue, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from '../../config/notifications.config';
import type { NotificationData } from '../../database/notifications-json.type';
import type { NotificationsDb } from '../../database/notifications.db';
import { DeliveryReason } from '../../notifications.exception';
import { DeliveryStatusService } from '../email/delivery-status.service';
import { NOTIFICATIONS_EMAIL_QUEUE, emailJobOptions, type DeliveryJobData, type EmailJobData } from '../email/email-queue.constant';
import { SmsOptOutService } from '../sms/sms-opt-out.service';
import { NOTIFICATIONS_SMS_QUEUE, smsJobOptions } from '../sms/sms-queue.constant';
import { renderNotification, type TemplateValues } from '../email/notification-templates.constant';
import { NOTIFICATION_TRIGGERS, type NotificationType } from './notification-triggers.constant';

/** A notification to create: for whom, of which type, from which event, about what. */
export interface NotificationRequest {
  orgId: string;
  recipientUserId: string;
  type: NotificationType;
  /** Id of the triggering domain event: with recipient and type, the dedupe key. */
  sourceEventId: string;
  values: TemplateValues;
  data: NotificationData;
  link: string | null;
}

/**
 * Creates a notification and its deliveries in the caller's unit of work (a trigger consumer's,
 * with its inbox row): the `notification` row (`ON CONFLICT (recipient_user_id, type,
 * source_event_id) DO NOTHING`, so a redelivered event creates nothing), one `delivery` per
 * default channel of the type's trigger: `in_app` delivered at once; `email` queued, or blocked
 * at once with `SUPPRESSED` (address on the suppression list) or `NO_ADDRESS` (a deactivated
 * recipient, or one without an address). A recipient not yet in the read model (identity's event
 * may arrive after crm's: different topics) is queued without an address; the job resolves it.
 * A queued email becomes a Bull job (jobId = the delivery id) after the commit. `sms` (when
 * `TWILIO_ACCOUNT_SID` is set and the recipient has a phone; otherwise the channel is left out):
 * queued with the phone and a job on `notifications.sms`, or blocked at once with `OPTED_OUT`
 * (the opt-out ledger) or `NO_ADDRESS` (deactivated). Emits `notifications.notification.created` and, for each
 * delivery that did not stay queued, `notifications.delivery.status_changed`.
 */
@Injectable()
export class NotificationDispatchService {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectQueue(NOTIFICATIONS_EMAIL_QUEUE) private readonly emails: Queue<EmailJobData>,
    @InjectQueue(NOTIFICATIONS_SMS_QUEUE) private readonly sms: Queue<DeliveryJobData>,
    private readonly statuses: DeliveryStatusService,
    private readonly optOuts: SmsOptOutService,
  ) {}

  /** Creates the notification; returns its id, or null when this event already created it. */
  async dispatch(unit: UnitOfWorkContext, request: NotificationRequest): Promise<string | null> {
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const trigger = NOTIFICATION_TRIGGERS[request.type];
    const rendered = renderNotification(trigger.template, request.values);
    const id = newId();
    const inserted = await db
      .insertInto('notification')
      .values({
        id,
        org_id: request.orgId,
        recipient_user_id: request.recipientUserId,
        type: request.type,
        title: rendered.title,
        body: rendered.body,
        data: JSON.stringify(request.data),
        link: request.link,
        source_event_id: request.sourceEventId,
      })
      .onConflict((conflict) => conflict.constraint('notification_source_event_unique').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return null;
    const recipient = await db
      .selectFrom('recipient')
      .select(['email', 'status', 'phone'])
      .where('user_id', '=', request.recipientUserId)
      .where('org_id', '=', request.orgId)
      .executeTakeFirst();
    // SMS only when the channel is on and the recipient (known to the read model) has a phone.
    const channels: NotificationChannel[] = trigger.defaultChannels.filter(
      (channel) => channel !== 'sms' || (this.config.TWILIO_ACCOUNT_SID !== undefined && Boolean(recipient?.phone)),
    );
    await unit.emit(NotificationsEvent.notificationCreated, id, request.orgId, {
      notificationId: id,
      recipientUserId: request.recipientUserId,
      type: request.type,
      channels,
      sourceEventId: request.sourceEventId,
    });
    for (const channel of channels) {
      const deliveryId = newId();
      if (channel === 'in_app') {
        await db
          .insertInto('delivery')
          .values({ id: deliveryId, notification_id: id, org_id: request.orgId, channel, status: 'queued' })
          .execute();
        await this.statuses.advance(unit, deliveryId, 'delivered', { sent: true });
        continue;
      }
      if (channel === 'sms' && recipient?.phone) {
        await db
          .insertInto('delivery')
          .values({ id: deliveryId, notification_id: id, org_id: request.orgId, channel, status: 'queued', to_address: recipient.phone })
          .execute();
        if (recipient.status === 'deactivated') {
          await this.statuses.advance(unit, deliveryId, 'blocked', { reason: DeliveryReason.NoAddress });
        } else if (await this.optOuts.isOptedOut(db, recipient.phone, this.config.TWILIO_FROM_NUMBER)) {
          await this.statuses.advance(unit, deliveryId, 'blocked', { reason: DeliveryReason.OptedOut });
        } else {
          unit.afterCommit(() => this.sms.add('send', { deliveryId }, smsJobOptions(this.config, deliveryId)));
        }
        continue;
      }
      if (channel !== 'email') continue; // push arrives with a later slice
      const address = recipient?.email ? recipient.email.toLowerCase() : null;
      await db
        .insertInto('delivery')
        .values({ id: deliveryId, notification_id: id, org_id: request.orgId, channel, status: 'queued', to_address: address })
        .execute();
      if (recipient && (recipient.status === 'deactivated' || !address)) {
        await this.statuses.advance(unit, deliveryId, 'blocked', { reason: DeliveryReason.NoAddress });
        continue;
      }
      const suppressed = address
        ? await db.selectFrom('suppression').select('id').where('email', '=', address).executeTakeFirst()
        : undefined;
      if (suppressed) {
        await this.statuses.advance(unit, deliveryId, 'blocked', { reason: DeliveryReason.Suppressed });
        continue;
      }
      unit.afterCommit(() => this.emails.add('send', { deliveryId }, emailJobOptions(this.config, deliveryId)));
    }
    return id;
  }
}
