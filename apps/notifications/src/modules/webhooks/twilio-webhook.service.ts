import { Inject, Injectable, Logger } from '@nestjs/common';
import twilio from 'twilio';
import {
  NotificationsEvent,
  NotificationsSubjects,
  type RequestEnvelope,
  type TwilioWebhookRequest,
  type TwilioWebhookResponse,
} from '@keyhouse/contracts';
import { kyselyFor } from '@keyhouse/platform/database';
import { DomainException, RpcHandler, UnitOfWork } from '@keyhouse/platform/messaging';
import { newId } from '@keyhouse/util';
import { NOTIFICATIONS_CONFIG, type NotificationsConfig } from '../../config/notifications.config';
import type { NotificationsDb } from '../../database/notifications.db';
import { NotificationsErrorCode } from '../../notifications.exception';
import { DeliveryStatusService } from '../email/delivery-status.service';
import { SmsOptOutService } from '../sms/sms-opt-out.service';
import { TWILIO_WEBHOOK_MAX_BYTES, classifyInbound, deliveryStatusOfTwilio, formParams, twiml } from './twilio-webhook.util';

/**
 * Twilio's webhooks, forwarded by the gateway with the raw form body, `X-Twilio-Signature` and the
 * request path. Each is verified BEFORE any database access (`twilio.validateRequest`: base64
 * HMAC-SHA1 with `TWILIO_AUTH_TOKEN` over `TWILIO_WEBHOOK_BASE_URL` + path and the POST params
 * sorted by name; no token configured, no or a wrong signature → 401 `WEBHOOK_SIGNATURE_INVALID`,
 * nothing stored; > 64 KB → 413). Unknown params are accepted (and signed over).
 * - status: the SMS delivery with that `MessageSid` moves forward only (`deliveryStatusOfTwilio`;
 *   an out-of-order callback that is not forward changes nothing); failures get the reason
 *   `TWILIO_<ErrorCode>` (or the status upper case). Answers `<Response/>`.
 * - inbound: one `sms_inbound` row per `MessageSid` (a retry stores nothing again); on a new row,
 *   STOP-like keywords add the opt-out (`notifications.sms.opted_out`), START/UNSTOP remove it
 *   (`notifications.sms.opted_in`), other messages are published (`notifications.sms.received`);
 *   HELP answers `TWILIO_HELP_TEXT` as TwiML, everything else `<Response/>`.
 */
@Injectable()
export class TwilioWebhookService {
  private readonly logger = new Logger(TwilioWebhookService.name);

  constructor(
    @Inject(NOTIFICATIONS_CONFIG) private readonly config: NotificationsConfig,
    private readonly unitOfWork: UnitOfWork,
    private readonly statuses: DeliveryStatusService,
    private readonly optOuts: SmsOptOutService,
  ) {}

  /**
   * A status callback (`NotificationsSubjects.twilioStatus`).
   *
   * @throws DomainException 413 `WEBHOOK_PAYLOAD_TOO_LARGE`; 401 `WEBHOOK_SIGNATURE_INVALID`;
   *   400 `WEBHOOK_PAYLOAD_INVALID` (verified, but no `MessageSid` or `MessageStatus`).
   */
  @RpcHandler(NotificationsSubjects.twilioStatus)
  async status(envelope: RequestEnvelope<TwilioWebhookRequest>): Promise<TwilioWebhookResponse> {
    const params = this.verified(envelope.data);
    const sid = params.MessageSid;
    const status = params.MessageStatus;
    if (!sid || !status) throw invalid('MessageSid and MessageStatus are required');
    const to = deliveryStatusOfTwilio(status);
    if (to) {
      await this.unitOfWork.run({ actor: null, requestId: envelope.requestId }, async (unit) => {
        const delivery = await kyselyFor<NotificationsDb>(unit.manager)
          .selectFrom('delivery')
          .select('id')
          .where('provider_message_id', '=', sid)
          .where('channel', '=', 'sms')
          .executeTakeFirst();
        if (!delivery) return;
        const reason = to === 'failed' ? (params.ErrorCode ? `TWILIO_${params.ErrorCode}` : status.toUpperCase()) : undefined;
        await this.statuses.advance(unit, delivery.id, to, { reason, ...(to === 'sent' ? { sent: true } : {}) });
      });
    }
    return { twiml: twiml(null) };
  }

  /**
   * An inbound SMS (`NotificationsSubjects.twilioInbound`).
   *
   * @throws DomainException 413 `WEBHOOK_PAYLOAD_TOO_LARGE`; 401 `WEBHOOK_SIGNATURE_INVALID`;
   *   400 `WEBHOOK_PAYLOAD_INVALID` (verified, but no `MessageSid`, `From` or `To`).
   */
  @RpcHandler(NotificationsSubjects.twilioInbound)
  async inbound(envelope: RequestEnvelope<TwilioWebhookRequest>): Promise<TwilioWebhookResponse> {
    const params = this.verified(envelope.data);
    const sid = params.MessageSid;
    const from = params.From;
    const to = params.To;
    if (!sid || !from || !to) throw invalid('MessageSid, From and To are required');
    const body = params.Body ?? '';
    const { kind, keyword } = classifyInbound(body);
    await this.unitOfWork.run({ actor: null, requestId: envelope.requestId }, async (unit) => {
      const db = kyselyFor<NotificationsDb>(unit.manager);
      const orgId = await this.optOuts.orgOfNumber(db, from);
      const id = newId();
      const inserted = await db
        .insertInto('sms_inbound')
        .values({ id, message_sid: sid, from_number: from, to_number: to, body, kind, org_id: orgId })
        .onConflict((conflict) => conflict.column('message_sid').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return;
      if (kind === 'opt_out') {
        await this.optOuts.optOut(unit, { phone: from, sender: to, source: 'keyword', keyword, messageSid: sid, deliveryId: null, orgId });
      } else if (kind === 'opt_in') {
        await this.optOuts.optIn(unit, from, to, keyword!, sid);
      } else if (kind === 'message') {
        const numMedia = Number.parseInt(params.NumMedia ?? '0', 10);
        await unit.emit(NotificationsEvent.smsReceived, id, orgId, {
          inboundId: id,
          messageSid: sid,
          from,
          to,
          body,
          numMedia: Number.isFinite(numMedia) ? numMedia : 0,
        });
      }
    });
    return { twiml: twiml(kind === 'help' ? this.config.TWILIO_HELP_TEXT : null) };
  }

  /** The params of a request whose signature verifies (see the class); throws before any storage otherwise. */
  private verified(request: TwilioWebhookRequest): Record<string, string> {
    if (Buffer.byteLength(request.rawBody ?? '', 'utf8') > TWILIO_WEBHOOK_MAX_BYTES) {
      throw new DomainException(
        'payload_too_large',
        NotificationsErrorCode.WebhookPayloadTooLarge,
        'The webhook body is larger than 64 KB',
      );
    }
    const params = formParams(request.rawBody ?? '');
    const token = this.config.TWILIO_AUTH_TOKEN;
    const url = `${this.config.TWILIO_WEBHOOK_BASE_URL.replace(/\/+$/, '')}${request.path}`;
    if (!token || !request.signature || !twilio.validateRequest(token, request.signature, url, params)) {
      this.logger.warn(
        `Twilio webhook refused: ${!token ? 'no TWILIO_AUTH_TOKEN' : !request.signature ? 'no signature' : 'bad signature'}`,
      );
      throw new DomainException('unauthenticated', NotificationsErrorCode.WebhookSignatureInvalid, 'The webhook signature does not verify');
    }
    return params;
  }
}

function invalid(message: string): DomainException {
  return new DomainException('validation', NotificationsErrorCode.WebhookPayloadInvalid, message);
}
