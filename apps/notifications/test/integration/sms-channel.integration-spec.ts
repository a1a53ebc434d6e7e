import { CrmContactEvent, IdentityEvent, NotificationsSubjects, type NotificationDeliveryView } from '@keyhouse/contracts';
import { actorFor, startService, testEvent, waitFor, type TestService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startSandbox, type StartedSandbox } from '../../../provider-sandbox/test/support/provider-sandbox.fixture';
import { startNotifications } from '../../src/main';
import { notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';
import { TEST_TWILIO_AUTH_TOKEN, TEST_TWILIO_WEBHOOK_BASE_URL, signedTwilioRequest } from '../support/twilio-signing.fixture';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const FROM = '+15005550006';
const STATUS_PATH = '/v1/webhooks/twilio/status';
const INBOUND_PATH = '/v1/webhooks/twilio/inbound';
const STATUS_CALLBACK = `${TEST_TWILIO_WEBHOOK_BASE_URL}${STATUS_PATH}`;

/** The code a call was refused with. */
const codeOf = async (call: Promise<unknown>): Promise<string> => (await refusalOf(call)).code;

/** A fresh mobile number (E.164, US 555-01xx range avoided: the sandbox treats +1555010… as landlines). */
function newPhone(): string {
  return `+1415${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
}

/** The SMS channel (issue 14, second slice): the `twilio` SDK against the provider sandbox, the signed webhooks through the RPC. */
describe('notifications: SMS through Twilio (the provider sandbox)', () => {
  let sandbox: StartedSandbox;
  let svc: TestService;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    sandbox = await startSandbox({ autoEvents: false });
    svc = await startService(startNotifications, {
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
      TWILIO_FROM_NUMBER: FROM,
      TWILIO_BASE_URL: sandbox.url,
      TWILIO_STATUS_CALLBACK_URL: STATUS_CALLBACK,
      TWILIO_WEBHOOK_BASE_URL: TEST_TWILIO_WEBHOOK_BASE_URL,
      TWILIO_HELP_TEXT: 'Keyhouse help: reply STOP to stop',
      TWILIO_RETRY_DELAY_MS: '50',
    });
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
    await sandbox?.close();
  });

  /** A new agent with `phone` (identity.user.created), known to the read model. */
  async function agentWithPhone(phone: string) {
    const orgId = newId();
    const agent = actorFor({ orgId, role: 'agent', permissions: ['notifications:read:own'] });
    await svc.publish('identity.events', [
      testEvent(IdentityEvent.userCreated, orgId, {
        userId: agent.userId!,
        email: `agent-${agent.userId!.slice(-12)}@example.test`,
        name: 'Agent',
        role: 'agent',
        status: 'active',
        teamIds: [],
        phone,
      }),
    ]);
    await waitFor(
      async () => (await db.query('SELECT 1 FROM recipient WHERE user_id = $1 AND phone = $2', [agent.userId, phone])).length === 1,
    );
    return agent;
  }

  /** Assigns a new lead to `agent`; resolves with the SMS delivery once it left `queued`. */
  async function assignLead(agent: ReturnType<typeof actorFor>): Promise<NotificationDeliveryView> {
    const contactId = newId();
    await svc.publish('crm.events', [
      testEvent(CrmContactEvent.contactAssigned, agent.orgId, {
        contactId,
        fromAgentId: null,
        toAgentId: agent.userId!,
        pondId: null,
        ruleId: null,
        strategy: 'round_robin',
        reason: 'rule',
        respondBy: null,
      }),
    ]);
    let found: NotificationDeliveryView | null = null;
    await waitFor(async () => {
      const items = (await svc.rpc.call(NotificationsSubjects.history, {}, agent)).items;
      const item = items.find((notification) => notification.data.contactId === contactId);
      const delivery = item?.deliveries.find((d) => d.channel === 'sms');
      if (delivery && delivery.status !== 'queued') found = delivery;
      return found !== null;
    });
    return found!;
  }

  const status = (params: Record<string, string>) =>
    svc.rpc.call(NotificationsSubjects.twilioStatus, signedTwilioRequest(STATUS_PATH, params));
  const inbound = (params: Record<string, string>) =>
    svc.rpc.call(NotificationsSubjects.twilioInbound, signedTwilioRequest(INBOUND_PATH, params));
  const outboxCount = async (type: string, phone: string) =>
    (await db.query(`SELECT 1 FROM outbox_event WHERE event_type = $1 AND payload->'data'->>'phone' = $2`, [type, phone])).length;

  it('texts the agent a lead alert with our status callback and stores the message SID', async () => {
    const phone = newPhone();
    const agent = await agentWithPhone(phone);
    const delivery = await assignLead(agent);
    expect(delivery).toMatchObject({ status: 'sent', reason: null, to: phone, attempts: 1 });
    const messages = await sandbox.api.twilioMessages({ to: phone });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      sid: delivery.providerMessageId,
      from: FROM,
      accountSid: ACCOUNT_SID,
      statusCallback: STATUS_CALLBACK,
    });
    expect(messages[0].body).toContain('New lead assigned to you');
  });

  it('moves a delivery forward only: delivered, then a late sent callback, stays delivered; unknown params are accepted', async () => {
    const agent = await agentWithPhone(newPhone());
    const delivery = await assignLead(agent);
    const sid = delivery.providerMessageId!;
    expect(await status({ MessageSid: sid, MessageStatus: 'delivered', AccountSid: ACCOUNT_SID, RawDlrDoneDate: '2612072200' })).toEqual({
      twiml: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    });
    await status({ MessageSid: sid, MessageStatus: 'sent', AccountSid: ACCOUNT_SID });
    const [row] = await db.query<{ status: string }>('SELECT status FROM delivery WHERE id = $1', [delivery.id]);
    expect(row.status).toBe('delivered');
  });

  it('records a STOP (any case, trimmed) in the ledger with an event, and blocks the next lead OPTED_OUT without calling Twilio', async () => {
    const phone = newPhone();
    const agent = await agentWithPhone(phone);
    await inbound({ MessageSid: `SM${newId().replace(/-/g, '')}`, From: phone, To: FROM, Body: '  stop ', OptOutType: 'STOP' });
    expect(await db.query('SELECT source, keyword FROM sms_opt_out WHERE phone = $1 AND sender = $2', [phone, FROM])).toEqual([
      { source: 'keyword', keyword: 'STOP' },
    ]);
    expect(await outboxCount('notifications.sms.opted_out', phone)).toBe(1);
    const delivery = await assignLead(agent);
    expect(delivery).toMatchObject({ status: 'blocked', reason: 'OPTED_OUT', attempts: 0 });
    expect(await sandbox.api.twilioMessages({ to: phone })).toEqual([]);

    await inbound({ MessageSid: `SM${newId().replace(/-/g, '')}`, From: phone, To: FROM, Body: 'START' });
    expect(await db.query('SELECT 1 FROM sms_opt_out WHERE phone = $1', [phone])).toEqual([]);
    expect(await outboxCount('notifications.sms.opted_in', phone)).toBe(1);
  });

  it('treats Twilio error 21610 (a STOP the sandbox received) as an opt-out: blocked OPTED_OUT and a ledger row', async () => {
    const phone = newPhone();
    const agent = await agentWithPhone(phone);
    await sandbox.api.twilioInbound({ from: phone, to: FROM, body: 'STOP' });
    const delivery = await assignLead(agent);
    expect(delivery).toMatchObject({ status: 'blocked', reason: 'OPTED_OUT', attempts: 1 });
    expect(await db.query('SELECT source FROM sms_opt_out WHERE phone = $1 AND sender = $2', [phone, FROM])).toEqual([
      { source: 'send_error' },
    ]);
    expect(await outboxCount('notifications.sms.opted_out', phone)).toBe(1);
  });

  it('stores an inbound MessageSid once, publishes a plain message, and answers HELP with the help text', async () => {
    const phone = newPhone();
    const sid = `SM${newId().replace(/-/g, '')}`;
    const params = { MessageSid: sid, From: phone, To: FROM, Body: 'Is the house still available?', NumMedia: '0' };
    await inbound(params);
    await inbound(params);
    expect(await db.query('SELECT kind FROM sms_inbound WHERE message_sid = $1', [sid])).toEqual([{ kind: 'message' }]);
    const received = await db.query(
      `SELECT 1 FROM outbox_event WHERE event_type = 'notifications.sms.received' AND payload->'data'->>'messageSid' = $1`,
      [sid],
    );
    expect(received).toHaveLength(1);
    const help = await inbound({ MessageSid: `SM${newId().replace(/-/g, '')}`, From: phone, To: FROM, Body: 'help' });
    expect(help.twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Keyhouse help: reply STOP to stop</Message></Response>',
    );
  });

  it('refuses a forged, unsigned or re-addressed webhook with 401 and stores nothing', async () => {
    const phone = newPhone();
    const sid = `SM${newId().replace(/-/g, '')}`;
    const params = { MessageSid: sid, From: phone, To: FROM, Body: 'STOP' };
    const good = signedTwilioRequest(INBOUND_PATH, params);
    const refusals = [
      svc.rpc.call(NotificationsSubjects.twilioInbound, signedTwilioRequest(INBOUND_PATH, params, 'not-the-token')),
      svc.rpc.call(NotificationsSubjects.twilioInbound, { ...good, signature: null }),
      svc.rpc.call(NotificationsSubjects.twilioInbound, { ...good, rawBody: `${good.rawBody}&Extra=1` }),
      svc.rpc.call(NotificationsSubjects.twilioInbound, { ...good, path: STATUS_PATH }),
      svc.rpc.call(NotificationsSubjects.twilioStatus, {
        ...signedTwilioRequest(STATUS_PATH, { MessageSid: sid, MessageStatus: 'failed' }),
        signature: good.signature,
      }),
    ];
    for (const refusal of refusals) expect(await codeOf(refusal)).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(await db.query('SELECT 1 FROM sms_inbound WHERE message_sid = $1', [sid])).toEqual([]);
    expect(await db.query('SELECT 1 FROM sms_opt_out WHERE phone = $1', [phone])).toEqual([]);
  });
});
