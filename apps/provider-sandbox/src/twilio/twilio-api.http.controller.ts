import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxState, TwilioMessageRecord, WebhookRecord } from '../sandbox/sandbox-state.service';
import { postWebhook } from '../sandbox/webhook-sender.service';
import { E164, newSid, optOutTypeOf, rawDlrDoneDate, segmentsOf, TWILIO_STATUSES, twilioDate, twilioError } from './twilio-message.util';
import { TWILIO_SIGNATURE_HEADER, twilioSignature } from './twilio-signature.util';

const API_VERSION = '2010-04-01';
/** Account SID used for a simulated inbound SMS when none is given and no message was sent from that number. */
const DEFAULT_ACCOUNT_SID = `AC${'0'.repeat(32)}`;
/** Default ErrorCode of a simulated failed/undelivered status (30003 Unreachable destination handset, 30008 Unknown error). */
const DEFAULT_ERROR_CODE: Record<string, string> = { undelivered: '30003', failed: '30008' };
const FAULT_MESSAGES: Record<number, [number, string]> = {
  429: [20429, 'Too Many Requests'],
  500: [20500, 'Internal Server Error'],
  503: [20503, 'Service Unavailable'],
};

/** Whether the request authenticates as `accountSid` (Basic AccountSid:AuthToken with the configured token); answers 401/20003 when not. */
function authenticate(state: SandboxState, request: FastifyRequest, reply: FastifyReply, accountSid: string): boolean {
  const match = /^Basic\s+(\S+)$/.exec(request.headers.authorization ?? '');
  const [username, ...rest] = match ? Buffer.from(match[1], 'base64').toString('utf8').split(':') : [];
  const password = rest.join(':');
  if (!username || !username.startsWith('AC') || username !== accountSid || password !== state.settings.twilioAuthToken) {
    void reply
      .code(401)
      .header('WWW-Authenticate', 'Basic realm="Twilio API"')
      .send(twilioError(20003, 'Authenticate', 401));
    return false;
  }
  return true;
}

/** The message resource Twilio answers (../shared/data/twilio/status-callback/message_create_response.json). */
export function messageResource(message: TwilioMessageRecord): Record<string, unknown> {
  const uri = `/${API_VERSION}/Accounts/${message.accountSid}/Messages/${message.sid}`;
  const failed = message.status === 'failed' || message.status === 'undelivered';
  return {
    account_sid: message.accountSid,
    api_version: API_VERSION,
    body: message.body,
    date_created: message.dateCreated,
    date_sent: message.statuses.length > 1 ? message.dateCreated : null,
    date_updated: twilioDate(new Date()),
    direction: 'outbound-api',
    error_code: failed ? Number(message.errorCode ?? DEFAULT_ERROR_CODE[message.status]) : null,
    error_message: null,
    from: message.from,
    num_media: '0',
    num_segments: String(segmentsOf(message.body)),
    price: null,
    price_unit: 'USD',
    messaging_service_sid: message.messagingServiceSid,
    sid: message.sid,
    status: message.status,
    subresource_uris: { media: `${uri}/Media.json` },
    to: message.to,
    uri: `${uri}.json`,
  };
}

/**
 * Sets `message`'s status and, when it has a StatusCallback, posts the signed status callback
 * (form-urlencoded, `X-Twilio-Signature` with the auth token over the URL + sorted params):
 * AccountSid, ApiVersion, From, To, MessageSid, SmsSid, MessageStatus, SmsStatus,
 * MessagingServiceSid when set, ErrorCode on failed/undelivered, RawDlrDoneDate on
 * delivered/undelivered (PROVIDERS.md "Status callback"). Resolves the webhook record, or undefined.
 */
export async function postTwilioStatus(
  state: SandboxState,
  message: TwilioMessageRecord,
  status: string,
  errorCode?: string,
): Promise<WebhookRecord | undefined> {
  message.status = status;
  message.statuses.push(status);
  if (status === 'failed' || status === 'undelivered') message.errorCode = errorCode ?? DEFAULT_ERROR_CODE[status];
  if (!message.statusCallback) return undefined;
  const params: Record<string, string> = {
    AccountSid: message.accountSid,
    ApiVersion: API_VERSION,
    To: message.to,
    MessageSid: message.sid,
    SmsSid: message.sid,
    MessageStatus: status,
    SmsStatus: status,
  };
  if (message.from) params.From = message.from;
  if (message.messagingServiceSid) params.MessagingServiceSid = message.messagingServiceSid;
  if (status === 'failed' || status === 'undelivered') params.ErrorCode = message.errorCode ?? '30008';
  if (status === 'delivered' || status === 'undelivered') params.RawDlrDoneDate = rawDlrDoneDate(new Date());
  const target = message.statusCallback;
  return postWebhook(state, {
    kind: 'twilio.status',
    target,
    body: new URLSearchParams(params).toString(),
    contentType: 'application/x-www-form-urlencoded',
    sign: () => ({ [TWILIO_SIGNATURE_HEADER]: twilioSignature(state.settings.twilioAuthToken, target, params) }),
  });
}

async function autoStatuses(state: SandboxState, message: TwilioMessageRecord): Promise<void> {
  for (const status of ['sent', 'delivered']) {
    if (!(await state.delay(state.settings.autoEventDelayMs))) return;
    await postTwilioStatus(state, message, status);
  }
}

/** Bounds of the `DateSent`, `DateSent<`, `DateSent>` list filters (ms since the epoch, inclusive), or null when one is malformed. */
function dateSentBounds(query: Record<string, string | undefined>): { from: number; to: number } | null {
  const parse = (value: string, end: boolean): number | null => {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const time = Date.parse(day ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(time)) return null;
    return day && end ? time + 86_400_000 - 1 : time;
  };
  let from = -Infinity;
  let to = Infinity;
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (key === 'DateSent') {
      const start = parse(value, false);
      const end = parse(value, true);
      if (start === null || end === null) return null;
      from = Math.max(from, start);
      to = Math.min(to, end);
    } else if (key === 'DateSent>') {
      const start = parse(value, false);
      if (start === null) return null;
      from = Math.max(from, start);
    } else if (key === 'DateSent<') {
      const end = parse(value, true);
      if (end === null) return null;
      to = Math.min(to, end);
    }
  }
  return { from, to };
}

/**
 * Whether `message`'s `date_sent` is within `bounds`. A message not sent yet (still `queued`) has no
 * `date_sent`, so any DateSent filter leaves it out (reconciling by date alone would miss it).
 */
function sentWithin(message: TwilioMessageRecord, bounds: { from: number; to: number }): boolean {
  if (bounds.from === -Infinity && bounds.to === Infinity) return true;
  if (message.statuses.length <= 1) return false;
  const sent = Date.parse(message.dateCreated);
  return sent >= bounds.from && sent <= bounds.to;
}

/** The error Twilio answers for these create parameters, or undefined when the message is accepted. */
function refusal(state: SandboxState, params: Record<string, string>): ReturnType<typeof twilioError> | undefined {
  const to = params.To;
  if (!to) return twilioError(21604, "A 'To' phone number is required.");
  if (!params.From && !params.MessagingServiceSid) return twilioError(21603, "A 'From' phone number is required.");
  if (!params.Body && !params.MediaUrl) return twilioError(21602, 'Message body is required.');
  if ((params.Body ?? '').length > 1600) return twilioError(21617, 'The concatenated message body exceeds the 1600 character limit.');
  if (!E164.test(to)) return twilioError(21211, `The 'To' number ${to} is not a valid phone number.`);
  if (params.From && !E164.test(params.From) && !/^[A-Za-z0-9 ]{1,11}$/.test(params.From)) {
    return twilioError(21212, `The 'From' number ${params.From} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
  }
  if (state.settings.twilioLandlinePrefixes.some((prefix) => to.startsWith(prefix))) {
    return twilioError(21614, "'To' number is not a valid mobile number");
  }
  if (state.isOptedOut([params.From ?? null, params.MessagingServiceSid ?? null], to)) {
    return twilioError(21610, 'Attempt to send to unsubscribed recipient');
  }
  return undefined;
}

/**
 * Twilio's Messages API (PROVIDERS.md "Twilio Messaging"): `POST /2010-04-01/Accounts/:sid/Messages.json`
 * (Basic auth AccountSid:AuthToken; an injected fault; 21604/21603/21602/21617 missing or long
 * params, 21211 To not E.164, 21212 bad From, 21614 landline prefix, 21610 opted out; else 201 with
 * the resource, `status: queued`, then `sent` + `delivered` callbacks when `autoEvents`; the answer
 * waits `twilioResponseDelayMs` after the message is recorded), `GET …/Messages/:MessageSid.json`,
 * the list `GET …/Messages.json` (`To`, `From`, `DateSent`/`DateSent<`/`DateSent>` on `date_sent`,
 * `PageSize` 1–1000 default 50, `Page`; newest first, Twilio's page envelope); the simulate API `POST /sandbox/twilio/statuses`,
 * `POST /sandbox/twilio/inbound`; the read API `GET /sandbox/twilio/messages`, `GET /sandbox/twilio/opt-outs`.
 */
export function registerTwilioRoutes(app: FastifyInstance, state: SandboxState): void {
  app.post(`/${API_VERSION}/Accounts/:accountSid/Messages.json`, async (request, reply) => {
    const { accountSid } = request.params as { accountSid: string };
    if (!authenticate(state, request, reply, accountSid)) return reply;
    const fault = state.takeFault('twilio');
    if (fault) {
      const [code, message] = FAULT_MESSAGES[fault.status] ?? [fault.code ?? 20500, 'Error'];
      if (fault.retryAfterSeconds !== undefined) reply.header('Retry-After', String(fault.retryAfterSeconds));
      return reply.code(fault.status).send(twilioError(fault.code ?? code, message, fault.status));
    }
    const params = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, string>;
    const error = refusal(state, params);
    if (error) return reply.code(error.status).send(error);
    const message: TwilioMessageRecord = {
      sid: newSid('SM'),
      accountSid,
      from: params.From ?? null,
      to: params.To,
      body: params.Body ?? '',
      messagingServiceSid: params.MessagingServiceSid ?? null,
      statusCallback: params.StatusCallback ?? null,
      status: 'queued',
      statuses: ['queued'],
      errorCode: null,
      request: params,
      dateCreated: twilioDate(new Date()),
    };
    state.twilioMessages.push(message);
    if (state.settings.autoEvents) void autoStatuses(state, message);
    // Accepted and recorded; a slow answer (twilioResponseDelayMs) leaves a client that gives up not knowing it.
    if (state.settings.twilioResponseDelayMs > 0) await state.delay(state.settings.twilioResponseDelayMs);
    return reply.code(201).send(messageResource(message));
  });

  app.get(`/${API_VERSION}/Accounts/:accountSid/Messages.json`, async (request, reply) => {
    const { accountSid } = request.params as { accountSid: string };
    if (!authenticate(state, request, reply, accountSid)) return reply;
    const query = request.query as Record<string, string | undefined>;
    const pageSize = query.PageSize === undefined ? 50 : Number(query.PageSize);
    const page = query.Page === undefined ? 0 : Number(query.Page);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      return reply.code(400).send(twilioError(20001, 'PageSize must be an integer from 1 to 1000'));
    }
    if (!Number.isInteger(page) || page < 0) return reply.code(400).send(twilioError(20001, 'Page must be a non-negative integer'));
    const bounds = dateSentBounds(query);
    if (!bounds) return reply.code(400).send(twilioError(20001, 'DateSent must be YYYY-MM-DD or an ISO 8601 date-time'));
    const matching = state.twilioMessages
      .filter(
        (message) =>
          message.accountSid === accountSid &&
          (query.To === undefined || message.to === query.To) &&
          (query.From === undefined || message.from === query.From) &&
          sentWithin(message, bounds),
      )
      .reverse(); // newest first, as Twilio lists them
    const start = page * pageSize;
    const items = matching.slice(start, start + pageSize);
    const filters = Object.entries(query).filter(([key]) => !['Page', 'PageSize', 'PageToken'].includes(key)) as Array<[string, string]>;
    const pageUri = (index: number) =>
      `/${API_VERSION}/Accounts/${accountSid}/Messages.json?${new URLSearchParams([...filters, ['PageSize', String(pageSize)], ['Page', String(index)]]).toString()}`;
    return {
      messages: items.map(messageResource),
      end: start + Math.max(items.length - 1, 0),
      first_page_uri: pageUri(0),
      next_page_uri: start + pageSize < matching.length ? pageUri(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start,
      uri: pageUri(page),
    };
  });

  app.get(`/${API_VERSION}/Accounts/:accountSid/Messages/:messageSid`, async (request, reply) => {
    const { accountSid, messageSid } = request.params as { accountSid: string; messageSid: string };
    if (!authenticate(state, request, reply, accountSid)) return reply;
    const sid = messageSid.replace(/\.json$/, '');
    const message = state.twilioMessages.find((candidate) => candidate.sid === sid && candidate.accountSid === accountSid);
    if (!message) return reply.code(404).send(twilioError(20404, `The requested resource ${request.url} was not found`, 404));
    return messageResource(message);
  });

  app.get('/sandbox/twilio/messages', async (request) => {
    const query = request.query as { to?: string; accountSid?: string; sid?: string };
    return state.twilioMessages.filter(
      (message) =>
        (query.to === undefined || message.to === query.to) &&
        (query.accountSid === undefined || message.accountSid === query.accountSid) &&
        (query.sid === undefined || message.sid === query.sid),
    );
  });

  app.get('/sandbox/twilio/opt-outs', async () => state.optOutList());

  app.post('/sandbox/twilio/statuses', async (request, reply) => {
    const body = (request.body ?? {}) as { sid?: unknown; status?: unknown; errorCode?: unknown };
    if (typeof body.status !== 'string' || !TWILIO_STATUSES.includes(body.status)) {
      return reply.code(400).send({ error: `status must be one of ${TWILIO_STATUSES.join(', ')}` });
    }
    const message = state.twilioMessages.find((candidate) => candidate.sid === body.sid);
    if (!message) return reply.code(404).send({ error: 'no recorded Twilio message with that sid' });
    const errorCode = body.errorCode === undefined ? undefined : String(body.errorCode);
    const webhook = await postTwilioStatus(state, message, body.status, errorCode);
    return { message: messageResource(message), webhook: webhook ?? null };
  });

  app.post('/sandbox/twilio/inbound', async (request, reply) => {
    const body = (request.body ?? {}) as {
      from?: unknown;
      to?: unknown;
      body?: unknown;
      messagingServiceSid?: unknown;
      accountSid?: unknown;
    };
    if (typeof body.from !== 'string' || !E164.test(body.from) || typeof body.to !== 'string' || !E164.test(body.to)) {
      return reply.code(400).send({ error: 'from and to must be E.164 numbers (from: the sender, to: your Twilio number)' });
    }
    if (typeof body.body !== 'string') return reply.code(400).send({ error: 'body must be a string' });
    const serviceSid = typeof body.messagingServiceSid === 'string' ? body.messagingServiceSid : null;
    const lastSent = [...state.twilioMessages]
      .reverse()
      .find((message) => message.from === body.to || (serviceSid && message.messagingServiceSid === serviceSid));
    const accountSid = typeof body.accountSid === 'string' ? body.accountSid : (lastSent?.accountSid ?? DEFAULT_ACCOUNT_SID);
    const optOutType = optOutTypeOf(body.body);
    if (optOutType === 'STOP' || optOutType === 'START') {
      for (const sender of [body.to, serviceSid]) if (sender) state.setOptOut(sender, body.from, optOutType === 'STOP');
    }
    const sid = newSid('SM');
    const params: Record<string, string> = {
      ToCountry: 'US',
      SmsMessageSid: sid,
      NumMedia: '0',
      SmsSid: sid,
      SmsStatus: 'received',
      Body: body.body,
      To: body.to,
      NumSegments: String(segmentsOf(body.body)),
      MessageSid: sid,
      AccountSid: accountSid,
      From: body.from,
      ApiVersion: API_VERSION,
    };
    if (serviceSid) params.MessagingServiceSid = serviceSid;
    if (optOutType) params.OptOutType = optOutType;
    const target = state.settings.twilioInboundUrl;
    if (!target) return { params, webhook: null };
    const webhook = await postWebhook(state, {
      kind: 'twilio.inbound',
      target,
      body: new URLSearchParams(params).toString(),
      contentType: 'application/x-www-form-urlencoded',
      sign: () => ({ [TWILIO_SIGNATURE_HEADER]: twilioSignature(state.settings.twilioAuthToken, target, params) }),
    });
    return { params, webhook };
  });
}
