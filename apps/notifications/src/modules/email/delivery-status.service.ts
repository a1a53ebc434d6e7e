import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { NotificationsEvent, type NotificationDeliveryStatus } from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';
import type { NotificationsDb } from '../../database/notifications.db';
import { movesForward } from './delivery-status.util';

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
