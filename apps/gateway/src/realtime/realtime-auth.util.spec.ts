import { handshakeCredentials, looksLikeJwt, verifiedTokenClaims } from './realtime-auth.util';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64(claims)}.c2ln`;

describe('handshakeCredentials', () => {
  it('takes the token from auth, else from a Bearer Authorization header', () => {
    expect(handshakeCredentials({ auth: { token: 'a.b.c' }, headers: {} })).toEqual({ kind: 'token', token: 'a.b.c' });
    expect(handshakeCredentials({ auth: { token: 'Bearer a.b.c' }, headers: {} })).toEqual({ kind: 'token', token: 'a.b.c' });
    expect(handshakeCredentials({ auth: {}, headers: { authorization: 'Bearer x.y.z' } })).toEqual({ kind: 'token', token: 'x.y.z' });
  });

  it('reports an API key in the X-Api-Key header or auth.apiKey, even beside a token', () => {
    expect(handshakeCredentials({ auth: {}, headers: { 'x-api-key': 'kh_123' } })).toEqual({ kind: 'api_key' });
    expect(handshakeCredentials({ auth: { apiKey: 'kh_123', token: 'a.b.c' }, headers: {} })).toEqual({ kind: 'api_key' });
  });

  it('reports nothing for an empty handshake, a non-string token or another scheme', () => {
    expect(handshakeCredentials({ auth: {}, headers: {} })).toEqual({ kind: 'none' });
    expect(handshakeCredentials({ auth: { token: 42 }, headers: {} })).toEqual({ kind: 'none' });
    expect(handshakeCredentials({ auth: {}, headers: { authorization: 'Basic abc' } })).toEqual({ kind: 'none' });
  });
});

describe('looksLikeJwt', () => {
  it('accepts three base64url parts and refuses anything else', () => {
    expect(looksLikeJwt('ab.cd.ef')).toBe(true);
    expect(looksLikeJwt('kh_live_123')).toBe(false);
    expect(looksLikeJwt('a.b')).toBe(false);
    expect(looksLikeJwt(`${'a'.repeat(4100)}.b.c`)).toBe(false);
  });
});

describe('verifiedTokenClaims', () => {
  it('reads sub, sid, exp and the issue time in ms (iat_ms, else iat × 1000)', () => {
    expect(verifiedTokenClaims(jwt({ sub: 'u1', sid: 's1', iat: 1_700_000_000, iat_ms: 1_700_000_000_123, exp: 1_700_000_900 }))).toEqual({
      sub: 'u1',
      sid: 's1',
      issuedAtMs: 1_700_000_000_123,
      exp: 1_700_000_900,
    });
    expect(verifiedTokenClaims(jwt({ sub: 'u1', iat: 1_700_000_000, exp: 1_700_000_900 }))).toEqual({
      sub: 'u1',
      sid: undefined,
      issuedAtMs: 1_700_000_000_000,
      exp: 1_700_000_900,
    });
  });

  it('throws without exp', () => {
    expect(() => verifiedTokenClaims(jwt({ sub: 'u1', iat: 1 }))).toThrow();
  });
});
