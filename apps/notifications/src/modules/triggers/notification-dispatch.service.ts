import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
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
import { renderNotification, type TemplateValues } from '../email/notification-templates.constant';
import type { ChannelSetting } from '../preferences/channel-preference.util';
import { ChannelPreferencesService } from '../preferences/channel-preferences.service';
import { quietHoursEnd } from '../preferences/quiet-hours.util';
import { NOTIFICATIONS_PUSH_QUEUE, pushJobOptions } from '../push/push-queue.constant';
import { SmsOptOutService } from '../sms/sms-opt-out.service';
import { NOTIFICATIONS_SMS_QUEUE, smsJobOptions } from '../sms/sms-queue.constant';
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
  /**
   * The channels to start from instead of the trigger's `defaultChannels` (the organization's
   * trigger override, `notification_trigger.channels`); the organization's per-channel defaults
   * and the user's preferences still apply on top. Absent or null: the trigger's.
   */
  channels?: readonly NotificationChannel[] | null;
}

/** The recipient as the read model knows it (undefined: not known yet). */
type RecipientRow = { email: string; status: string; phone: string | null } | undefined;

/** A delivery row to insert: its channel, address and, when deferred, reason and send time. */
interface NewDelivery {
  id: string;
  channel: NotificationChannel;
  toAddress: string | null;
  deferredUntil?: Date | null;
}

/**
 * Creates a notification and its deliveries in the caller's unit of work (a trigger consumer's,
 * with its inbox row): the `notification` row (`ON CONFLICT (recipient_user_id, type,
 * source_event_id) DO NOTHING`, so a redelivered event creates nothing), then one `delivery` per
 * channel of the recipient's plan (`ChannelPreferencesService.planFor`: the trigger's channels,
 * the organization's defaults, the user's preferences, mandatory types, quiet hours):
 * - a channel that cannot be used is left out: `sms` without `TWILIO_ACCOUNT_SID` or a phone in
 *   the read model, `push` without `FCM_PROJECT_ID` or a registered device;
 * - a default channel the user switched off (not for a mandatory type) → `blocked` `PREFERENCE_OFF`;
 * - `in_app` → delivered at once;
 * - `email` → queued (a Bull job after the commit, jobId = the delivery id), or blocked at once
 *   `SUPPRESSED` / `NO_ADDRESS` (deactivated or no address); a recipient not yet in the read model
 *   is queued without an address, the job resolves it;
 * - `sms` → queued with the phone and a job on `notifications.sms`, or blocked `OPTED_OUT` /
 *   `NO_ADDRESS` (deactivated);
 * - `push` → queued and a job on `notifications.push` (the job sends to each device), or blocked
 *   `NO_ADDRESS` (deactivated);
 * - `sms` and `push` inside the user's quiet hours (not for always-mandatory types) stay `queued`
 *   with reason `QUIET_HOURS_DEFERRED` and `scheduled_for` = the window's end; the job is added
 *   with that delay (DST-correct, `quietHoursEnd`). Never dropped.
 * Emits `notifications.notification.created` (the channels with a delivery) and, for each delivery
 * that did not stay queued, `notifications.delivery.status_changed`.
 */
@Injectable()
export class NotificationDispatchService {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectQueue(NOTIFICATIONS_EMAIL_QUEUE) private readonly emails: Queue<EmailJobData>,
    @InjectQueue(NOTIFICATIONS_SMS_QUEUE) private readonly sms: Queue<DeliveryJobData>,
    @InjectQueue(NOTIFICATIONS_PUSH_QUEUE) private readonly push: Queue<DeliveryJobData>,
    private readonly statuses: DeliveryStatusService,
    private readonly optOuts: SmsOptOutService,
    private readonly preferences: ChannelPreferencesService,
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
    const plan = await this.preferences.planFor(
      db,
      request.orgId,
      request.recipientUserId,
      request.type,
      request.channels ?? trigger.defaultChannels,
    );
    const hasDevice = await this.hasPushDevice(db, request.orgId, request.recipientUserId);
    // A channel is used when it is on, or on by default and switched off (recorded PREFERENCE_OFF), and usable.
    const used = plan.settings.filter(
      (setting) => (setting.enabled || setting.defaultEnabled) && this.usable(setting.channel, recipient, hasDevice),
    );
    await unit.emit(NotificationsEvent.notificationCreated, id, request.orgId, {
      notificationId: id,
      recipientUserId: request.recipientUserId,
      type: request.type,
      channels: used.map((setting) => setting.channel),
      sourceEventId: request.sourceEventId,
    });
    const deferredUntil = plan.quietWindow && !plan.alwaysMandatory ? quietHoursEnd(new Date(), plan.quietWindow) : null;
    for (const setting of used) {
      await this.deliver(unit, db, { notificationId: id, orgId: request.orgId, recipient, setting, deferredUntil });
    }
    return id;
  }

  /** Whether `channel` can carry a notification to this recipient at all (otherwise it is left out). */
  private usable(channel: NotificationChannel, recipient: RecipientRow, hasDevice: boolean): boolean {
    if (channel === 'sms') return this.config.TWILIO_ACCOUNT_SID !== undefined && Boolean(recipient?.phone);
    if (channel === 'push') return this.config.FCM_PROJECT_ID !== undefined && hasDevice;
    return true;
  }

  private async hasPushDevice(db: Kysely<NotificationsDb>, orgId: string, userId: string): Promise<boolean> {
    if (this.config.FCM_PROJECT_ID === undefined) return false;
    const device = await db
      .selectFrom('push_device')
      .select('id')
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return device !== undefined;
  }

  /** Inserts the delivery of one channel and moves it, or enqueues its job after the commit. */
  private async deliver(
    unit: UnitOfWorkContext,
    db: Kysely<NotificationsDb>,
    input: { notificationId: string; orgId: string; recipient: RecipientRow; setting: ChannelSetting; deferredUntil: Date | null },
  ): Promise<void> {
    const { recipient, setting } = input;
    const channel = setting.channel;
    const delivery: NewDelivery = { id: newId(), channel, toAddress: addressOf(channel, recipient) };
    const insert = (change: Partial<NewDelivery> = {}) => {
      const row = { ...delivery, ...change };
      return db
        .insertInto('delivery')
        .values({
          id: row.id,
          notification_id: input.notificationId,
          org_id: input.orgId,
          channel,
          status: 'queued',
          to_address: row.toAddress,
          reason: row.deferredUntil ? DeliveryReason.QuietHoursDeferred : null,
          scheduled_for: row.deferredUntil ?? null,
        })
        .execute();
    };
    const block = async (reason: string) => {
      await insert();
      await this.statuses.advance(unit, delivery.id, 'blocked', { reason });
    };
    if (!setting.enabled) return block(DeliveryReason.PreferenceOff);
    switch (channel) {
      case 'in_app':
        await insert();
        await this.statuses.advance(unit, delivery.id, 'delivered', { sent: true });
        return;
      case 'email': {
        const address = delivery.toAddress;
        if (recipient && (recipient.status === 'deactivated' || !address)) return block(DeliveryReason.NoAddress);
        if (address && (await db.selectFrom('suppression').select('id').where('email', '=', address).executeTakeFirst())) {
          return block(DeliveryReason.Suppressed);
        }
        await insert();
        unit.afterCommit(() => this.emails.add('send', { deliveryId: delivery.id }, emailJobOptions(this.config, delivery.id)));
        return;
      }
      case 'sms': {
        if (recipient?.status === 'deactivated') return block(DeliveryReason.NoAddress);
        if (await this.optOuts.isOptedOut(db, delivery.toAddress ?? '', this.config.TWILIO_FROM_NUMBER)) {
          return block(DeliveryReason.OptedOut);
        }
        await insert({ deferredUntil: input.deferredUntil });
        const options = smsJobOptions(this.config, delivery.id, input.deferredUntil);
        unit.afterCommit(() => this.sms.add('send', { deliveryId: delivery.id }, options));
        return;
      }
      case 'push': {
        if (recipient?.status === 'deactivated') return block(DeliveryReason.NoAddress);
        await insert({ deferredUntil: input.deferredUntil });
        const options = pushJobOptions(this.config, delivery.id, input.deferredUntil);
        unit.afterCommit(() => this.push.add('send', { deliveryId: delivery.id }, options));
        return;
      }
    }
  }
}

/** The address a channel's delivery records: the lower-cased email, the phone, none for in-app and push. */
function addressOf(channel: NotificationChannel, recipient: RecipientRow): string | null {
  if (channel === 'email') return recipient?.email ? recipient.email.toLowerCase() : null;
  if (channel === 'sms') return recipient?.phone ?? null;
  return null;
}
