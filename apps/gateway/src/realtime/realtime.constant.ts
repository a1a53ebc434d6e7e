/**
 * The realtime channel's Socket.IO endpoint (issue 14; docs/adr/0035 "Realtime channel"): the
 * engine.io `path` on the gateway's own HTTP port, default namespace `/`, WebSocket transport only
 * (no long-polling: polling needs sticky sessions across gateway replicas). A client connects with
 * `io(origin, { path: '/v1/realtime', transports: ['websocket'], auth: { token: <access token> } })`.
 */
export const REALTIME_PATH = '/v1/realtime';

/** Largest message a client may send (a `reauth` with a token), bytes. */
export const REALTIME_MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/** `reauth` messages a socket may send per minute; more disconnects it (each costs an ECDSA verification). */
export const REALTIME_REAUTH_PER_MINUTE = 10;

/**
 * How often the gateway re-checks its sockets against the revocation list (logout, password change,
 * deactivation: identity's broadcast), ms: a revoked session's socket is closed within this.
 */
export const REALTIME_REVOCATION_SWEEP_MS = 5_000;

/** Control events of the channel itself (the pushed events are the producers', e.g. `notification.created`). */
export const RealtimeControlEvent = {
  /** Server → client, right before the server closes the socket: `{ reason: 'expired' | 'revoked' }`. */
  authExpired: 'auth_expired',
  /** Client → server with `{ token }` and an ack: replaces the socket's access token; acked `{ ok, expiresAt }` or `{ ok: false, code }`. */
  reauth: 'reauth',
} as const;

/** The Socket.IO room of a user's sockets on one gateway replica. */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}
