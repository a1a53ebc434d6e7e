import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { sql } from 'kysely';
import type { DataSource } from 'typeorm';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { DeliveryReason } from '../../notifications.exception';
import { DeliveryStatusService, deliveryJobContext } from '../email/delivery-status.service';
import { interruptedSendCounter } from './reconcile-queue.constant';

/**
 * The send claim of the email and SMS jobs (docs/adr/0035 "Reconcile of unknown sends"): at most one
 * provider call per delivery, plus at most one resend the reconcile authorised, whatever Bull does
 * (a retried or stalled job, a duplicate enqueue, a worker killed mid-send).
 *
 * - `admit` at the start of a job: a `queued` delivery not claimed yet may be sent; an `unknown`
 *   delivery may be sent only when the reconcile authorised a resend (`reconcile_attempts` = 1)
 *   that no job claimed yet. A `queued` delivery already claimed means an earlier run died between
 *   the claim and the outcome (the provider may have the message): it is moved to `unknown`
 *   `PROVIDER_OUTCOME_UNKNOWN` and not sent — the reconcile settles it.
 * - `claim` right before the provider call: one conditional UPDATE (`send_started_at = now()`,
 *   `attempts + 1`); false when another run claimed it first.
 * - `release` after the call: a `retry` outcome (429, 5xx, connection refused: nothing reached the
 *   provider) clears the claim so Bull's next attempt may claim again.
 */
@Injectable()
export class SendClaimService {
  private readonly logger = new Logger(SendClaimService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
    private readonly statuses: DeliveryStatusService,
  ) {}

  /** Whether the job of `deliveryId` may go on towards a send (see the class); false for an unknown id. */
  async admit(deliveryId: string): Promise<boolean> {
    const row = await kyselyFor<NotificationsDb>(this.dataSource)
      .selectFrom('delivery')
      .select(['org_id', 'channel', 'status', 'send_started_at', 'reconcile_attempts'])
      .where('id', '=', deliveryId)
      .executeTakeFirst();
    if (!row) return false;
    if (row.status === 'unknown') return row.reconcile_attempts >= 1 && row.send_started_at === null;
    if (row.status !== 'queued') return false;
    if (row.send_started_at === null) return true;
    this.logger.warn(`Delivery ${deliveryId} (${row.channel}) was claimed by a run that did not finish; not resent, left to the reconcile`);
    interruptedSendCounter.inc({ channel: row.channel });
    await this.unitOfWork.run(deliveryJobContext(row.org_id, row.channel, deliveryId), (unit) =>
      this.statuses.advance(unit, deliveryId, 'unknown', { reason: DeliveryReason.OutcomeUnknown }),
    );
    return false;
  }

  /**
   * Claims the send of `deliveryId`: sets `send_started_at` and counts the attempt, only while it is
   * `queued` or an authorised `unknown` resend and nobody claimed it.
   *
   * @returns true when this run holds the claim and may call the provider.
   */
  async claim(deliveryId: string): Promise<boolean> {
    const result = await kyselyFor<NotificationsDb>(this.dataSource)
      .updateTable('delivery')
      .set({ send_started_at: sql<Date>`now()`, attempts: sql<number>`attempts + 1`, updated_at: sql<Date>`now()` })
      .where('id', '=', deliveryId)
      .where('send_started_at', 'is', null)
      .where((eb) => eb.or([eb('status', '=', 'queued'), eb.and([eb('status', '=', 'unknown'), eb('reconcile_attempts', '>=', 1)])]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Clears the claim of `deliveryId` when the send's outcome (`SendOutcome` / `SmsSendOutcome`) says nothing reached the provider (`retry`); otherwise nothing. */
  async release(deliveryId: string, outcome: { kind: string }): Promise<void> {
    if (outcome.kind !== 'retry') return;
    await kyselyFor<NotificationsDb>(this.dataSource)
      .updateTable('delivery')
      .set({ send_started_at: null })
      .where('id', '=', deliveryId)
      .execute();
  }
}
