import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { encodePermissions } from '@keyhouse/contracts';
import { AccessTokenVerifier, InvalidAccessTokenError } from './access-token-verifier.service';
import { RevocationList } from './revocation-list.service';

// Values the identity service puts in every access token (RFC 9068 profile, see access-token.constant.ts).
const ISSUER = 'keyhouse-identity';
const AUDIENCE = 'keyhouse-api';
const KID = 'access-2024-05';
const USER_ID = '0190a6f2-8c1e-7c3a-9a51-000000000001';
const ORG_ID = '0190a6f2-8c1e-7c3a-9a51-0000000000aa';
const TEAM_ID = '0190a6f2-8c1e-7c3a-9a51-0000000000bb';
const SESSION_ID = '0190a6f2-8c1e-7c3a-9a51-0000000000cc';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let identityKeys: KeyPair;
let attackerKeys: KeyPair;
let identityJwk: JWK;
let attackerJwk: JWK;

beforeAll(async () => {
  identityKeys = await generateKeyPair('ES256', { extractable: true });
  attackerKeys = await generateKeyPair('ES256', { extractable: true });
  identityJwk = { ...(await exportJWK(identityKeys.publicKey)), kid: KID, alg: 'ES256', use: 'sig' };
  attackerJwk = { ...(await exportJWK(attackerKeys.publicKey)), alg: 'ES256', use: 'sig' };
});

afterEach(() => jest.restoreAllMocks());

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Claims of a valid token issued now; `overrides` set or (with `undefined`) remove claims. */
function claimsOf(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const nowMs = Date.now();
  const now = Math.floor(nowMs / 1000);
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: USER_ID,
    org: ORG_ID,
    role: 'manager',
    teams: [TEAM_ID],
    perms: ['contacts:read:team', 'users:read:org'],
    sid: SESSION_ID,
    iat: now,
    iat_ms: nowMs,
    exp: now + 15 * 60,
    jti: 'jti-0001',
    ...overrides,
  };
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
  return claims;
}

/** Signs an access token like identity does (ES256, typ at+jwt, kid), with optional changes. */
async function signToken(
  options: { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: KeyPair['privateKey'] } = {},
): Promise<string> {
  const header = { alg: 'ES256', typ: 'at+jwt', kid: KID, ...options.header };
  for (const key of Object.keys(header))
    if ((header as Record<string, unknown>)[key] === undefined) delete (header as Record<string, unknown>)[key];
  return new SignJWT(claimsOf(options.claims)).setProtectedHeader(header as { alg: string }).sign(options.key ?? identityKeys.privateKey);
}

function verifierWith(jwks: () => JSONWebKeySet = () => ({ keys: [identityJwk] }), revocations = new RevocationList()) {
  const fetchJwks = jest.fn(async () => jwks());
  return { verifier: new AccessTokenVerifier(fetchJwks, revocations, 10_000), fetchJwks, revocations };
}

async function expectRejected(verifier: AccessTokenVerifier, token: string): Promise<InvalidAccessTokenError> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(InvalidAccessTokenError);
  return error as InvalidAccessTokenError;
}

/** Deterministic PRNG (mulberry32) so the tamper positions reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('AccessTokenVerifier', () => {
  describe('verify', () => {
    it('returns the actor of the token when it is valid', async () => {
      const { verifier } = verifierWith();
      const actor = await verifier.verify(await signToken(), { ip: '203.0.113.7', userAgent: 'jest' });
      expect(actor).toEqual({
        type: 'user',
        userId: USER_ID,
        orgId: ORG_ID,
        role: 'manager',
        teamIds: [TEAM_ID],
        permissions: ['contacts:read:team', 'users:read:org'],
        sessionId: SESSION_ID,
        ip: '203.0.113.7',
        userAgent: 'jest',
      });
    });

    it('reads permissions sent as their code (as identity signs them) or as a list', async () => {
      const { verifier } = verifierWith();
      const code = encodePermissions(['users:read:org', 'contacts:read:team', 'contacts:read:own'])!;
      const fromCode = await verifier.verify(await signToken({ claims: { perms: code } }));
      expect([...fromCode.permissions].sort()).toEqual(['contacts:read:own', 'contacts:read:team', 'users:read:org']);
      const fromList = await verifier.verify(await signToken({ claims: { perms: ['leads:write:org'] } }));
      expect(fromList.permissions).toEqual(['leads:write:org']);
    });

    it('returns no teams when the token has no teams claim', async () => {
      const { verifier } = verifierWith();
      const actor = await verifier.verify(await signToken({ claims: { teams: undefined } }));
      expect(actor.teamIds).toEqual([]);
    });

    it('fetches the key set once when verifying several tokens', async () => {
      const { verifier, fetchJwks } = verifierWith();
      const token = await signToken();
      await verifier.verify(token);
      await verifier.verify(token);
      await verifier.verify(await signToken({ claims: { jti: 'jti-0002' } }));
      expect(fetchJwks).toHaveBeenCalledTimes(1);
    });

    it('fetches the key set once when 20 verifications start together on a cold cache', async () => {
      const { verifier, fetchJwks } = verifierWith();
      const token = await signToken();
      const actors = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
      expect(actors.every((actor) => actor.userId === USER_ID)).toBe(true);
      expect(fetchJwks).toHaveBeenCalledTimes(1);
    });

    describe('SEC-JWT-01: unsigned tokens', () => {
      it.each(['none', 'None', 'NONE'])('rejects the token when alg is %s and the signature is empty', async (alg) => {
        const { verifier } = verifierWith();
        const token = `${b64url({ alg, typ: 'at+jwt', kid: KID })}.${b64url(claimsOf())}.`;
        await expectRejected(verifier, token);
      });

      it('rejects the token when alg is none but a valid signature of other content is attached', async () => {
        const { verifier } = verifierWith();
        const signature = (await signToken()).split('.')[2];
        const token = `${b64url({ alg: 'none', typ: 'at+jwt', kid: KID })}.${b64url(claimsOf())}.${signature}`;
        await expectRejected(verifier, token);
      });
    });

    describe('SEC-JWT-02: key confusion', () => {
      it('rejects HS256 tokens whose HMAC secret is the public key in any usual encoding', async () => {
        const { verifier } = verifierWith();
        const pem = await exportSPKI(identityKeys.publicKey);
        const secrets: Array<[string, Uint8Array]> = [
          ['SPKI PEM', new TextEncoder().encode(pem)],
          ['SPKI DER', Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')],
          ['JWK JSON', new TextEncoder().encode(JSON.stringify(identityJwk))],
          [
            'raw point',
            Buffer.concat([Buffer.from([4]), Buffer.from(identityJwk.x!, 'base64url'), Buffer.from(identityJwk.y!, 'base64url')]),
          ],
        ];
        for (const [, secret] of secrets) {
          const token = await new SignJWT(claimsOf()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: KID }).sign(secret);
          await expectRejected(verifier, token);
        }
      });
    });

    describe('SEC-JWT-03: validity period', () => {
      it('rejects the token when it expired 10 s ago (beyond the 5 s leeway)', async () => {
        const { verifier } = verifierWith();
        const now = Math.floor(Date.now() / 1000);
        const token = await signToken({ claims: { iat: now - 910, iat_ms: (now - 910) * 1000, exp: now - 10 } });
        await expectRejected(verifier, token);
      });

      it('rejects the token when nbf is a minute in the future', async () => {
        const { verifier } = verifierWith();
        const token = await signToken({ claims: { nbf: Math.floor(Date.now() / 1000) + 60 } });
        await expectRejected(verifier, token);
      });

      it.each(['exp', 'iat', 'sub'])('rejects the token when the %s claim is missing', async (claim) => {
        const { verifier } = verifierWith();
        await expectRejected(verifier, await signToken({ claims: { [claim]: undefined } }));
      });
    });

    describe('SEC-JWT-04: issuer, audience and key source', () => {
      it.each([
        ['another issuer', { iss: 'keyhouse-identity-staging' }],
        ['an attacker URL as issuer', { iss: 'https://attacker.example' }],
        ['no issuer', { iss: undefined }],
        ['another audience', { aud: 'keyhouse-admin' }],
        ['an audience list without ours', { aud: ['keyhouse-admin', 'other'] }],
        ['no audience', { aud: undefined }],
      ])('rejects the token when it has %s', async (_label, claims) => {
        const { verifier } = verifierWith();
        await expectRejected(verifier, await signToken({ claims }));
      });

      it('rejects a token signed by another key when its kid is unknown', async () => {
        const { verifier } = verifierWith();
        await verifier.verify(await signToken());
        await expectRejected(verifier, await signToken({ key: attackerKeys.privateKey, header: { kid: 'attacker-key' } }));
      });

      it('rejects a token signed by another key when it reuses the known kid', async () => {
        const { verifier } = verifierWith();
        await expectRejected(verifier, await signToken({ key: attackerKeys.privateKey }));
      });

      it('rejects a token signed by another key when it has no kid', async () => {
        const { verifier } = verifierWith();
        await expectRejected(verifier, await signToken({ key: attackerKeys.privateKey, header: { kid: undefined } }));
      });

      it('ignores a jwk header that carries the attacker key', async () => {
        const { verifier } = verifierWith();
        await expectRejected(verifier, await signToken({ key: attackerKeys.privateKey, header: { jwk: attackerJwk } }));
        await expectRejected(
          verifier,
          await signToken({ key: attackerKeys.privateKey, header: { kid: 'attacker-key', jwk: { ...attackerJwk, kid: 'attacker-key' } } }),
        );
      });

      it('ignores jku and x5u headers and fetches nothing from them', async () => {
        const fetchSpy = jest.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('no network in unit tests'));
        const { verifier, fetchJwks } = verifierWith();
        for (const header of [
          { jku: 'https://attacker.example/jwks.json' },
          { x5u: 'https://attacker.example/cert.pem' },
          { jku: 'https://attacker.example/jwks.json', kid: 'attacker-key' },
        ]) {
          await expectRejected(verifier, await signToken({ key: attackerKeys.privateKey, header }));
        }
        expect(fetchSpy).not.toHaveBeenCalled();
        expect(fetchJwks).toHaveBeenCalledTimes(1);
      });
    });

    describe('SEC-JWT-05: token type', () => {
      it.each([
        ['JWT', 'JWT'],
        ['a refresh-token type', 'rt+jwt'],
        ['an ID-token style type', 'id+jwt'],
        ['no type', undefined],
      ])('rejects the token when typ is %s', async (_label, typ) => {
        const { verifier } = verifierWith();
        await expectRejected(verifier, await signToken({ header: { typ } }));
      });
    });

    describe('SEC-JWT-06: tampering', () => {
      it('rejects all 200 tokens when one character of the payload or signature is changed', async () => {
        const { verifier } = verifierWith();
        const token = await signToken();
        await verifier.verify(token);
        const [header, payload, signature] = token.split('.');
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const random = prng(9068);
        const tampered: string[] = [];
        for (let i = 0; i < 200; i++) {
          const inSignature = random() < 0.5;
          const segment = inSignature ? signature : payload;
          // The last character of a segment may carry only padding bits, which decode to the same
          // bytes; every other character changes the decoded bytes.
          const position = Math.floor(random() * (segment.length - 1));
          let replacement = segment[position];
          while (replacement === segment[position]) replacement = alphabet[Math.floor(random() * alphabet.length)];
          const changed = segment.slice(0, position) + replacement + segment.slice(position + 1);
          tampered.push(inSignature ? `${header}.${payload}.${changed}` : `${header}.${changed}.${signature}`);
        }
        const outcomes = await Promise.allSettled(tampered.map((t) => verifier.verify(t)));
        const rejectedAsInvalid = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof InvalidAccessTokenError);
        expect(rejectedAsInvalid).toHaveLength(200);
      });
    });

    describe('required custom claims', () => {
      it.each([
        ['no org', { org: undefined }],
        ['a numeric role', { role: 3 }],
        ['permissions that are neither a list nor a code', { perms: 'users:read:org' }],
        ['permissions that are a list of numbers', { perms: [1, 2] }],
        ['no permissions', { perms: undefined }],
      ])('rejects the token when it has %s', async (_label, claims) => {
        const { verifier } = verifierWith();
        await expectRejected(verifier, await signToken({ claims }));
      });
    });

    describe('revocation', () => {
      it('rejects tokens issued before a user revocation and accepts those issued at or after it', async () => {
        const { verifier, revocations } = verifierWith();
        const notBefore = Date.now();
        revocations.add({ kind: 'user', id: USER_ID, notBefore, at: notBefore });
        const error = await expectRejected(verifier, await signToken({ claims: { iat_ms: notBefore - 1 } }));
        expect(error.message).toMatch(/revoked/);
        await expect(verifier.verify(await signToken({ claims: { iat_ms: notBefore } }))).resolves.toMatchObject({ userId: USER_ID });
        await expect(verifier.verify(await signToken({ claims: { iat_ms: notBefore + 1 } }))).resolves.toMatchObject({ userId: USER_ID });
      });

      it('falls back to iat in seconds when the token has no iat_ms', async () => {
        const { verifier, revocations } = verifierWith();
        const now = Math.floor(Date.now() / 1000);
        revocations.add({ kind: 'user', id: USER_ID, notBefore: now * 1000, at: now * 1000 });
        await expectRejected(verifier, await signToken({ claims: { iat_ms: undefined, iat: now - 1 } }));
        await expect(verifier.verify(await signToken({ claims: { iat_ms: undefined, iat: now } }))).resolves.toMatchObject({
          userId: USER_ID,
        });
      });

      it('rejects every token of a revoked session and keeps other sessions working', async () => {
        const { verifier, revocations } = verifierWith();
        revocations.add({ kind: 'session', id: SESSION_ID, notBefore: Number.MAX_SAFE_INTEGER, at: Date.now() });
        await expectRejected(verifier, await signToken());
        await expectRejected(verifier, await signToken({ claims: { iat_ms: Date.now() + 60_000 } }));
        await expect(verifier.verify(await signToken({ claims: { sid: 'other-session' } }))).resolves.toMatchObject({
          sessionId: 'other-session',
        });
      });
    });
  });

  describe('refresh on unknown kid', () => {
    it('re-fetches the key set for an unknown kid once the minimum interval has passed, at most once per interval', async () => {
      const rotatedJwk = { ...attackerJwk, kid: 'access-2024-06' };
      let served: JSONWebKeySet = { keys: [identityJwk] };
      const { verifier, fetchJwks } = verifierWith(() => served);
      const valid = await signToken();
      const unknown = [1, 2, 3, 4].map((n) => signToken({ key: attackerKeys.privateKey, header: { kid: `unknown-${n}` } }));
      const [u1, u2, u3, u4] = await Promise.all(unknown);
      const rotated = await signToken({ key: attackerKeys.privateKey, header: { kid: 'access-2024-06' } });

      let clock = Date.now();
      jest.spyOn(Date, 'now').mockImplementation(() => clock);

      await verifier.verify(valid);
      expect(fetchJwks).toHaveBeenCalledTimes(1);

      clock += 1_000;
      await expectRejected(verifier, u1);
      expect(fetchJwks).toHaveBeenCalledTimes(1);

      clock += 10_000;
      await expectRejected(verifier, u2);
      expect(fetchJwks).toHaveBeenCalledTimes(2);

      clock += 1_000;
      await expectRejected(verifier, u3);
      clock += 3_000;
      await expectRejected(verifier, u4);
      await expectRejected(verifier, u1);
      expect(fetchJwks).toHaveBeenCalledTimes(2);

      // Identity rotated its signing key: the next unknown kid after the interval picks it up.
      served = { keys: [identityJwk, rotatedJwk] };
      clock += 10_000;
      await expect(verifier.verify(rotated)).resolves.toMatchObject({ userId: USER_ID });
      expect(fetchJwks).toHaveBeenCalledTimes(3);
      await expect(verifier.verify(valid)).resolves.toMatchObject({ userId: USER_ID });
      expect(fetchJwks).toHaveBeenCalledTimes(3);
    });

    it('does not re-fetch for a known kid however much time has passed', async () => {
      const { verifier, fetchJwks } = verifierWith();
      const valid = await signToken();
      let clock = Date.now();
      jest.spyOn(Date, 'now').mockImplementation(() => clock);
      await verifier.verify(valid);
      clock += 3_600_000;
      await verifier.verify(valid);
      expect(fetchJwks).toHaveBeenCalledTimes(1);
    });
  });
});

describe('AccessTokenVerifier when the key source fails', () => {
  it('answers InvalidAccessTokenError and asks the source at most once per refresh interval', async () => {
    const fetchJwks = jest.fn<Promise<JSONWebKeySet>, []>().mockRejectedValue(new Error('identity down'));
    const verifier = new AccessTokenVerifier(fetchJwks, new RevocationList(), 60_000);
    const token = await signToken({ header: { kid: 'zz' } });
    for (let i = 0; i < 3; i += 1) {
      await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidAccessTokenError);
    }
    expect(fetchJwks).toHaveBeenCalledTimes(1);
  });
});

describe('AccessTokenVerifier cache of verified tokens', () => {
  it('still refuses a token it verified before once the session is revoked, or once it expired', async () => {
    const revocations = new RevocationList();
    const verifier = new AccessTokenVerifier(async () => ({ keys: [identityJwk] }), revocations);
    const token = await signToken();
    await expect(verifier.verify(token)).resolves.toMatchObject({ userId: USER_ID });
    await expect(verifier.verify(token)).resolves.toMatchObject({ userId: USER_ID });
    revocations.add({ kind: 'session', id: SESSION_ID, notBefore: Number.MAX_SAFE_INTEGER, at: Date.now() });
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidAccessTokenError);

    const shortLived = await signToken({ claims: { sid: 'other-session', exp: Math.floor(Date.now() / 1000) + 1 } });
    await expect(verifier.verify(shortLived)).resolves.toMatchObject({ sessionId: 'other-session' });
    jest.useFakeTimers({
      now: Date.now() + 10_000,
      doNotFake: [
        'nextTick',
        'setImmediate',
        'queueMicrotask',
        'setTimeout',
        'setInterval',
        'clearTimeout',
        'clearInterval',
        'hrtime',
        'performance',
      ],
    });
    try {
      await expect(verifier.verify(shortLived)).rejects.toBeInstanceOf(InvalidAccessTokenError);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('AccessTokenVerifier.verifyCached', () => {
  it('answers null for a token never verified, then the actor synchronously; refuses it once revoked', async () => {
    const revocations = new RevocationList();
    const verifier = new AccessTokenVerifier(async () => ({ keys: [identityJwk] }), revocations);
    const token = await signToken();
    expect(verifier.verifyCached(token, { ip: '10.0.0.1' })).toBeNull();
    await verifier.verify(token, { ip: '10.0.0.1' });
    expect(verifier.verifyCached(token, { ip: '10.0.0.1' })).toMatchObject({ userId: USER_ID, sessionId: SESSION_ID, ip: '10.0.0.1' });
    revocations.add({ kind: 'user', id: USER_ID, notBefore: Number.MAX_SAFE_INTEGER, at: Date.now() });
    expect(() => verifier.verifyCached(token, { ip: '10.0.0.1' })).toThrow(InvalidAccessTokenError);
  });

  it('reuses one frozen actor per token and client, and builds another for another address or agent', async () => {
    const verifier = new AccessTokenVerifier(async () => ({ keys: [identityJwk] }), new RevocationList());
    const token = await signToken();
    const first = await verifier.verify(token, { ip: '10.0.0.1', userAgent: 'a' });
    expect(Object.isFrozen(first)).toBe(true);
    expect(verifier.verifyCached(token, { ip: '10.0.0.1', userAgent: 'a' })).toBe(first);
    const elsewhere = verifier.verifyCached(token, { ip: '10.0.0.2', userAgent: 'a' });
    expect(elsewhere).toMatchObject({ ip: '10.0.0.2', userAgent: 'a', userId: USER_ID });
    expect(elsewhere).not.toBe(first);
    expect(verifier.verifyCached(token, { ip: '10.0.0.2', userAgent: 'b' })).toMatchObject({ ip: '10.0.0.2', userAgent: 'b' });
  });
});
