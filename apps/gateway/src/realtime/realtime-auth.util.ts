import type { Socket } from 'socket.io';

type Handshake = Socket['handshake'];

/** What a Socket.IO handshake presents: a bearer access token, an API key (refused), or nothing. */
export type HandshakeCredentials = { kind: 'token'; token: string } | { kind: 'api_key' } | { kind: 'none' };

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The credentials of a handshake: `auth.token` (the Socket.IO client's `auth: { token }`), else an
 * `Authorization: Bearer <token>` header; an `X-Api-Key` header or `auth.apiKey` is reported as an
 * API key (the channel is for users only). A token is returned as given, checked by the caller.
 */
export function handshakeCredentials(handshake: Pick<Handshake, 'auth' | 'headers'>): HandshakeCredentials {
  const auth = (handshake.auth ?? {}) as Record<string, unknown>;
  const apiKey = handshake.headers['x-api-key'];
  if ((typeof apiKey === 'string' && apiKey.length > 0) || auth.apiKey !== undefined) return { kind: 'api_key' };
  if (typeof auth.token === 'string' && auth.token.length > 0) return { kind: 'token', token: auth.token.replace(/^Bearer /, '') };
  const authorization = handshake.headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Bearer ')) return { kind: 'token', token: authorization.slice(7) };
  return { kind: 'none' };
}

/** Whether `token` has the shape of a JWT (three base64url parts); anything else is refused before verification. */
export function looksLikeJwt(token: string): boolean {
  return token.length <= 4096 && JWT.test(token);
}

/** The claims of an access token the channel keeps: subject, session, issue time (ms) and expiry (epoch seconds). */
export interface RealtimeTokenClaims {
  sub: string;
  sid: string | undefined;
  issuedAtMs: number;
  exp: number;
}

/**
 * The claims of a token that was verified (signature, `exp`, revocation) by
 * `TokenAuthenticationService` just before: only decoded here, never trusted unverified.
 *
 * @throws Error when the payload is not JSON with a numeric `exp` and `iat` and a string `sub`.
 */
export function verifiedTokenClaims(token: string): RealtimeTokenClaims {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number' || typeof payload.sub !== 'string') {
    throw new Error('access token without exp, iat or sub');
  }
  return {
    sub: payload.sub,
    sid: typeof payload.sid === 'string' ? payload.sid : undefined,
    issuedAtMs: typeof payload.iat_ms === 'number' ? payload.iat_ms : payload.iat * 1000,
    exp: payload.exp,
  };
}
