import { Inject, Logger, type OnApplicationBootstrap, type Provider } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import { InjectQueue, Process, Processor, type Queue } from '@keyhouse/platform/queue';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from '../../config/notifications.config';
import type { NotificationsDb } from '../../database/notifications.db';
import { DeliveryReason } from '../../notifications.exception';
import { DeliveryStatusService, deliveryJobContext } from '../email/delivery-status.service';
import { NOTIFICATIONS_EMAIL_QUEUE, emailJobOptions, type DeliveryJobData } from '../email/email-queue.constant';
import { NOTIFICATIONS_SMS_QUEUE, smsJobOptions } from '../sms/sms-queue.constant';
import { smsText } from '../sms/sms-send.job';
import { deliveryStatusOfTwilio, matchTwilioMessage } from './delivery-reconcile.util';
import { NOTIFICATIONS_RECONCILE_QUEUE, RECONCILE_REPEAT_JOB_ID, reconcileCounter, resendJobId } from './reconcile-queue.constant';
import { SendClaimService } from './send-claim.service';
import { TwilioMessageLookupAdapter } from './twilio-message-lookup.adapter';

/** Token of the Twilio lookup: a `TwilioMessageLookupAdapter` when `TWILIO_ACCOUNT_SID` is set, else null. */
export const TWILIO_MESSAGE_LOOKUP = Symbol('TWILIO_MESSAGE_LOOKUP');

/** What one reconcile run did, by outcome (also counted in `notifications_reconcile_total`). */
export interface ReconcileSummary {
  /** `unknown` deliveries looked at. */
  examined: number;
  /** SMS found at Twilio: recorded with its SID and status. */
  found: number;
  /** One resend authorised and enqueued (or enqueued again while no job has claimed it). */
  resent: number;
  /** Marked `failed` `PROVIDER_OUTCOME_UNRESOLVED`. */
  failed: number;
  /** Twilio could not be asked: left `unknown` for the next run. */
  lookupFailed: number;
}

/**
 * The reconcile of deliveries whose send has no known outcome (docs/adr/0035 "Reconcile of unknown
 * sends"): a repeatable Bull job (`notifications.reconcile`, every `NOTIFICATIONS_RECONCILE_EVERY_MS`)
 * over email and SMS deliveries still `unknown` `NOTIFICATIONS_RECONCILE_GRACE_MS` after their last
 * change (at most `NOTIFICATIONS_RECONCILE_BATCH` per run, oldest first). Within the grace,
 * SendGrid's events (they carry our `deliveryId`) or Twilio's status callbacks settle a delivery by
 * themselves. After it, per delivery:
 * 1. SMS: Twilio is asked (`messages.list` by To/From, matched by body and time): a message found is
 *    recorded (`sent`/`delivered`/`opened`/`failed` with its SID) — sent exactly once. Twilio not
 *    answering: the delivery waits for the next run (never resent on a failed lookup).
 * 2. No resend yet (`reconcile_attempts` = 0): one resend is authorised (`reconcile_attempts` = 1,
 *    claim cleared) and the normal channel job is enqueued (jobId `<deliveryId>:resend`, same
 *    custom args / same text), which `SendClaimService` lets through once.
 * 3. The resend was made and is unknown too: `failed` `PROVIDER_OUTCOME_UNRESOLVED`, never a third send.
 * An authorised resend whose job was lost (a crash between the commit and the enqueue) is enqueued
 * again on the next run (same jobId: no duplicate). Counted in `notifications_reconcile_total` and logged.
 */
@Processor(NOTIFICATIONS_RECONCILE_QUEUE)
export class DeliveryReconcileJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeliveryReconcileJob.name);

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    @Inject(TWILIO_MESSAGE_LOOKUP) private readonly twilio: TwilioMessageLookupAdapter | null,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(NOTIFICATIONS_RECONCILE_QUEUE) private readonly queue: Queue,
    @InjectQueue(NOTIFICATIONS_EMAIL_QUEUE) private readonly emailQueue: Queue<DeliveryJobData>,
    @InjectQueue(NOTIFICATIONS_SMS_QUEUE) private readonly smsQueue: Queue<DeliveryJobData>,
    private readonly unitOfWork: UnitOfWork,
    private readonly statuses: DeliveryStatusService,
  ) {}

  /** Schedules the repeatable job (one schedule per `every`, whatever the number of replicas). */
  async onApplicationBootstrap(): Promise<void> {
    await this.queue.add(
      'reconcile',
      {},
      { repeat: { every: this.config.NOTIFICATIONS_RECONCILE_EVERY_MS }, jobId: RECONCILE_REPEAT_JOB_ID },
    );
  }

  /**
   * One run (see the class); also called directly by tests.
   *
   * @throws whatever Postgres or Redis throws (Bull runs it again on the next repeat; what was settled stays settled).
   */
  @Process('reconcile')
  async reconcile(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = { examined: 0, found: 0, resent: 0, failed: 0, lookupFailed: 0 };
    const db = kyselyFor<NotificationsDb>(this.dataSource);
    const graceMs = this.config.NOTIFICATIONS_RECONCILE_GRACE_MS;
    const rows = await db
      .selectFrom('delivery as d')
      .innerJoin('notification as n', 'n.id', 'd.notification_id')
      .select([
        'd.id',
        'd.org_id',
        'd.channel',
        'd.to_address',
        'd.created_at',
        'd.send_started_at',
        'd.reconcile_attempts',
        'n.title',
        'n.body',
        'n.link',
      ])
      .where('d.status', '=', 'unknown')
      .where('d.channel', 'in', ['email', 'sms'])
      .where((eb) =>
        eb.or([
          eb('d.updated_at', '<', sql<Date>`now() - make_interval(secs => ${graceMs / 1000})`),
          eb.and([eb('d.reconcile_attempts', '>=', 1), eb('d.send_started_at', 'is', null)]),
        ]),
      )
      .orderBy('d.updated_at')
      .limit(this.config.NOTIFICATIONS_RECONCILE_BATCH)
      .execute();
    for (const row of rows) {
      summary.examined += 1;
      const channel = row.channel;
      const pendingResend = row.reconcile_attempts >= 1 && row.send_started_at === null;
      if (pendingResend) {
        await this.enqueueResend(row.id, channel);
        continue;
      }
      if (channel === 'sms' && this.twilio && row.to_address) {
        const link = row.link ? `${this.config.NOTIFICATIONS_APP_URL.replace(/\/+$/, '')}${row.link}` : null;
        let found;
        try {
          found = await this.findAtTwilio(this.twilio, row.id, {
            to: row.to_address,
            from: this.config.TWILIO_FROM_NUMBER,
            body: smsText(row.title, row.body, link),
            createdAt: new Date(row.created_at as unknown as string | Date),
          });
        } catch (error) {
          this.logger.warn(`Twilio lookup for SMS delivery ${row.id} failed (${(error as Error).message}); tried again next run`);
          reconcileCounter.inc({ channel, outcome: 'lookup_failed' });
          summary.lookupFailed += 1;
          continue;
        }
        if (found) {
          const { status, reason } = deliveryStatusOfTwilio(found);
          await this.unitOfWork.run(deliveryJobContext(row.org_id, channel, row.id), (unit) =>
            this.statuses.advance(unit, row.id, status, { providerMessageId: found.sid, reason, sent: true }),
          );
          this.logger.log(`SMS delivery ${row.id} found at Twilio as ${found.sid} (${found.status}): recorded, not resent`);
          reconcileCounter.inc({ channel, outcome: 'found' });
          summary.found += 1;
          continue;
        }
      }
      if (row.reconcile_attempts === 0) {
        if (await this.authoriseResend(row.id, row.org_id, channel)) {
          this.logger.warn(`${channel} delivery ${row.id} still unknown after ${graceMs} ms: resent once`);
          reconcileCounter.inc({ channel, outcome: 'resent' });
          summary.resent += 1;
        }
        continue;
      }
      const moved = await this.unitOfWork.run(deliveryJobContext(row.org_id, channel, row.id), (unit) =>
        this.statuses.advance(unit, row.id, 'failed', { reason: DeliveryReason.OutcomeUnresolved }),
      );
      if (moved) {
        this.logger.warn(`${channel} delivery ${row.id} and its resend have no known outcome: failed ${DeliveryReason.OutcomeUnresolved}`);
        reconcileCounter.inc({ channel, outcome: 'failed' });
        summary.failed += 1;
      }
    }
    return summary;
  }

  /** The message Twilio holds for this delivery (see `matchTwilioMessage`), or null. */
  private async findAtTwilio(
    twilio: TwilioMessageLookupAdapter,
    deliveryId: string,
    expected: { to: string; from: string; body: string; createdAt: Date },
  ) {
    const messages = await twilio.recent(expected.to, expected.from);
    if (messages.length === 0) return null;
    const claimed = await kyselyFor<NotificationsDb>(this.dataSource)
      .selectFrom('delivery')
      .select('provider_message_id')
      .where(
        'provider_message_id',
        'in',
        messages.map((message) => message.sid),
      )
      .where('id', '!=', deliveryId)
      .execute();
    return matchTwilioMessage(messages, expected, new Set(claimed.map((row) => row.provider_message_id as string)));
  }

  /**
   * Authorises the one resend of `deliveryId` (`reconcile_attempts` 0 → 1, claim cleared, only while
   * it is still `unknown`) and enqueues its job after the commit.
   *
   * @returns false when the delivery moved on meanwhile (a late event settled it) or was authorised already.
   */
  private async authoriseResend(deliveryId: string, orgId: string, channel: string): Promise<boolean> {
    return this.unitOfWork.run(deliveryJobContext(orgId, channel, deliveryId), async (unit) => {
      const result = await kyselyFor<NotificationsDb>(unit.manager)
        .updateTable('delivery')
        .set({ reconcile_attempts: 1, send_started_at: null })
        .where('id', '=', deliveryId)
        .where('status', '=', 'unknown')
        .where('reconcile_attempts', '=', 0)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      unit.afterCommit(() => this.enqueueResend(deliveryId, channel));
      return true;
    });
  }

  /** Adds the resend job of `deliveryId` to its channel's queue (jobId `<deliveryId>:resend`: at most one). */
  private async enqueueResend(deliveryId: string, channel: string): Promise<void> {
    if (channel === 'sms') {
      await this.smsQueue.add('send', { deliveryId }, { ...smsJobOptions(this.config, deliveryId), jobId: resendJobId(deliveryId) });
    } else {
      await this.emailQueue.add('send', { deliveryId }, { ...emailJobOptions(this.config, deliveryId), jobId: resendJobId(deliveryId) });
    }
  }
}

/** The reconcile's providers for the app module: the claim, the job and the Twilio lookup (null without `TWILIO_ACCOUNT_SID`). */
export function reconcileProviders(config: NotificationsConfig): Provider[] {
  return [
    SendClaimService,
    DeliveryReconcileJob,
    { provide: TWILIO_MESSAGE_LOOKUP, useFactory: () => (config.TWILIO_ACCOUNT_SID ? new TwilioMessageLookupAdapter(config) : null) },
  ];
}
