import { Injectable, Logger } from '@nestjs/common';
import { sql } from 'kysely';
import { NotificationsEvent, type Actor, type NotificationDeliveryStatus } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { Job } from '@keyhouse/platform/queue';
import type { NotificationsDb } from '../../database/notifications.db';
import { DeliveryReason } from '../../notifications.exception';
import { movesForward } from './delivery-status.util';
import type { SendOutcome } from './sendgrid-mail.adapter';

/** The unit-of-work context of a channel job: the system actor of the delivery's organization. */
export interface DeliveryJobContext {
  actor: Actor;
  requestId: string;
}

/** Context of the job of `deliveryId` (`<channel>:<deliveryId>` as the request id). */
export function deliveryJobContext(orgId: string, channel: string, deliveryId: string): DeliveryJobContext {
  return { actor: { type: 'system', orgId, role: 'system', teamIds: [], permissions: [] }, requestId: `${channel}:${deliveryId}` };
}

/** What else changes with a status: the reason code, the provider's message id, whether an attempt was made. */
export interface DeliveryChange {
  reason?: string | null;
  providerMessageId?: string | null;
  sent?: boolean;
}

/**
 * Moves deliveries forward (docs/adr/0035): locks the row, refuses a move that is not forward
 * (`movesForward`; the row is left as it was and false returned), writes status, reason, provider
 * id and `updated_at`, and emits `notifications.delivery.status_changed` in the same unit.
 */
@Injectable()
export class DeliveryStatusService {
  private readonly logger = new Logger(DeliveryStatusService.name);

  constructor(private readonly unitOfWork: UnitOfWork) {}

  /**
   * Records the outcome of one provider send of a channel job (email, SMS), each in its own unit:
   * `sent` → `sent` with the provider's message id; `rejected` → `failed` with its `reason` (else
   * `PROVIDER_REJECTED`); `unknown` → `unknown` `PROVIDER_OUTCOME_UNKNOWN` (not resent); `retry`
   * → throws while attempts remain (Bull retries with backoff), the last attempt → `failed`
   * `PROVIDER_UNAVAILABLE`.
   *
   * @returns the status the delivery was moved to.
   * @throws Error on `retry` while `job` has attempts left.
   */
  async recordOutcome(
    context: DeliveryJobContext,
    job: Job<{ deliveryId: string }>,
    outcome: SendOutcome,
    provider: string,
  ): Promise<NotificationDeliveryStatus> {
    const deliveryId = job.data.deliveryId;
    switch (outcome.kind) {
      case 'sent':
        await this.unitOfWork.run(context, (unit) =>
          this.advance(unit, deliveryId, 'sent', { providerMessageId: outcome.messageId, reason: null, sent: true }),
        );
        return 'sent';
      case 'rejected':
        this.logger.warn(`${provider} refused delivery ${deliveryId} (${outcome.status}): ${outcome.message}`);
        await this.unitOfWork.run(context, (unit) =>
          this.advance(unit, deliveryId, 'failed', { reason: outcome.reason ?? DeliveryReason.ProviderRejected }),
        );
        return 'failed';
      case 'unknown':
        this.logger.warn(`${provider} send of delivery ${deliveryId} has no known outcome (${outcome.message}); not resent`);
        await this.unitOfWork.run(context, (unit) => this.advance(unit, deliveryId, 'unknown', { reason: DeliveryReason.OutcomeUnknown }));
        return 'unknown';
      case 'retry': {
        const attempts = job.opts.attempts ?? 1;
        if (job.attemptsMade + 1 < attempts) throw new Error(`${provider} unavailable (${outcome.status ?? outcome.message}); retrying`);
        await this.unitOfWork.run(context, (unit) =>
          this.advance(unit, deliveryId, 'failed', { reason: DeliveryReason.ProviderUnavailable }),
        );
        return 'failed';
      }
    }
  }

  /**
   * Moves delivery `deliveryId` to `to` inside `unit`.
   *
   * @returns true when it moved; false when the delivery does not exist or `to` is not forward of its status.
   */
  async advance(
    unit: UnitOfWorkContext,
    deliveryId: string,
    to: NotificationDeliveryStatus,
    change: DeliveryChange = {},
  ): Promise<boolean> {
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const row = await db
      .selectFrom('delivery')
      .select(['id', 'org_id', 'notification_id', 'channel', 'status', 'provider_message_id', 'reason'])
      .where('id', '=', deliveryId)
      .forUpdate()
      .executeTakeFirst();
    if (!row || !movesForward(row.status, to)) return false;
    const providerMessageId = change.providerMessageId ?? row.provider_message_id;
    const reason = change.reason === undefined ? row.reason : change.reason;
    await db
      .updateTable('delivery')
      .set({
        status: to,
        reason,
        provider_message_id: providerMessageId,
        updated_at: sql<Date>`now()`,
        ...(change.sent ? { sent_at: sql<Date>`now()` } : {}),
      })
      .where('id', '=', deliveryId)
      .execute();
    await unit.emit(NotificationsEvent.deliveryStatusChanged, row.id, row.org_id, {
      deliveryId: row.id,
      notificationId: row.notification_id,
      channel: row.channel,
      from: row.status,
      to,
      reason,
      providerMessageId,
    });
    return true;
  }
}
