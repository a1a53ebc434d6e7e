import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NotificationsEvent } from '@keyhouse/contracts';
import { actorFor, startService, testEvent, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startAudit } from '../../src/main';
import { waitForEntries } from '../support/audit-entries.util';

/**
 * `notifications.events` in the audit trail (issue 14): every notifications state change becomes
 * one entry (a redelivery none), with the personal data the trail must never keep masked — the
 * phone numbers of SMS opt-outs (the events' subject) and inbound SMS, the addresses of
 * suppressions — and no inbound SMS text.
 */
describe('audit: notifications.events', () => {
  const archiveDir = mkdtempSync(path.join(tmpdir(), 'kh-audit-notifications-'));
  let audit: TestService;

  beforeAll(async () => {
    audit = await startService(startAudit, { AUDIT_ARCHIVE_DIR: archiveDir });
  });

  afterAll(async () => {
    await audit?.stop();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  it('records each notifications event once, masking phones, addresses and dropping the SMS text', async () => {
    const owner = actorFor({ orgId: newId(), role: 'owner', permissions: ['audit:read:org'] });
    const orgId = owner.orgId;
    const deliveryId = newId();
    const statusChanged = testEvent(
      NotificationsEvent.deliveryStatusChanged,
      orgId,
      {
        deliveryId,
        notificationId: newId(),
        channel: 'sms',
        from: 'unknown',
        to: 'sent',
        reason: null,
        providerMessageId: 'SM0123456789abcdef0123456789abcdef',
      },
      { subject: deliveryId },
    );
    const optedOut = testEvent(
      NotificationsEvent.smsOptedOut,
      orgId,
      { phone: '+15558675310', sender: '+15005550006', source: 'keyword', keyword: 'STOP', messageSid: 'SM1', deliveryId: null },
      { subject: '+15558675310' },
    );
    const received = testEvent(NotificationsEvent.smsReceived, orgId, {
      inboundId: newId(),
      messageSid: 'SM2',
      from: '+15558675310',
      to: '+15005550006',
      body: 'Call me at 555 867 5310, my code is 4411',
      numMedia: 0,
    });
    const suppressed = testEvent(NotificationsEvent.emailSuppressed, orgId, {
      suppressionId: newId(),
      email: 'jane.buyer@example.com',
      reason: 'bounce',
      sgEventId: 'sg-1',
      deliveryId: null,
    });

    await audit.publish('notifications.events', [statusChanged, optedOut, received, suppressed]);
    await audit.publish('notifications.events', [statusChanged]);
    // after the redelivery, on the same partition (same subject): once it is recorded, the duplicate was consumed
    const marker = testEvent(
      NotificationsEvent.notificationsAllRead,
      orgId,
      { recipientUserId: newId(), count: 2 },
      { subject: deliveryId },
    );
    await audit.publish('notifications.events', [marker]);

    // Different subjects, different partitions: wait for every id, then check nothing was recorded twice.
    const ids = [statusChanged.id, optedOut.id, received.id, suppressed.id, marker.id];
    const entries = await waitForEntries(audit, owner, {}, (items) => ids.every((id) => items.some((item) => item.eventId === id)));
    const byEvent = new Map(entries.map((entry) => [entry.eventId, entry]));
    expect(entries.map((entry) => entry.eventId).sort()).toEqual([...ids].sort());
    expect(byEvent.get(statusChanged.id)).toMatchObject({
      action: 'notifications.delivery.status_changed',
      target: { model: 'delivery', id: deliveryId },
      changes: { status: { from: 'unknown', to: 'sent' } },
      details: { deliveryId, channel: 'sms', providerMessageId: 'SM0123456789abcdef0123456789abcdef' },
    });
    expect(byEvent.get(optedOut.id)).toMatchObject({
      action: 'notifications.sms.opted_out',
      target: { model: 'sms', id: '***10' },
      details: { phone: '***10', sender: '+15005550006', keyword: 'STOP' },
    });
    expect(byEvent.get(received.id)?.details).toEqual({
      inboundId: (received.data as { inboundId: string }).inboundId,
      messageSid: 'SM2',
      fromPhone: '***10',
      sender: '+15005550006',
      numMedia: 0,
      bodyLength: 40,
    });
    expect(byEvent.get(received.id)?.changes).toBeNull();
    expect(byEvent.get(suppressed.id)?.details).toMatchObject({ email: 'j***@example.com', reason: 'bounce' });
    expect(JSON.stringify(entries)).not.toContain('8675310');
    expect(JSON.stringify(entries)).not.toContain('jane.buyer');
  });
});
