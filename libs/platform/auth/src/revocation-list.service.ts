import type { Revocation } from '@keyhouse/contracts';
import { ACCESS_TOKEN_TTL_SECONDS } from './access-token.constant';

/**
 * In-memory list of access-token revocations, so logout, deactivation and role changes take effect
 * on the next request (ASVS 5.0 7.4.1, 7.4.2, 8.3.2) without a lookup per request. Fed by identity's
 * broadcast and a periodic resync; entries older than the access-token lifetime are dropped, since
 * every token they could match has expired.
 */
export class RevocationList {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, number>();
  private readonly sessionRevokedAt = new Map<string, number>();

  add(revocation: Revocation): void {
    const map = revocation.kind === 'session' ? this.sessions : this.users;
    map.set(revocation.id, Math.max(map.get(revocation.id) ?? 0, revocation.notBefore));
    if (revocation.kind === 'session') this.sessionRevokedAt.set(revocation.id, revocation.at);
  }

  /** True when a token of `userId`/`sessionId` issued at `issuedAt` (epoch ms) is revoked. */
  isRevoked(userId: string, sessionId: string | undefined, issuedAt: number): boolean {
    const userNotBefore = this.users.get(userId);
    if (userNotBefore !== undefined && issuedAt < userNotBefore) return true;
    const sessionNotBefore = sessionId ? this.sessions.get(sessionId) : undefined;
    return sessionNotBefore !== undefined && issuedAt < sessionNotBefore;
  }

  /** Drops entries that can no longer match an unexpired token. */
  prune(nowMs = Date.now()): void {
    const horizon = nowMs - (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
    for (const [id, notBefore] of this.users) if (notBefore < horizon) this.users.delete(id);
    for (const [id, revokedAt] of this.sessionRevokedAt) {
      if (revokedAt < horizon) {
        this.sessionRevokedAt.delete(id);
        this.sessions.delete(id);
      }
    }
  }

  get size(): number {
    return this.sessions.size + this.users.size;
  }
}
