import { parsePush } from './realtime-fanout.service';

const orgId = '0193a000-0000-7000-8000-000000000001';
const userId = '0193A000-0000-7000-8000-000000000002';

describe('parsePush', () => {
  it('reads a push, with the user id in lower case (the room name)', () => {
    expect(parsePush(JSON.stringify({ orgId, userId, event: 'notification.created', data: { id: 'n1' } }))).toEqual({
      orgId,
      userId: userId.toLowerCase(),
      event: 'notification.created',
      data: { id: 'n1' },
    });
    expect(parsePush(JSON.stringify({ orgId, userId, event: 'unread_count.changed' }))?.data).toBeNull();
  });

  it('refuses what is not a push: bad JSON, ids that are not UUIDs, event names that are not dotted lower-case names', () => {
    expect(parsePush('{')).toBeNull();
    expect(parsePush('null')).toBeNull();
    expect(parsePush(JSON.stringify({ orgId: 'x', userId, event: 'a.b' }))).toBeNull();
    expect(parsePush(JSON.stringify({ orgId, userId: 'x', event: 'a.b' }))).toBeNull();
    for (const event of ['', 'connect', 'disconnect', 'auth_expired', 'Notification.Created', 'a..b', 'a.b.', `a.${'x'.repeat(100)}`, 42]) {
      expect(parsePush(JSON.stringify({ orgId, userId, event }))).toBeNull();
    }
  });
});
