import { Inject, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Actor } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Job, type Queue } from '@keyhouse/platform/queue';
import { newId } from '@keyhouse/util';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from '../../config/notifications.config';
import type { NotificationsDb } from '../../database/notifications.db';
import { DeliveryReason } from '../../notifications.exception';
import type { NotificationType } from '../triggers/notification-triggers.constant';
import { DeliveryStatusService, deliveryJobContext } from './delivery-status.service';
import { NOTIFICATIONS_EMAIL_QUEUE, emailJobOptions, type EmailJobData } from './email-queue.constant';
import { brandName, dynamicTemplateDataOf, renderEmail } from './notification-templates.constant';
import { SendgridMailAdapter, type OutgoingEmail } from './sendgrid-mail.adapter';
import { contactSendBlock } from '../contacts/contact-notification.service';
import { SendClaimService } from '../reconcile/send-claim.service';
import { brandingFor, templateIdFor } from '../templates/email-templates.service';
import { requeueQueuedDeliveries } from './delivery-sweep.util';

/** Token of the mail adapter: a `SendgridMailAdapter` when `SENDGRID_API_KEY` is set, null for the local sink. */
export const SENDGRID_MAIL = Symbol('SENDGRID_MAIL');

/** The adapter for `config`: null (local sink) without an API key. */
export function sendgridMailOf(config: NotificationsConfig): SendgridMailAdapter | null {
  return config.SENDGRID_API_KEY ? new SendgridMailAdapter(config) : null;
}

/**
 * The email channel (Bull queue `notifications.email`, one job per email delivery, jobId = the
 * delivery id). A job sends only a delivery still `queued`, so a retried job, a duplicate enqueue
 * or a restarted worker does not send again once the outcome is recorded. A delivery queued
 * without an address (its recipient was not yet in the read model) takes it from the read model
 * now, retrying while the recipient is unknown, `blocked` `NO_ADDRESS` after the last attempt.
 * The suppression list is checked right before the send (blocked, `SUPPRESSED`). With `SENDGRID_API_KEY`: SendGrid's mail
 * send with `custom_args { notificationId, deliveryId }` (and `contactId` for a notification to a
 * crm contact, `campaignId` when the notification's data has one), category = the type, the
 * sender address `SENDGRID_FROM_EMAIL` named after the organization (its branding's display name,
 * else its name, else `SENDGRID_FROM_NAME`); the organization's SendGrid dynamic template of the
 * type when it set one (`template_id` + `dynamic_template_data`), else the built-in default with
 * its branding (docs/adr/0035 "Email templates and branding"); 202 → `sent` with `X-Message-Id`; 429 / 5xx / refused connection → the job throws and
 * Bull retries with backoff, the last attempt → `failed` `PROVIDER_UNAVAILABLE`; another 4xx →
 * `failed` `PROVIDER_REJECTED`; a timeout after the request was written → `unknown`
 * `PROVIDER_OUTCOME_UNKNOWN`, not resent (a later reconcile settles it from the webhook's events
 * carrying the delivery id). Without a key: the local sink (`local_email`), logged, `delivered`
 * `LOCAL_SINK`. At start, queued email deliveries get their job again (a job lost between the
 * commit and the enqueue).
 */
@Processor(NOTIFICATIONS_EMAIL_QUEUE)
export class EmailSendJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(EmailSendJob.name);

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @Inject(SENDGRID_MAIL) private readonly sendgrid: SendgridMailAdapter | null,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(NOTIFICATIONS_EMAIL_QUEUE) private readonly queue: Queue<EmailJobData>,
    private readonly unitOfWork: UnitOfWork,
    private readonly statuses: DeliveryStatusService,
    private readonly sendClaims: SendClaimService,
  ) {}

  /** Re-enqueues every queued email delivery (same jobId: no duplicate while its job exists; a finished one skips it). */
  async onApplicationBootstrap(): Promise<void> {
    await requeueQueuedDeliveries(this.dataSource, 'email', this.queue, (deliveryId) => emailJobOptions(this.config, deliveryId));
  }

  /**
   * Sends one email delivery (see the class). Returns the status it left the delivery in, or null
   * when it was not queued any more.
   *
   * @throws Error on 429 / 5xx / refused connection while attempts remain (Bull retries it).
   */
  @Process('send')
  async send(job: Job<EmailJobData>): Promise<string | null> {
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
        'n.id as notification_id',
        'n.recipient_user_id',
        'n.recipient_contact_id', // contacts slice
        'n.type',
        'n.title',
        'n.body',
        'n.link',
        'n.data', // templates slice: the ids the notification is about, for the dynamic template data
      ])
      .where('d.id', '=', deliveryId)
      .where('d.channel', '=', 'email')
      .executeTakeFirst();
    // reconcile: only a queued delivery not claimed yet, or the one resend the reconcile authorised (SendClaimService).
    if (!row || !(await this.sendClaims.admit(deliveryId))) return null;
    const context = deliveryJobContext(row.org_id, 'email', deliveryId);
    let to = row.to_address;
    if (!to) {
      const recipient = await db
        .selectFrom('recipient')
        .select(['email', 'status'])
        .where('user_id', '=', row.recipient_user_id)
        .where('org_id', '=', row.org_id)
        .executeTakeFirst();
      if (!recipient || recipient.status === 'deactivated' || !recipient.email) {
        // The read model may lag behind crm's event (another topic): wait for it while attempts remain.
        if (!recipient && job.attemptsMade + 1 < (job.opts.attempts ?? 1))
          throw new Error(`Recipient of delivery ${deliveryId} not known yet; retrying`);
        await this.unitOfWork.run(context, (unit) =>
          this.statuses.advance(unit, deliveryId, 'blocked', { reason: DeliveryReason.NoAddress }),
        );
        return 'blocked';
      }
      to = recipient.email.toLowerCase();
      await db.updateTable('delivery').set({ to_address: to }).where('id', '=', deliveryId).execute();
    }
    const suppressed = await db.selectFrom('suppression').select('id').where('email', '=', to).executeTakeFirst();
    if (suppressed) {
      await this.unitOfWork.run(context, (unit) =>
        this.statuses.advance(unit, deliveryId, 'blocked', { reason: DeliveryReason.Suppressed }),
      );
      return 'blocked';
    }
    // contacts slice: a crm contact's do-not-contact and (marketing types) email consent, as they are now.
    if (row.recipient_contact_id) {
      const contactId = row.recipient_contact_id;
      const reason = await contactSendBlock(db, { orgId: row.org_id, contactId, type: row.type, channel: 'email', address: to });
      if (reason) {
        await this.unitOfWork.run(context, (unit) => this.statuses.advance(unit, deliveryId, 'blocked', { reason }));
        return 'blocked';
      }
    }
    const link = row.link ? `${this.config.NOTIFICATIONS_APP_URL.replace(/\/+$/, '')}${row.link}` : null;
    // templates slice: the organization's branding and its SendGrid dynamic template of the type, as they are now.
    const branding = await brandingFor(db, row.org_id);
    const templateId = await templateIdFor(db, row.org_id, row.type);
    const rendered = renderEmail(row.type as NotificationType, row.title, row.body, link, branding);
    const customArgs: Record<string, string> = { notificationId: row.notification_id, deliveryId };
    if (row.recipient_contact_id) customArgs.contactId = row.recipient_contact_id;
    const data = (row.data ?? {}) as Record<string, unknown>;
    if (typeof data.campaignId === 'string') customArgs.campaignId = data.campaignId;
    const email: OutgoingEmail = {
      to,
      from: { email: this.config.SENDGRID_FROM_EMAIL, name: brandName(branding) ?? this.config.SENDGRID_FROM_NAME },
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      customArgs,
      categories: [row.type],
      template: templateId
        ? { id: templateId, data: dynamicTemplateDataOf({ type: row.type, title: row.title, body: row.body, link, data, branding }) }
        : null,
    };
    // reconcile: claim the send right before the provider call (send_started_at, attempts + 1); held by another run → stop.
    if (!(await this.sendClaims.claim(deliveryId))) return null;
    if (!this.sendgrid) return this.sendToLocalSink(context, row.org_id, deliveryId, email);
    const outcome = await this.sendgrid.send(email);
    await this.sendClaims.release(deliveryId, outcome); // reconcile: a `retry` reached nothing, the next attempt may claim
    return this.statuses.recordOutcome(context, job, outcome, 'SendGrid');
  }

  private async sendToLocalSink(
    context: { actor: Actor; requestId: string },
    orgId: string,
    deliveryId: string,
    email: OutgoingEmail,
  ): Promise<string> {
    await this.unitOfWork.run(context, async (unit) => {
      await kyselyFor<NotificationsDb>(unit.manager)
        .insertInto('local_email')
        .values({
          id: newId(),
          delivery_id: deliveryId,
          org_id: orgId,
          to_address: email.to,
          from_address: email.from.email,
          subject: email.subject,
          text_body: email.text,
          html_body: email.html,
          custom_args: JSON.stringify(email.customArgs),
          categories: email.categories,
        })
        .onConflict((conflict) => conflict.column('delivery_id').doNothing())
        .execute();
      await this.statuses.advance(unit, deliveryId, 'delivered', { reason: DeliveryReason.LocalSink, sent: true });
    });
    this.logger.log(`Email (local sink, no SENDGRID_API_KEY) for delivery ${deliveryId}: "${email.subject}"`);
    return 'delivered';
  }
}
