import { notificationsDatabase, type NotificationsDatabase } from '../../../../notifications/test/support/notifications-service.fixture';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { newId } from '@keyhouse/util';
import { startNotifications } from '../../../../notifications/src/main';
import {
  TEST_TWILIO_AUTH_TOKEN,
  TEST_TWILIO_WEBHOOK_BASE_URL,
  signedTwilioRequest,
} from '../../../../notifications/test/support/twilio-signing.fixture';
import type { ProblemJson } from '../../support/crm.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/**
 * Issue 14, second slice, through the gateway: Twilio's status callback and inbound SMS are public
 * form-urlencoded routes whose raw body, `X-Twilio-Signature` and path reach the notifications
 * service, which verifies them (over `TWILIO_WEBHOOK_BASE_URL` + path) before storing anything and
 * answers TwiML; unsigned or forged requests answer 401 problem details.
 */
describe('Twilio webhooks through the gateway', () => {
  let stack: TestStack;
  let notifications: NestFastifyApplication;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    stack = await startStack({}, { services: [] });
    notifications = await startNotifications({
      ...stack.env,
      TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
      TWILIO_WEBHOOK_BASE_URL: TEST_TWILIO_WEBHOOK_BASE_URL,
    });
    db = await notificationsDatabase(stack);
  });

  afterAll(async () => {
    await db?.end();
    await notifications?.close();
    await stack?.stop();
  });

  const post = (path: string, raw: string, signature: string | null) =>
    stack.http.request<string & ProblemJson>('POST', path, {
      raw,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature === null ? {} : { 'x-twilio-signature': signature }),
      },
    });

  it('answers a signed status callback with an empty TwiML document', async () => {
    const request = signedTwilioRequest('/v1/webhooks/twilio/status', {
      MessageSid: `SM${newId().replace(/-/g, '')}`,
      MessageStatus: 'delivered',
      AccountSid: `AC${'0'.repeat(32)}`,
    });
    const response = await post(request.path, request.rawBody, request.signature);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/xml');
    expect(response.body).toBe(EMPTY_TWIML);
  });

  it('stores a signed inbound SMS once and answers HELP with a TwiML message', async () => {
    const sid = `SM${newId().replace(/-/g, '')}`;
    const request = signedTwilioRequest('/v1/webhooks/twilio/inbound', {
      MessageSid: sid,
      From: '+14155550100',
      To: '+15005550006',
      Body: 'Help',
    });
    const response = await post(request.path, request.rawBody, request.signature);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/xml');
    expect(response.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response><Message>.+<\/Message><\/Response>$/);
    expect((await post(request.path, request.rawBody, request.signature)).status).toBe(200);
    expect(await db.query('SELECT kind FROM sms_inbound WHERE message_sid = $1', [sid])).toEqual([{ kind: 'help' }]);
  });

  it('refuses an unsigned or forged request with 401 WEBHOOK_SIGNATURE_INVALID and stores nothing', async () => {
    const sid = `SM${newId().replace(/-/g, '')}`;
    const request = signedTwilioRequest('/v1/webhooks/twilio/inbound', {
      MessageSid: sid,
      From: '+14155550101',
      To: '+15005550006',
      Body: 'STOP',
    });
    const forged = signedTwilioRequest(
      request.path,
      { MessageSid: sid, From: '+14155550101', To: '+15005550006', Body: 'STOP' },
      'wrong-token',
    );
    for (const signature of [null, forged.signature]) {
      const response = await post(request.path, request.rawBody, signature);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    const unsignedStatus = await post('/v1/webhooks/twilio/status', 'MessageSid=SM1&MessageStatus=failed', null);
    expect(unsignedStatus.status).toBe(401);
    expect(await db.query('SELECT 1 FROM sms_inbound WHERE message_sid = $1', [sid])).toEqual([]);
    expect(await db.query('SELECT 1 FROM sms_opt_out WHERE phone = $1', ['+14155550101'])).toEqual([]);
  });
});
