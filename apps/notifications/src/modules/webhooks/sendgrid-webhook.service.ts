import { Inject, Injectable, Logger } from '@nestjs/common';
import { sql } from 'kysely';
import {
  NotificationsEvent,
  NotificationsSubjects,
  type RequestEnvelope,
  type SendgridWebhookRequest,
  type SendgridWebhookResponse,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork, type UnitOfWorkContext } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import type { KeyObject } from 'node:crypto';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from '../../config/notifications.config';
import type { NotificationsDb } from '../../database/notifications.db';
import { NotificationsErrorCode } from '../../notifications.exception';
import { DeliveryStatusService } from '../email/delivery-status.service';
import { effectOf, parseSendgridEvent, type SendgridEvent } from './sendgrid-event.mapper';
import { checkSendgridSignature, sendgridPublicKey, SENDGRID_WEBHOOK_MAX_BYTES } from './sendgrid-signature.util';

/** Organization id of events about an address no delivery of ours links to (the nil UUID, as the gateway's refusals use). */
const UNKNOWN_ORG = '00000000-0000-0000-0000-000000000000';

/**
 * The SendGrid Event Webhook (`POST /v1/webhooks/sendgrid/events`, forwarded by the gateway with
 * the raw body): size check (768 KB → 413), then the ECDSA signature and timestamp window
 * (`checkSendgridSignature`) BEFORE anything is read from or written to the database (401
 * `WEBHOOK_SIGNATURE_INVALID`); then, in one transaction, each event as an `email_event` row
 * (`ON CONFLICT (sg_event_id) DO NOTHING`: the same batch three times stores one set), linked to
 * our delivery by its `deliveryId` custom arg, and only for new rows: the delivery's status moved
 * forward (`effectOf`, `DeliveryStatusService`), and bounces / spam reports / unsubscribes put
 * the address on the suppression list (`notifications.email.suppressed`).
 */
@Injectable()
export class SendgridWebhookService {
  private readonly logger = new Logger(SendgridWebhookService.name);
  private readonly publicKey: KeyObject;

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    private readonly unitOfWork: UnitOfWork,
    private readonly statuses: DeliveryStatusService,
  ) {
    this.publicKey = sendgridPublicKey(config.SENDGRID_WEBHOOK_PUBLIC_KEY);
  }

  /**
   * Verifies and stores one webhook batch (`NotificationsSubjects.sendgridEvents`).
   *
   * @throws DomainException 413 `WEBHOOK_PAYLOAD_TOO_LARGE`; 401 `WEBHOOK_SIGNATURE_INVALID`
   *   (missing, malformed, stale or not verifying); 400 `WEBHOOK_PAYLOAD_INVALID` (verified, but
   *   not a JSON array).
   */
  @RpcHandler(NotificationsSubjects.sendgridEvents)
  async receive(envelope: RequestEnvelope<SendgridWebhookRequest>): Promise<SendgridWebhookResponse> {
    const request = envelope.data;
    if (Buffer.byteLength(request.rawBody, 'utf8') > SENDGRID_WEBHOOK_MAX_BYTES) {
      throw new DomainException(
        'payload_too_large',
        NotificationsErrorCode.WebhookPayloadTooLarge,
        'The event batch is larger than 768 KB',
      );
    }
    const refusal = checkSendgridSignature(request, {
      publicKey: this.publicKey,
      maxAgeSeconds: this.config.SENDGRID_WEBHOOK_MAX_AGE_SECONDS,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (refusal) {
      this.logger.warn(`SendGrid webhook refused: ${refusal}`);
      throw new DomainException('unauthenticated', NotificationsErrorCode.WebhookSignatureInvalid, 'The webhook signature does not verify');
    }
    let batch: unknown;
    try {
      batch = JSON.parse(request.rawBody);
    } catch {
      batch = null;
    }
    if (!Array.isArray(batch)) {
      throw new DomainException('validation', NotificationsErrorCode.WebhookPayloadInvalid, 'The body is not a JSON array of events');
    }
    const events = batch.map(parseSendgridEvent).filter((event): event is SendgridEvent => event !== null);
    const stored = await this.unitOfWork.run({ actor: null, requestId: envelope.requestId }, async (unit) => {
      let count = 0;
      for (const event of events) if (await this.store(unit, event)) count += 1;
      return count;
    });
    return { received: batch.length, stored };
  }

  /** Stores one event; false when its `sg_event_id` was stored before (nothing else happens then). */
  private async store(unit: UnitOfWorkContext, event: SendgridEvent): Promise<boolean> {
    const db = kyselyFor<NotificationsDb>(unit.manager);
    const delivery = event.deliveryId
      ? await db
          .selectFrom('delivery')
          .select(['id', 'org_id', 'notification_id'])
          .where('id', '=', event.deliveryId)
          .where('channel', '=', 'email')
          .executeTakeFirst()
      : undefined;
    const inserted = await db
      .insertInto('email_event')
      .values({
        id: newId(),
        sg_event_id: event.sgEventId,
        event: event.event,
        bounce_type: event.bounceType,
        email: event.email,
        occurred_at: event.occurredAt,
        org_id: delivery?.org_id ?? null,
        notification_id: delivery?.notification_id ?? event.notificationId,
        delivery_id: delivery?.id ?? null,
        sg_message_id: event.sgMessageId,
        reason: event.reason,
        payload: JSON.stringify(event.payload),
      })
      .onConflict((conflict) => conflict.column('sg_event_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return false;
    const effect = effectOf(event);
    if (delivery && effect.status) {
      await this.statuses.advance(unit, delivery.id, effect.status, {
        reason: effect.status === 'bounced' || effect.status === 'failed' ? event.event.toUpperCase() : undefined,
        providerMessageId: event.sgMessageId ? event.sgMessageId.split('.')[0] : undefined,
      });
    }
    if (effect.suppress) await this.suppress(unit, event, delivery?.org_id ?? null, delivery?.id ?? null);
    if (event.event === 'group_resubscribe') {
      await db.deleteFrom('suppression').where('email', '=', event.email).where('reason', '=', 'group_unsubscribe').execute();
    }
    return true;
  }

  private async suppress(unit: UnitOfWorkContext, event: SendgridEvent, orgId: string | null, deliveryId: string | null): Promise<void> {
    const id = newId();
    const inserted = await kyselyFor<NotificationsDb>(unit.manager)
      .insertInto('suppression')
      .values({ id, email: event.email, reason: event.event, sg_event_id: event.sgEventId, org_id: orgId, created_at: sql<Date>`now()` })
      .onConflict((conflict) => conflict.column('email').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    await unit.emit(NotificationsEvent.emailSuppressed, id, orgId ?? UNKNOWN_ORG, {
      suppressionId: id,
      email: event.email,
      reason: event.event,
      sgEventId: event.sgEventId,
      deliveryId,
    });
  }
}
