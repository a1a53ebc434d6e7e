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
import { DeliveryStatusService } from '../email/delivery-status.service';
import { NOTIFICATIONS_EMAIL_QUEUE, emailJobOptions, type DeliveryJobData, type EmailJobData } from '../email/email-queue.constant';
import { SmsOptOutService } from '../sms/sms-opt-out.service';
import { NOTIFICATIONS_SMS_QUEUE, smsJobOptions } from '../sms/sms-queue.constant';
import { contactBlockReason, type ContactConsentFacts } from './contact-consent.util';
import {
  CONTACT_TRIGGERS,
  isContactNotificationType,
  renderContactNotification,
  type ContactChannel,
  type ContactNotificationType,
} from './contact-triggers.constant';

/** A notification to a crm contact: which contact, of which type, from which event, about what. */
export interface ContactNotificationRequest {
  orgId: string;
  contactId: string;
  type: ContactNotificationType;
  /** Id of the triggering domain event: with contact and type, the dedupe key. */
  sourceEventId: string;
  values: Record<string, string | null | undefined>;
  data: NotificationData;
  /** Email address to use instead of the contact's primary one (an invoice's billing address), lower-cased here. */
  emailOverride?: string | null;
}

/**
 * Creates a notification to a crm contact and its deliveries in the caller's unit of work (a
 * trigger consumer's, with its inbox row), docs/adr/0035 "Contacts":
 * - the `notification` row with `recipient_contact_id` (no user, no in-app delivery), `ON CONFLICT
 *   ON CONSTRAINT notification_contact_source_event_unique DO NOTHING`: a redelivered event creates nothing;
 * - one `delivery` per channel of the type (`CONTACT_TRIGGERS`): `email` to the override or the
 *   contact's primary email; `sms` to the contact's E.164 phone, only when the SMS channel is on
 *   (`TWILIO_ACCOUNT_SID`) and the contact has a phone (as for users: otherwise left out);
 * - each delivery is decided at once by `contactBlockReason` (`NO_ADDRESS`, `SUPPRESSED`,
 *   `OPTED_OUT`, `DO_NOT_CONTACT`, `CONSENT_MISSING`: `blocked` with that reason, visible in the
 *   history) or queued with its Bull job after the commit (jobId = the delivery id); the jobs check
 *   the same rule again right before the send (`contactSendBlock`).
 * Emits `notifications.contact_notification.created` and, for each blocked delivery,
 * `notifications.delivery.status_changed`.
 */
@Injectable()
export class ContactNotificationService {
  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @InjectQueue(NOTIFICATIONS_EMAIL_QUEUE) private readonly emails: Queue<EmailJobData>,
    @InjectQueue(NOTIFICATIONS_SMS_QUEUE) private readonly sms: Queue<DeliveryJobData>,
    private readonly statuses: DeliveryStatusService,
    private readonly optOuts: SmsOptOutService,
  ) {}

  /** Creates the notification; returns its id, or null when this event already created it. */
  async dispatch(unit: UnitOfWorkContext, request: ContactNotificationRequest): Promise<string | null> {
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const trigger = CONTACT_TRIGGERS[request.type];
    const rendered = renderContactNotification(request.type, request.values);
    const id = newId();
    const inserted = await db
      .insertInto('notification')
      .values({
        id,
        org_id: request.orgId,
        recipient_user_id: null,
        recipient_contact_id: request.contactId,
        type: request.type,
        title: rendered.title,
        body: rendered.body,
        data: JSON.stringify(request.data),
        link: null,
        source_event_id: request.sourceEventId,
      })
      .onConflict((conflict) => conflict.constraint('notification_contact_source_event_unique').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return null;
    const contact = await db
      .selectFrom('contact_recipient')
      .select(['email', 'phone', 'email_consent', 'sms_consent', 'do_not_contact', 'deleted_at'])
      .where('contact_id', '=', request.contactId)
      .where('org_id', '=', request.orgId)
      .executeTakeFirst();
    const channels: ContactChannel[] = trigger.channels.filter(
      (channel) => channel !== 'sms' || (this.config.TWILIO_ACCOUNT_SID !== undefined && Boolean(contact?.phone)),
    );
    const blocked: Array<{ channel: NotificationChannel; reason: string }> = [];
    for (const channel of channels) {
      const address =
        channel === 'email' ? ((request.emailOverride?.trim().toLowerCase() || contact?.email) ?? null) : (contact?.phone ?? null);
      const deliveryId = newId();
      await db
        .insertInto('delivery')
        .values({ id: deliveryId, notification_id: id, org_id: request.orgId, channel, status: 'queued', to_address: address })
        .execute();
      const reason = await contactSendBlockFor(db, this.optOuts, this.config, contact ?? null, channel, trigger.marketing, address);
      if (reason) {
        blocked.push({ channel, reason });
        await this.statuses.advance(unit, deliveryId, 'blocked', { reason });
      } else if (channel === 'email') {
        unit.afterCommit(() => this.emails.add('send', { deliveryId }, emailJobOptions(this.config, deliveryId)));
      } else {
        unit.afterCommit(() => this.sms.add('send', { deliveryId }, smsJobOptions(this.config, deliveryId)));
      }
    }
    await unit.emit(NotificationsEvent.contactNotificationCreated, id, request.orgId, {
      notificationId: id,
      contactId: request.contactId,
      type: request.type,
      marketing: trigger.marketing,
      channels,
      blocked,
      sourceEventId: request.sourceEventId,
    });
    return id;
  }
}

/**
 * The reason a delivery to `contact` on `channel` must not go out, or null (`contactBlockReason`),
 * reading the suppression list (email) and the opt-out ledger (SMS, from `TWILIO_FROM_NUMBER`).
 */
async function contactSendBlockFor(
  db: Kysely<NotificationsDb>,
  optOuts: SmsOptOutService,
  config: Pick<NotificationsConfig, 'TWILIO_FROM_NUMBER'>,
  contact: ContactConsentFacts | null,
  channel: ContactChannel,
  marketing: boolean,
  address: string | null,
): Promise<string | null> {
  let suppressed = false;
  let optedOut = false;
  if (address && channel === 'email') {
    suppressed = (await db.selectFrom('suppression').select('id').where('email', '=', address).executeTakeFirst()) !== undefined;
  }
  if (address && channel === 'sms') optedOut = await optOuts.isOptedOut(db, address, config.TWILIO_FROM_NUMBER);
  return contactBlockReason({ contact, channel, marketing, address, suppressed, optedOut });
}

/** What a channel job knows of a delivery to a crm contact. */
export interface ContactDeliveryToCheck {
  orgId: string;
  contactId: string;
  /** Notification type (an unknown type is treated as marketing: the stricter rule). */
  type: string;
  channel: ContactChannel;
  /** The address the job is about to send to. */
  address: string | null;
}

/**
 * The consent check of a channel job right before the send to a crm contact (email-send.job,
 * sms-send.job): reads the contact's current row of the read model (consent withdrawn,
 * do-not-contact set or the contact deleted since the notification was created all block) and
 * returns the reason to block with (`DO_NOT_CONTACT`, `CONSENT_MISSING`, `NO_ADDRESS`) or null.
 * The suppression list and the opt-out ledger are the jobs' own checks, made before this one.
 */
export async function contactSendBlock(db: Kysely<NotificationsDb>, delivery: ContactDeliveryToCheck): Promise<string | null> {
  const contact = await db
    .selectFrom('contact_recipient')
    .select(['email_consent', 'sms_consent', 'do_not_contact', 'deleted_at'])
    .where('contact_id', '=', delivery.contactId)
    .where('org_id', '=', delivery.orgId)
    .executeTakeFirst();
  const marketing = isContactNotificationType(delivery.type) ? CONTACT_TRIGGERS[delivery.type].marketing : true;
  return contactBlockReason({
    contact: contact ?? null,
    channel: delivery.channel,
    marketing,
    address: delivery.address,
    suppressed: false,
    optedOut: false,
  });
}
