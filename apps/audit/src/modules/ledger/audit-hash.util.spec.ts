import { createHash } from 'node:crypto';
import { canonicalEntry, entryHash, GENESIS_HASH, type HashedAuditEntry } from './audit-hash.util';

const entry: HashedAuditEntry = {
  id: '01900000-0000-7000-8000-000000000001',
  orgId: '01900000-0000-7000-8000-0000000000aa',
  seq: 1,
  eventId: 'e-1',
  action: 'identity.user.role_changed',
  actor: { type: 'user', id: 'u-1', role: 'owner' },
  target: { model: 'user', id: 'u-2' },
  occurredAt: '2026-11-21T03:00:00.000Z',
  recordedAt: '2026-11-21T03:00:00.123Z',
  source: 'keyhouse/identity',
  requestId: null,
  ip: null,
  userAgent: null,
  changes: { role: { from: 'agent', to: 'manager' } },
  details: { userId: 'u-2' },
  prevHash: GENESIS_HASH,
};

describe('audit hash', () => {
  describe('canonicalEntry', () => {
    it('is RFC 8785 JSON: keys sorted by code point, no whitespace, nulls kept', () => {
      expect(canonicalEntry(entry)).toBe(
        '{"action":"identity.user.role_changed","actor":{"id":"u-1","role":"owner","type":"user"},' +
          '"changes":{"role":{"from":"agent","to":"manager"}},"details":{"userId":"u-2"},"eventId":"e-1",' +
          '"id":"01900000-0000-7000-8000-000000000001","ip":null,"occurredAt":"2026-11-21T03:00:00.000Z",' +
          '"orgId":"01900000-0000-7000-8000-0000000000aa","prevHash":"' +
          GENESIS_HASH +
          '",' +
          '"recordedAt":"2026-11-21T03:00:00.123Z","requestId":null,"seq":1,"source":"keyhouse/identity",' +
          '"target":{"id":"u-2","model":"user"},"userAgent":null,"v":1}',
      );
    });

    it('does not depend on the key order of the change set', () => {
      const a = { ...entry, changes: { a: { from: 1, to: 2 }, b: { from: 'x', to: 'y' } } };
      const b = { ...entry, changes: { b: { to: 'y', from: 'x' }, a: { to: 2, from: 1 } } };
      expect(canonicalEntry(a)).toBe(canonicalEntry(b));
    });
  });

  describe('entryHash', () => {
    it('is the SHA-256 hex of the canonical text', () => {
      expect(entryHash(entry)).toBe(createHash('sha256').update(canonicalEntry(entry)).digest('hex'));
      expect(entryHash(entry)).toMatch(/^[0-9a-f]{64}$/);
    });

    it('changes when any hashed field or the previous hash changes', () => {
      const base = entryHash(entry);
      expect(entryHash({ ...entry, prevHash: 'f'.repeat(64) })).not.toBe(base);
      expect(entryHash({ ...entry, seq: 2 })).not.toBe(base);
      expect(entryHash({ ...entry, changes: { role: { from: 'agent', to: 'admin' } } })).not.toBe(base);
      expect(entryHash({ ...entry, actor: { ...entry.actor, id: 'u-9' } })).not.toBe(base);
    });
  });
});
