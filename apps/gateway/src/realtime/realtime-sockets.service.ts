import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { Counter, Gauge } from 'prom-client';
import type { Server, Socket } from 'socket.io';
import type { Actor, RealtimePushMessage } from '@keyhouse/contracts';
import { InvalidAccessTokenError } from '@keyhouse/platform/auth';
import { PlatformErrorCode } from '@keyhouse/platform/messaging';
import { TokenAuthenticationService } from '../auth/token-authentication.service';
import { handshakeCredentials, looksLikeJwt, verifiedTokenClaims, type RealtimeTokenClaims } from './realtime-auth.util';
import {
  REALTIME_MAX_CLIENT_MESSAGE_BYTES,
  REALTIME_PATH,
  REALTIME_REAUTH_PER_MINUTE,
  REALTIME_REVOCATION_SWEEP_MS,
  RealtimeControlEvent,
  userRoom,
} from './realtime.constant';

/** Longest delay `setTimeout` takes (ms); a later expiry is re-armed when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

const connectedSockets = new Gauge({ name: 'gateway_realtime_sockets', help: 'Open realtime (Socket.IO) connections on this gateway' });
const pushedEvents = new Counter({
  name: 'gateway_realtime_pushes_total',
  help: 'Realtime events emitted to sockets, by outcome (delivered: to at least one local socket; no_socket: the user has none here)',
  labelNames: ['outcome'],
});
const refusedConnections = new Counter({
  name: 'gateway_realtime_refused_total',
  help: 'Realtime handshakes refused, by code',
  labelNames: ['code'],
});

/** What the channel keeps per socket (`socket.data`). */
interface RealtimeSocketState {
  actor: Actor & { userId: string };
  token: string;
  claims: RealtimeTokenClaims;
  expiryTimer: NodeJS.Timeout | null;
  reauths: { windowStart: number; count: number };
}

/** A refused handshake as the Socket.IO client sees it (`connect_error`: `message`, `data.code`). */
class HandshakeRefusal extends Error {
  readonly data: { code: string };
  constructor(code: string, message: string) {
    super(message);
    this.data = { code };
  }
}

/**
 * The realtime channel's Socket.IO endpoint on the gateway's HTTP server (issue 14; docs/adr/0035
 * "Realtime channel"): path `/v1/realtime`, WebSocket transport only.
 *
 * - **Handshake:** the access token in `auth: { token }` (or `Authorization: Bearer`), verified by
 *   `TokenAuthenticationService` like an HTTP request (signature, `exp`, revocation). No or a bad
 *   token → `connect_error` `UNAUTHENTICATED`; an API key → `USER_SESSION_REQUIRED`. Any signed-in
 *   user may connect (clients too); the socket joins room `user:<userId>`.
 * - **Expiry:** at the token's `exp` (epoch seconds) the server emits `auth_expired`
 *   `{ reason: 'expired' }` and closes the socket, unless the client sent `reauth` `{ token }` with a
 *   fresh token of the same user and organization first (acked `{ ok: true, expiresAt }`, ISO 8601;
 *   refused `{ ok: false, code }` and the old expiry stands). A revoked session (logout, password
 *   change, deactivation) is closed the same way with `reason: 'revoked'` within
 *   `REALTIME_REVOCATION_SWEEP_MS`, or at the next push to it.
 * - **Push:** `deliver` emits a `RealtimePushMessage` to this replica's sockets of the user whose
 *   organization matches (fed by `RealtimeFanoutService` from core NATS, so every replica delivers
 *   to its own sockets). Clients send nothing else; other client events are ignored.
 */
@WebSocketGateway({
  path: REALTIME_PATH,
  transports: ['websocket'],
  serveClient: false,
  maxHttpBufferSize: REALTIME_MAX_CLIENT_MESSAGE_BYTES,
  cors: false,
})
export class RealtimeSocketsService implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect, OnApplicationShutdown {
  private readonly logger = new Logger(RealtimeSocketsService.name);
  @WebSocketServer() server!: Server;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(private readonly authentication: TokenAuthenticationService) {}

  /** Installs the handshake check and the revocation sweep. */
  afterInit(server: Server): void {
    server.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => {
          const refusal =
            error instanceof HandshakeRefusal
              ? error
              : new HandshakeRefusal(PlatformErrorCode.ServiceUnavailable, 'The credentials could not be checked now; retry');
          refusedConnections.inc({ code: refusal.data.code });
          next(refusal);
        },
      );
    });
    this.sweepTimer = setInterval(() => this.sweepRevoked(), REALTIME_REVOCATION_SWEEP_MS);
    this.sweepTimer.unref();
  }

  /** Joins the user's room, arms the expiry and listens for `reauth`. */
  handleConnection(socket: Socket): void {
    const state = socket.data as RealtimeSocketState;
    if (!state?.actor) {
      socket.disconnect(true);
      return;
    }
    connectedSockets.inc();
    void socket.join(userRoom(state.actor.userId));
    this.armExpiry(socket);
    socket.on(RealtimeControlEvent.reauth, (payload: unknown, ack?: unknown) => {
      void this.reauth(socket, payload).then((answer) => {
        if (typeof ack === 'function') (ack as (answer: unknown) => void)(answer);
      });
    });
  }

  handleDisconnect(socket: Socket): void {
    const state = socket.data as RealtimeSocketState;
    if (!state?.actor) return;
    connectedSockets.dec();
    if (state.expiryTimer) clearTimeout(state.expiryTimer);
    state.expiryTimer = null;
  }

  onApplicationShutdown(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  /**
   * Emits `message.event` with `message.data` to this replica's sockets of `message.userId` in
   * `message.orgId` (a revoked session's socket is closed instead). Returns how many got it.
   */
  deliver(message: RealtimePushMessage): number {
    const room = this.server?.sockets.adapter.rooms.get(userRoom(message.userId));
    let delivered = 0;
    for (const id of room ?? []) {
      const socket = this.server.sockets.sockets.get(id);
      const state = socket?.data as RealtimeSocketState | undefined;
      if (!socket || !state?.actor || state.actor.orgId !== message.orgId) continue;
      if (this.isRevoked(state)) {
        this.close(socket, 'revoked');
        continue;
      }
      socket.emit(message.event, message.data);
      delivered += 1;
    }
    pushedEvents.inc({ outcome: delivered > 0 ? 'delivered' : 'no_socket' });
    return delivered;
  }

  /** Open sockets on this replica (for the bench and health). */
  get socketCount(): number {
    return this.server?.sockets.sockets.size ?? 0;
  }

  /** Verifies the handshake's credentials and keeps the actor, token and claims on `socket.data`. */
  private async authenticate(socket: Socket): Promise<void> {
    const credentials = handshakeCredentials(socket.handshake);
    if (credentials.kind === 'api_key') {
      throw new HandshakeRefusal(
        PlatformErrorCode.UserSessionRequired,
        'The realtime channel is for signed-in users; API keys are refused',
      );
    }
    if (credentials.kind === 'none') {
      throw new HandshakeRefusal(PlatformErrorCode.Unauthenticated, 'An access token is required (auth: { token })');
    }
    const { actor, claims } = await this.verify(credentials.token, socket);
    const state: RealtimeSocketState = {
      actor,
      token: credentials.token,
      claims,
      expiryTimer: null,
      reauths: { windowStart: Date.now(), count: 0 },
    };
    socket.data = state;
  }

  /** A user's verified actor and claims; `HandshakeRefusal` `UNAUTHENTICATED` otherwise (other errors: the keys could not be fetched). */
  private async verify(token: string, socket: Socket): Promise<{ actor: Actor & { userId: string }; claims: RealtimeTokenClaims }> {
    if (!looksLikeJwt(token)) throw new HandshakeRefusal(PlatformErrorCode.Unauthenticated, 'The access token is invalid or expired');
    let actor: Actor;
    try {
      actor = await this.authentication.authenticateBearer(token, clientOf(socket));
    } catch (error) {
      if (error instanceof InvalidAccessTokenError) {
        throw new HandshakeRefusal(PlatformErrorCode.Unauthenticated, 'The access token is invalid or expired');
      }
      throw error;
    }
    if (actor.type !== 'user' || !actor.userId) {
      throw new HandshakeRefusal(PlatformErrorCode.UserSessionRequired, 'The realtime channel is for signed-in users');
    }
    return { actor: actor as Actor & { userId: string }, claims: verifiedTokenClaims(token) };
  }

  /** `reauth { token }`: a fresh token of the same user and organization replaces the socket's, and its expiry. */
  private async reauth(socket: Socket, payload: unknown): Promise<{ ok: true; expiresAt: string } | { ok: false; code: string }> {
    const state = socket.data as RealtimeSocketState;
    const now = Date.now();
    if (now - state.reauths.windowStart >= 60_000) state.reauths = { windowStart: now, count: 0 };
    state.reauths.count += 1;
    if (state.reauths.count > REALTIME_REAUTH_PER_MINUTE) {
      setImmediate(() => socket.disconnect(true));
      return { ok: false, code: PlatformErrorCode.RateLimited };
    }
    const token = (payload as { token?: unknown } | null)?.token;
    if (typeof token !== 'string' || token.length === 0) return { ok: false, code: PlatformErrorCode.ValidationFailed };
    try {
      const { actor, claims } = await this.verify(token.replace(/^Bearer /, ''), socket);
      if (actor.userId !== state.actor.userId || actor.orgId !== state.actor.orgId) {
        return { ok: false, code: PlatformErrorCode.Forbidden };
      }
      if (!socket.connected) return { ok: false, code: PlatformErrorCode.Unauthenticated };
      state.actor = actor;
      state.token = token;
      state.claims = claims;
      this.armExpiry(socket);
      return { ok: true, expiresAt: new Date(claims.exp * 1000).toISOString() };
    } catch (error) {
      if (error instanceof HandshakeRefusal) return { ok: false, code: error.data.code };
      this.logger.warn(`Realtime reauth could not be checked: ${(error as Error).message}`);
      return { ok: false, code: PlatformErrorCode.ServiceUnavailable };
    }
  }

  /** (Re)arms the socket's expiry timer at its token's `exp`. */
  private armExpiry(socket: Socket): void {
    const state = socket.data as RealtimeSocketState;
    if (state.expiryTimer) clearTimeout(state.expiryTimer);
    const delay = state.claims.exp * 1000 - Date.now();
    state.expiryTimer = setTimeout(
      () => {
        if (state.claims.exp * 1000 <= Date.now()) this.close(socket, 'expired');
        else this.armExpiry(socket);
      },
      Math.min(Math.max(delay, 0), MAX_TIMER_MS),
    );
    state.expiryTimer.unref();
  }

  /** Closes every local socket whose session identity revoked since it connected. */
  private sweepRevoked(): void {
    if (!this.server) return;
    for (const socket of this.server.sockets.sockets.values()) {
      const state = socket.data as RealtimeSocketState | undefined;
      if (state?.actor && this.isRevoked(state)) this.close(socket, 'revoked');
    }
  }

  private isRevoked(state: RealtimeSocketState): boolean {
    return this.authentication.revocations.isRevoked(state.claims.sub, state.claims.sid, state.claims.issuedAtMs);
  }

  /** Tells the client why, then closes the connection (the event is flushed before the close). */
  private close(socket: Socket, reason: 'expired' | 'revoked'): void {
    socket.emit(RealtimeControlEvent.authExpired, { reason });
    socket.disconnect(true);
  }
}

function clientOf(socket: Socket): { ip: string; userAgent: string | undefined } {
  const agent = socket.handshake.headers['user-agent'];
  return { ip: socket.handshake.address, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : undefined };
}
