import { Controller, Get, Header, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import {
  NotificationsSubjects as S,
  type NotificationHistoryView,
  type NotificationMarkAllReadView,
  type NotificationUnreadCountView,
  type NotificationView,
  type Page,
  type SendgridWebhookResponse,
  type TwilioWebhookRequest,
} from '@keyhouse/contracts';
import { Authenticated, Public, RequirePermission } from '@keyhouse/platform/auth';
import type { GatewayRequest } from '../platform/gateway-request.type';
import { ApiProblems } from '../platform/problem-details.dto';
import { GatewayRpc } from '../platform/rpc.service';
import { uuidParam } from '../users/users.http.controller';
import {
  NotificationHistoryPageDto,
  NotificationHistoryQueryDto,
  NotificationListQueryDto,
  NotificationMarkAllReadDto,
  NotificationPageDto,
  NotificationUnreadCountDto,
  NotificationViewDto,
  SendgridWebhookResultDto,
} from './dto/notifications.dto';
import { sendgridRawBodyOf } from './sendgrid-raw-body.service';

/**
 * `/v1/notifications`: the caller's in-app notifications (any signed-in user, their own only: another
 * user's notification answers 404) and the notification history (`notifications:read`: own, team, org).
 */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notifications')
export class NotificationsHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The caller’s notifications, newest first (filters: unread, type, after: the realtime catch-up)' })
  @ApiOkResponse({ type: NotificationPageDto })
  @ApiProblems(401, 403)
  list(@Req() request: GatewayRequest, @Query() query: NotificationListQueryDto): Promise<Page<NotificationView>> {
    return this.rpc.call(S.list, request, query, { retries: 1 });
  }

  @Get('unread-count')
  @Authenticated()
  @ApiOperation({ summary: 'How many of the caller’s notifications are unread' })
  @ApiOkResponse({ type: NotificationUnreadCountDto })
  @ApiProblems(401, 403)
  unreadCount(@Req() request: GatewayRequest): Promise<NotificationUnreadCountView> {
    return this.rpc.call(S.unreadCount, request, {}, { retries: 1 });
  }

  @Get('history')
  @RequirePermission('notifications:read')
  @ApiOperation({
    summary:
      'Notifications with their channel deliveries, statuses, provider ids and reasons (owner/admin: the organization; managers: their teams; others: their own); filters type, channel, status, recipientId, from, to',
  })
  @ApiOkResponse({ type: NotificationHistoryPageDto })
  @ApiProblems(401, 403)
  history(@Req() request: GatewayRequest, @Query() query: NotificationHistoryQueryDto): Promise<Page<NotificationHistoryView>> {
    return this.rpc.call(S.history, request, query, { retries: 1 });
  }

  @Post('read-all')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Mark all the caller’s unread notifications read' })
  @ApiOkResponse({ type: NotificationMarkAllReadDto })
  @ApiProblems(401, 403)
  markAllRead(@Req() request: GatewayRequest): Promise<NotificationMarkAllReadView> {
    return this.rpc.call(S.markAllRead, request, {});
  }

  @Post(':id/read')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Mark one of the caller’s notifications read (idempotent)' })
  @ApiOkResponse({ type: NotificationViewDto })
  @ApiProblems(401, 403, 404)
  markRead(@Req() request: GatewayRequest, @Param('id', uuidParam) id: string): Promise<NotificationView> {
    return this.rpc.call(S.markRead, request, { id });
  }
}

/**
 * `/v1/webhooks/sendgrid/events`: SendGrid's Signed Event Webhook. Public (SendGrid holds no
 * credential of ours); the notifications service verifies the ECDSA signature over the raw body
 * before anything is stored.
 */
@ApiTags('notifications')
@Controller('webhooks/sendgrid')
export class SendgridWebhookHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('events')
  @HttpCode(200)
  @Public()
  @ApiOperation({
    summary:
      'SendGrid Event Webhook: a signed JSON array of events (≤ 768 KB); 401 unless X-Twilio-Email-Event-Webhook-Signature verifies over timestamp + raw body; idempotent on sg_event_id',
  })
  @ApiHeader({ name: 'X-Twilio-Email-Event-Webhook-Signature', required: true, description: 'base64 DER ECDSA P-256 signature' })
  @ApiHeader({ name: 'X-Twilio-Email-Event-Webhook-Timestamp', required: true, description: 'unix seconds' })
  @ApiBody({ schema: { type: 'array', items: { type: 'object', additionalProperties: true } } })
  @ApiOkResponse({ type: SendgridWebhookResultDto })
  @ApiProblems(400, 401, 413)
  events(@Req() request: GatewayRequest): Promise<SendgridWebhookResponse> {
    const raw = sendgridRawBodyOf(request);
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' && value.length > 0 ? value : null;
    };
    return this.rpc.call(
      S.sendgridEvents,
      request,
      {
        rawBody: raw ? raw.toString('utf8') : '',
        signature: header('x-twilio-email-event-webhook-signature'),
        timestamp: header('x-twilio-email-event-webhook-timestamp'),
      },
      { timeoutMs: 30_000 },
    );
  }
}

/**
 * `/v1/webhooks/twilio/status` and `/v1/webhooks/twilio/inbound`: Twilio's status callbacks and
 * inbound SMS (form-urlencoded). Public (Twilio holds no credential of ours); the gateway forwards
 * the raw body, `X-Twilio-Signature` and the path with its query, and the notifications service
 * verifies the signature (over `TWILIO_WEBHOOK_BASE_URL` + that path and the params) before
 * anything is stored. The answer is TwiML (`text/xml`).
 */
@ApiTags('notifications')
@Controller('webhooks/twilio')
export class TwilioWebhookHttpController {
  constructor(private readonly rpc: GatewayRpc) {}

  @Post('status')
  @HttpCode(200)
  @Public()
  @Header('Content-Type', 'text/xml; charset=utf-8')
  @ApiOperation({
    summary:
      'Twilio status callback (MessageSid, MessageStatus, ErrorCode, ...): 401 unless X-Twilio-Signature verifies; the SMS delivery’s status only moves forward; answers an empty TwiML <Response/>',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/xml')
  @ApiHeader({ name: 'X-Twilio-Signature', required: true, description: 'base64 HMAC-SHA1 (auth token) over the URL + sorted params' })
  @ApiBody({ schema: { type: 'object', additionalProperties: { type: 'string' } } })
  @ApiOkResponse({ description: 'TwiML', content: { 'text/xml': { schema: { type: 'string' } } } })
  @ApiProblems(400, 401, 413)
  async status(@Req() request: GatewayRequest): Promise<string> {
    return (await this.rpc.call(S.twilioStatus, request, twilioRequestOf(request))).twiml;
  }

  @Post('inbound')
  @HttpCode(200)
  @Public()
  @Header('Content-Type', 'text/xml; charset=utf-8')
  @ApiOperation({
    summary:
      'Twilio inbound SMS: 401 unless X-Twilio-Signature verifies; idempotent on MessageSid; STOP/UNSUBSCRIBE/END/QUIT/STOPALL/REVOKE/OPTOUT/CANCEL opt out, START/UNSTOP opt in, HELP answers the help text; answers TwiML',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/xml')
  @ApiHeader({ name: 'X-Twilio-Signature', required: true, description: 'base64 HMAC-SHA1 (auth token) over the URL + sorted params' })
  @ApiBody({ schema: { type: 'object', additionalProperties: { type: 'string' } } })
  @ApiOkResponse({ description: 'TwiML', content: { 'text/xml': { schema: { type: 'string' } } } })
  @ApiProblems(400, 401, 413)
  async inbound(@Req() request: GatewayRequest): Promise<string> {
    return (await this.rpc.call(S.twilioInbound, request, twilioRequestOf(request))).twiml;
  }
}

/** What a Twilio webhook request forwards: the raw body, `X-Twilio-Signature` (or null) and the path with its query. */
function twilioRequestOf(request: GatewayRequest): TwilioWebhookRequest {
  const raw = sendgridRawBodyOf(request);
  const signature = request.headers['x-twilio-signature'];
  return {
    rawBody: raw ? raw.toString('utf8') : '',
    signature: typeof signature === 'string' && signature.length > 0 ? signature : null,
    path: request.url,
  };
}
