import { generate } from 'otplib';
import type { Page } from '@keyhouse/contracts';
import { createUser, mailSecrets, PASSWORD, registerOrganization, uniqueEmail, type Session } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

type Problem = { code: string; status: number };
type Mail = { to: string; template: string; subject: string; text: string; variables: Record<string, string> };

/**
 * Issue 13, items 3, 5, 8 and 12: the local mailbox shows no live secret, second-factor guesses are
 * limited per account, password guessing throttles the guesser rather than the account (with an
 * emailed way in for its owner), and registration does not tell whether an address has an account.
 * The gateway trusts 127.0.0.1 as its proxy, so `X-Forwarded-For` sets the client IP.
 */
describe('Account security through the gateway', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack({ TRUSTED_PROXIES: '127.0.0.1' });
  });

  afterAll(async () => {
    await stack.stop();
  });

  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

  async function mailbox(session: Session, to: string): Promise<Mail[]> {
    const response = await stack.http.get<Page<Mail>>(`/v1/local-mailbox?to=${encodeURIComponent(to)}`, { token: session.accessToken });
    expect(response.status).toBe(200);
    return response.body.items;
  }

  describe('GET /v1/local-mailbox (item 3)', () => {
    it('shows an admin no usable token: a reset requested for the owner cannot be completed from what the mailbox shows', async () => {
      const owner = await registerOrganization(stack.http);
      const admin = await createUser(stack.http, owner, 'admin');
      expect((await stack.http.post('/v1/auth/password-reset/request', { email: owner.email })).status).toBe(202);

      const reset = (await mailbox(admin, owner.email)).find((mail) => mail.template === 'password_reset');
      expect(reset).toBeDefined();
      const attempt = await stack.http.post<Problem>('/v1/auth/password-reset/confirm', {
        token: reset!.variables.token ?? 'no token shown',
        newPassword: 'the admin now owns this',
      });
      expect(attempt.status).toBe(400);
      expect(attempt.body.code).toBe('INVALID_TOKEN');
      expect((await stack.http.post('/v1/auth/login', { email: owner.email, password: PASSWORD })).status).toBe(200);
      const liveToken = (await mailSecrets(stack.env, owner.email, 'password_reset')).token;
      expect(JSON.stringify(reset)).not.toContain(liveToken);

      // The owner's own view is redacted the same way; the development sink (NATS, no route) still has the link.
      expect(JSON.stringify(await mailbox(owner, owner.email))).not.toContain(liveToken);
      const confirm = await stack.http.post('/v1/auth/password-reset/confirm', { token: liveToken, newPassword: 'the owner chose this' });
      expect(confirm.status).toBe(204);
    });
  });

  describe('second-factor guessing (item 5)', () => {
    it('evaluates five wrong codes across login challenges, then refuses even the right code with 429 MFA_LOCKED, and tells the user by email', async () => {
      const { session, secret } = await ownerWithTotp();
      const codes: number[] = [];
      for (const attempts of [3, 2]) {
        const challenge = await mfaChallenge(session.email);
        for (let i = 0; i < attempts; i += 1) {
          codes.push((await stack.http.post('/v1/auth/mfa/verify', { mfaToken: challenge, code: await wrongCode(secret) })).status);
        }
      }
      expect(codes).toEqual([401, 401, 401, 401, 401]);

      const right = await stack.http.post<Problem>('/v1/auth/mfa/verify', {
        mfaToken: await mfaChallenge(session.email),
        code: await generate({ secret }),
      });
      expect(right.status).toBe(429);
      expect(right.body.code).toBe('MFA_LOCKED');
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);

      const notices = (await mailbox(session, session.email)).filter((mail) => mail.template === 'security_notice');
      expect(notices.map((mail) => mail.variables.reason)).toContain('mfa_locked');
    });

    it('counts codes sent to POST /v1/auth/mfa/disable against the same limit', async () => {
      const { session, secret } = await ownerWithTotp();
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push(
          (await stack.http.post('/v1/auth/mfa/disable', { code: await wrongCode(secret) }, { token: session.accessToken })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      const disable = await stack.http.post<Problem>(
        '/v1/auth/mfa/disable',
        { code: await generate({ secret }) },
        { token: session.accessToken },
      );
      expect(disable.status).toBe(429);
      expect(disable.body.code).toBe('MFA_LOCKED');
      const signIn = await stack.http.post<Problem>('/v1/auth/mfa/verify', {
        mfaToken: await mfaChallenge(session.email),
        code: await generate({ secret }),
      });
      expect(signIn.status).toBe(429);
      expect((await stack.http.get<{ mfaEnabled: boolean }>('/v1/users/me', { token: session.accessToken })).body.mfaEnabled).toBe(true);
    });
  });

  describe('password guessing (item 8)', () => {
    it('locks out the guessing IP, not the account: the owner signs in from another address', async () => {
      const owner = await registerOrganization(stack.http);
      const attacker = from('203.0.113.10');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await stack.http.post('/v1/auth/login', { email: owner.email, password: 'a wrong guess!' }, attacker)).status);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
      const blocked = await stack.http.post<Problem>('/v1/auth/login', { email: owner.email, password: PASSWORD }, attacker);
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('ACCOUNT_LOCKED');

      const real = await stack.http.post<{ accessToken: string }>(
        '/v1/auth/login',
        { email: owner.email, password: PASSWORD },
        from('198.51.100.20'),
      );
      expect(real.status).toBe(200);
      expect(real.body.accessToken).toEqual(expect.any(String));
    });

    it('slows a guesser spread over many IPs for the whole account, and lets the owner in with the emailed sign-in link', async () => {
      const owner = await registerOrganization(stack.http);
      const statuses: number[] = [];
      for (let i = 0; i < 10; i += 1) {
        statuses.push(
          (await stack.http.post('/v1/auth/login', { email: owner.email, password: 'a wrong guess!' }, from(`203.0.113.${100 + i}`)))
            .status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 401, 429]);
      const throttled = await stack.http.post<Problem>('/v1/auth/login', { email: owner.email, password: PASSWORD }, from('198.51.100.30'));
      expect(throttled.status).toBe(429);
      expect(throttled.body.code).toBe('ACCOUNT_LOCKED');
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);

      const notice = (await mailbox(owner, owner.email)).find((mail) => mail.template === 'login_unlock');
      expect(notice).toBeDefined();
      const unlockToken = (await mailSecrets(stack.env, owner.email, 'login_unlock')).token;
      expect(JSON.stringify(notice)).not.toContain(unlockToken);

      const guess = await stack.http.post<Problem>(
        '/v1/auth/login',
        { email: owner.email, password: 'a wrong guess!', unlockToken: 'not the emailed token' },
        from('203.0.113.120'),
      );
      expect(guess.status).toBe(429);
      const signedIn = await stack.http.post<{ accessToken: string }>(
        '/v1/auth/login',
        { email: owner.email, password: PASSWORD, unlockToken },
        from('198.51.100.30'),
      );
      expect(signedIn.status).toBe(200);
      expect((await stack.http.get('/v1/users/me', { token: signedIn.body.accessToken })).status).toBe(200);
    });
  });

  describe('POST /v1/auth/register (item 12)', () => {
    it('answers an address that already has an account like a new one and tells its owner by email', async () => {
      const owner = await registerOrganization(stack.http);
      const body = { organizationName: 'Copycat Realty', name: 'Copy Cat', password: 'another long passphrase' };
      const fresh = await stack.http.post<Record<string, unknown>>('/v1/auth/register', { ...body, email: uniqueEmail('fresh') });
      const taken = await stack.http.post<Record<string, unknown>>('/v1/auth/register', { ...body, email: owner.email.toUpperCase() });
      expect(fresh.status).toBe(201);
      expect(taken.status).toBe(201);
      expect(shapeOf(taken.body)).toEqual(shapeOf(fresh.body));
      expect(taken.body.user).toMatchObject({ email: owner.email.toUpperCase(), role: 'owner', status: 'active', emailVerified: false });

      const notices = (await mailbox(owner, owner.email)).filter((mail) => mail.template === 'security_notice');
      expect(notices.map((mail) => mail.variables.reason)).toContain('registration_attempt');
      // Nothing of the existing account is handed out, and it still works as before.
      expect((await stack.http.get('/v1/users/me', { token: String(taken.body.accessToken) })).status).toBe(401);
      expect((await stack.http.post('/v1/auth/login', { email: owner.email, password: body.password })).status).toBe(401);
      expect((await stack.http.post('/v1/auth/login', { email: owner.email, password: PASSWORD })).status).toBe(200);
    });
  });

  /** A new owner with TOTP on (confirmed with the previous step's code, so the current one is unused). */
  async function ownerWithTotp(): Promise<{ session: Session; secret: string }> {
    const session = await registerOrganization(stack.http);
    const enroll = await stack.http.post<{ secret: string }>('/v1/auth/mfa/enroll', {}, { token: session.accessToken });
    const secret = enroll.body.secret;
    const previous = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 });
    expect((await stack.http.post('/v1/auth/mfa/confirm', { code: previous }, { token: session.accessToken })).status).toBe(200);
    return { session, secret };
  }

  async function mfaChallenge(email: string): Promise<string> {
    const step = await stack.http.post<{ mfaToken: string }>(
      '/v1/auth/login',
      { email, password: PASSWORD },
      from(`192.0.2.${randomOctet()}`),
    );
    expect(step.status).toBe(200);
    return step.body.mfaToken;
  }
});

/** A six-digit code that is none of the codes of the previous, current and next 30 s steps. */
async function wrongCode(secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const near = await Promise.all([-30, 0, 30].map((offset) => generate({ secret, epoch: now + offset })));
  for (let candidate = 0; ; candidate += 111_111) {
    const code = String(candidate % 1_000_000).padStart(6, '0');
    if (!near.includes(code)) return code;
  }
}

function randomOctet(): number {
  return 1 + Math.floor(Math.random() * 250);
}

/** The keys of a JSON value, recursively (values left out), to compare two answers' shapes. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, shapeOf(inner)]),
    );
  }
  return typeof value;
}
