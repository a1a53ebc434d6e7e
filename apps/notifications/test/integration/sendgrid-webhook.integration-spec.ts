import { CrmContactEvent, NotificationsSubjects, type Actor, type NotificationHistoryView } from '@keyhouse/contracts';
import { startService, testEvent, waitFor, type TestService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startNotifications } from '../../src/main';
import { assignLeadAndWaitForEmail, notificationsDatabase, type NotificationsDatabase } from '../support/notifications-service.fixture';
import { sendgridEvent, signSendgridBatch } from '../support/sendgrid-signing.fixture';

/** The code a call was refused with. */
const codeOf = async (call: Promise<unknown>): Promise<string> => (await refusalOf(call)).code;

/** The SendGrid Event Webhook on the service alone: verification before storage, idempotence, forward-only statuses, suppression. */
describe('notifications: SendGrid Event Webhook (service over NATS)', () => {
  let svc: TestService;
  let db: NotificationsDatabase;

  beforeAll(async () => {
    svc = await startService(startNotifications);
    db = await notificationsDatabase(svc);
  });

  afterAll(async () => {
    await db?.end();
    await svc?.stop();
  });

  async function post(rawBody: string, headers: { signature: string | null; timestamp: string | null } = signSendgridBatch(rawBody)) {
    return svc.rpc.call(NotificationsSubjects.sendgridEvents, { rawBody, ...headers });
  }

  async function countEvents(ids: string[]): Promise<number> {
    const [row] = await db.query<{ n: string }>('SELECT count(*) AS n FROM email_event WHERE sg_event_id = ANY($1)', [ids]);
    return Number(row.n);
  }

  /** An agent with an address and a lead assigned: the email delivery (delivered to the local sink). */
  async function emailDelivery(): Promise<{ agent: Actor; email: string; notificationId: string; deliveryId: string }> {
    const { agent, email, notificationId, delivery } = await assignLeadAndWaitForEmail(svc, db);
    return { agent, email, notificationId, deliveryId: delivery.id };
  }

  async function statusOf(deliveryId: string): Promise<string> {
    const [row] = await db.query<{ status: string }>('SELECT status FROM delivery WHERE id = $1', [deliveryId]);
    return row.status;
  }

  it('stores a correctly signed batch of all 11 event types once, even when it is posted three times', async () => {
    const types = [
      'processed',
      'deferred',
      'delivered',
      'open',
      'click',
      'bounce',
      'dropped',
      'spamreport',
      'unsubscribe',
      'group_unsubscribe',
      'group_resubscribe',
    ];
    const events = types.map((type, i) => sendgridEvent(type, `someone-${i}-${newId()}@example.test`));
    const rawBody = JSON.stringify(events);
    const ids = events.map((event) => event.sg_event_id as string);
    expect(await post(rawBody)).toEqual({ received: 11, stored: 11 });
    expect(await post(rawBody)).toEqual({ received: 11, stored: 0 });
    expect(await post(rawBody)).toEqual({ received: 11, stored: 0 });
    expect(await countEvents(ids)).toBe(11);
    const rows = await db.query<{ event: string; occurred_at: Date }>(
      'SELECT event, occurred_at FROM email_event WHERE sg_event_id = ANY($1)',
      [ids],
    );
    expect(rows.map((row) => row.event).sort()).toEqual([...types].sort());
    expect(rows[0].occurred_at.getTime()).toBe((events[0].timestamp as number) * 1000);
  });

  it('refuses a forged, re-serialized, stale, future, unsigned or untimed batch with 401 and stores nothing', async () => {
    const events = [sendgridEvent('delivered', `x-${newId()}@example.test`)];
    const rawBody = JSON.stringify(events);
    const ids = [events[0].sg_event_id as string];
    const good = signSendgridBatch(rawBody);
    const now = Math.floor(Date.now() / 1000);
    const refusals = [
      post(rawBody, { ...good, signature: signSendgridBatch(`${rawBody} `, Number(good.timestamp)).signature }),
      post(JSON.stringify(events, null, 2), good),
      post(rawBody, signSendgridBatch(rawBody, now - 3600)),
      post(rawBody, signSendgridBatch(rawBody, now + 3600)),
      post(rawBody, { signature: null, timestamp: good.timestamp }),
      post(rawBody, { signature: good.signature, timestamp: null }),
      post(rawBody, { signature: 'not base64 at all', timestamp: good.timestamp }),
      post(rawBody, { ...good, timestamp: String(Number(good.timestamp) + 1) }),
    ];
    for (const refusal of refusals) expect(await codeOf(refusal)).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(await countEvents(ids)).toBe(0);
  });

  it('refuses a batch above 768 KB (413) and a verified body that is not an array (400)', async () => {
    const big = JSON.stringify([sendgridEvent('delivered', 'big@example.test', { extra: { padding: 'x'.repeat(800 * 1024) } })]);
    expect(await codeOf(post(big))).toBe('WEBHOOK_PAYLOAD_TOO_LARGE');
    expect(await codeOf(post('{"event":"delivered"}'))).toBe('WEBHOOK_PAYLOAD_INVALID');
  });

  it('links events to the delivery by its custom args and moves its status forward only', async () => {
    const { email, notificationId, deliveryId } = await emailDelivery();
    // The local sink recorded it as delivered: an open moves it to opened, a later delivered does not move it back.
    await post(JSON.stringify([sendgridEvent('open', email, { notificationId, deliveryId })]));
    expect(await statusOf(deliveryId)).toBe('opened');
    await post(JSON.stringify([sendgridEvent('delivered', email, { notificationId, deliveryId })]));
    expect(await statusOf(deliveryId)).toBe('opened');
    const linked = await db.query<{ notification_id: string; delivery_id: string }>(
      'SELECT notification_id, delivery_id FROM email_event WHERE delivery_id = $1',
      [deliveryId],
    );
    expect(linked).toHaveLength(2);
    expect(linked.every((row) => row.notification_id === notificationId)).toBe(true);
  });

  it('suppresses a bounced address (notifications.email.suppressed) and blocks the next email to it with SUPPRESSED', async () => {
    const { agent, email, notificationId, deliveryId } = await emailDelivery();
    await post(
      JSON.stringify([
        sendgridEvent('bounce', email, { notificationId, deliveryId, extra: { type: 'bounce', reason: '550 no such user' } }),
      ]),
    );
    const suppressed = await db.query<{ reason: string }>('SELECT reason FROM suppression WHERE email = $1', [email]);
    expect(suppressed).toEqual([{ reason: 'bounce' }]);
    const outbox = await db.query<{ event_type: string }>(
      `SELECT event_type FROM outbox_event WHERE event_type = 'notifications.email.suppressed' AND payload->'data'->>'email' = $1`,
      [email],
    );
    expect(outbox).toHaveLength(1);
    await svc.publish('crm.events', [
      testEvent(CrmContactEvent.contactAssigned, agent.orgId, {
        contactId: newId(),
        fromAgentId: null,
        toAgentId: agent.userId!,
        pondId: null,
        ruleId: null,
        strategy: 'manual',
        reason: 'manual',
        respondBy: null,
      }),
    ]);
    let history: NotificationHistoryView[] = [];
    await waitFor(async () => {
      history = (await svc.rpc.call(NotificationsSubjects.history, {}, agent)).items;
      return history.length === 2;
    });
    expect(history[0].deliveries.find((d) => d.channel === 'email')).toMatchObject({ status: 'blocked', reason: 'SUPPRESSED' });
    const [row] = await db.query<{ status: string; reason: string }>('SELECT status, reason FROM delivery WHERE id = $1', [deliveryId]);
    expect(row).toEqual({ status: 'delivered', reason: 'LOCAL_SINK' });
  });
});
