import { RevocationList } from './revocation-list.service';

const NOW = 1_750_000_000_000;
/** Access tokens live 15 minutes; `prune` keeps one more minute of margin: 15 × 60 s + 60 s. */
const HORIZON_MS = (15 * 60 + 60) * 1000;
const FOREVER = Number.MAX_SAFE_INTEGER;

describe('RevocationList', () => {
  describe('isRevoked', () => {
    it('returns false for everything when the list is empty', () => {
      const list = new RevocationList();
      expect(list.isRevoked('user-1', 'session-1', NOW)).toBe(false);
      expect(list.size).toBe(0);
    });

    it('rejects tokens issued before a user revocation and accepts tokens issued at or after it', () => {
      const list = new RevocationList();
      list.add({ kind: 'user', id: 'user-1', notBefore: NOW, at: NOW });
      expect(list.isRevoked('user-1', 'session-1', NOW - 60_000)).toBe(true);
      expect(list.isRevoked('user-1', 'session-1', NOW - 1)).toBe(true);
      expect(list.isRevoked('user-1', 'session-1', NOW)).toBe(false);
      expect(list.isRevoked('user-1', 'session-1', NOW + 1)).toBe(false);
      expect(list.isRevoked('user-1', undefined, NOW - 1)).toBe(true);
    });

    it('leaves other users untouched when one user is revoked', () => {
      const list = new RevocationList();
      list.add({ kind: 'user', id: 'user-1', notBefore: NOW, at: NOW });
      expect(list.isRevoked('user-2', 'session-1', NOW - 1)).toBe(false);
    });

    it('keeps the latest user cut-off when an older revocation arrives after a newer one', () => {
      const list = new RevocationList();
      list.add({ kind: 'user', id: 'user-1', notBefore: NOW, at: NOW });
      list.add({ kind: 'user', id: 'user-1', notBefore: NOW - 30_000, at: NOW - 30_000 });
      expect(list.isRevoked('user-1', undefined, NOW - 10_000)).toBe(true);
      expect(list.size).toBe(1);
    });

    it('rejects every token of a revoked session whatever its issue time', () => {
      const list = new RevocationList();
      list.add({ kind: 'session', id: 'session-1', notBefore: FOREVER, at: NOW });
      for (const issuedAt of [0, NOW - 900_000, NOW, NOW + 3_600_000]) {
        expect(list.isRevoked('user-1', 'session-1', issuedAt)).toBe(true);
      }
      expect(list.isRevoked('user-1', 'session-2', NOW)).toBe(false);
      expect(list.isRevoked('user-1', undefined, NOW)).toBe(false);
    });

    it('does not treat a session id as a user id when both share a value', () => {
      const list = new RevocationList();
      list.add({ kind: 'session', id: 'same-id', notBefore: FOREVER, at: NOW });
      expect(list.isRevoked('same-id', 'session-9', NOW)).toBe(false);
    });
  });

  describe('prune', () => {
    it('drops user revocations older than the token lifetime plus 60 s and keeps newer ones', () => {
      const list = new RevocationList();
      list.add({ kind: 'user', id: 'old', notBefore: NOW - HORIZON_MS - 1, at: NOW - HORIZON_MS - 1 });
      list.add({ kind: 'user', id: 'recent', notBefore: NOW - HORIZON_MS + 1, at: NOW - HORIZON_MS + 1 });
      list.prune(NOW);
      expect(list.size).toBe(1);
      expect(list.isRevoked('old', undefined, NOW - HORIZON_MS - 2)).toBe(false);
      expect(list.isRevoked('recent', undefined, NOW - HORIZON_MS)).toBe(true);
    });

    it('drops session revocations made before the horizon and keeps newer ones', () => {
      const list = new RevocationList();
      list.add({ kind: 'session', id: 'old', notBefore: FOREVER, at: NOW - HORIZON_MS - 1 });
      list.add({ kind: 'session', id: 'recent', notBefore: FOREVER, at: NOW - HORIZON_MS + 1 });
      list.prune(NOW);
      expect(list.size).toBe(1);
      expect(list.isRevoked('u', 'old', NOW)).toBe(false);
      expect(list.isRevoked('u', 'recent', NOW)).toBe(true);
    });

    it('keeps every entry when all are younger than the horizon', () => {
      const list = new RevocationList();
      list.add({ kind: 'user', id: 'u1', notBefore: NOW - 1_000, at: NOW - 1_000 });
      list.add({ kind: 'session', id: 's1', notBefore: FOREVER, at: NOW - 1_000 });
      list.prune(NOW);
      expect(list.size).toBe(2);
    });
  });
});
