import { generate } from 'otplib';
import { login, mailSecrets, PASSWORD, registerOrganization, uniqueEmail } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

type Problem = { code: string; status: number; errors?: Array<{ field: string }> };

describe('Authentication through the gateway', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    await stack.stop();
  });

  describe('POST /v1/auth/register', () => {
    it('creates the organization and its owner and returns a working session', async () => {
      const email = uniqueEmail('owner');
      const response = await stack.http.post<{
        accessToken: string;
        refreshToken: string;
        expiresIn: number;
        user: { email: string; role: string; orgId: string };
        organization: { id: string; name: string; publicFormKey: string };
      }>('/v1/auth/register', { organizationName: 'Cascade Homes', name: 'Ora Owner', email, password: PASSWORD });
      expect(response.status).toBe(201);
      expect(response.body.user).toMatchObject({ email, role: 'owner', orgId: response.body.organization.id });
      expect(response.body.organization.name).toBe('Cascade Homes');
      expect(response.body.organization.publicFormKey).toMatch(/^pfk_/);
      expect(response.body.expiresIn).toBe(900);
      const me = await stack.http.get<{ email: string }>('/v1/users/me', { token: response.body.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.email).toBe(email);
    });

    it('answers an email that is already registered, whatever its case, like a new one, with a session that opens nothing (issue 13 item 12)', async () => {
      const owner = await registerOrganization(stack.http);
      const response = await stack.http.post<{ accessToken: string; user: { email: string } }>('/v1/auth/register', {
        organizationName: 'Other',
        name: 'Copy',
        email: owner.email.toUpperCase(),
        password: PASSWORD,
      });
      expect(response.status).toBe(201);
      expect(response.body.user.email).toBe(owner.email.toUpperCase());
      expect((await stack.http.get('/v1/users/me', { token: response.body.accessToken })).status).toBe(401);
    });

    it('refuses a short or common password naming the field', async () => {
      for (const password of ['short', 'password123']) {
        const response = await stack.http.post<Problem>('/v1/auth/register', {
          organizationName: 'Weak',
          name: 'Weak',
          email: uniqueEmail(),
          password,
        });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('WEAK_PASSWORD');
        expect(response.body.errors?.map((e) => e.field)).toEqual(['password']);
      }
    });
  });

  describe('POST /v1/auth/login', () => {
    it('answers the same 401 for an unknown email and a wrong password', async () => {
      const owner = await registerOrganization(stack.http);
      const unknown = await stack.http.post<Problem>('/v1/auth/login', { email: uniqueEmail('nobody'), password: PASSWORD });
      const wrong = await stack.http.post<Problem>('/v1/auth/login', { email: owner.email, password: 'not the password' });
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      expect({ ...unknown.body, requestId: undefined }).toEqual({ ...wrong.body, requestId: undefined });
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
    });

    it('locks an address after five failures, even for the right password, and says so the same way for unknown addresses', async () => {
      const owner = await registerOrganization(stack.http);
      const ghost = uniqueEmail('ghost');
      for (const email of [owner.email, ghost]) {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i += 1) {
          statuses.push((await stack.http.post('/v1/auth/login', { email, password: 'wrong password!' })).status);
        }
        expect(statuses).toEqual([401, 401, 401, 401, 429]);
        const locked = await stack.http.post<Problem>('/v1/auth/login', { email, password: PASSWORD });
        expect(locked.status).toBe(429);
        expect(locked.body.code).toBe('ACCOUNT_LOCKED');
        expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    });
  });

  describe('POST /v1/auth/refresh', () => {
    it('rotates the refresh token and, when a spent one is replayed, ends the whole session', async () => {
      const owner = await registerOrganization(stack.http);
      const first = await stack.http.post<{ accessToken: string; refreshToken: string }>('/v1/auth/refresh', {
        refreshToken: owner.refreshToken,
      });
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(owner.refreshToken);
      const second = await stack.http.post<{ accessToken: string; refreshToken: string }>('/v1/auth/refresh', {
        refreshToken: first.body.refreshToken,
      });
      expect(second.status).toBe(200);

      const replay = await stack.http.post<Problem>('/v1/auth/refresh', { refreshToken: owner.refreshToken });
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('REFRESH_TOKEN_REUSED');

      const newest = await stack.http.post<Problem>('/v1/auth/refresh', { refreshToken: second.body.refreshToken });
      expect(newest.status).toBe(401);
      const staleAccess = await stack.http.get('/v1/users/me', { token: second.body.accessToken });
      expect(staleAccess.status).toBe(401);
    });

    it('refuses an unknown refresh token', async () => {
      const response = await stack.http.post<Problem>('/v1/auth/refresh', { refreshToken: 'not-a-token' });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('INVALID_REFRESH_TOKEN');
    });
  });

  describe('POST /v1/auth/logout', () => {
    it('makes the access token and the refresh token stop working at once', async () => {
      const owner = await registerOrganization(stack.http);
      const out = await stack.http.post('/v1/auth/logout', {}, { token: owner.accessToken });
      expect(out.status).toBe(204);
      expect((await stack.http.get('/v1/users/me', { token: owner.accessToken })).status).toBe(401);
      expect((await stack.http.post('/v1/auth/refresh', { refreshToken: owner.refreshToken })).status).toBe(401);
      const again = await login(stack.http, owner.email);
      expect((await stack.http.get('/v1/users/me', { token: again.accessToken })).status).toBe(200);
    });
  });

  describe('password reset and email verification', () => {
    it('resets a password with the emailed token, once, and ends old sessions', async () => {
      const owner = await registerOrganization(stack.http);
      const unknown = await stack.http.post('/v1/auth/password-reset/request', { email: uniqueEmail('nobody') });
      const known = await stack.http.post('/v1/auth/password-reset/request', { email: owner.email });
      expect(unknown.status).toBe(202);
      expect(known.status).toBe(202);

      const reset = await mailSecrets(stack.env, owner.email, 'password_reset');
      expect(reset.token).toBeDefined();
      const newPassword = 'a brand new passphrase';
      const confirm = await stack.http.post('/v1/auth/password-reset/confirm', { token: reset.token, newPassword });
      expect(confirm.status).toBe(204);
      const reuse = await stack.http.post<Problem>('/v1/auth/password-reset/confirm', { token: reset.token, newPassword });
      expect(reuse.status).toBe(400);
      expect(reuse.body.code).toBe('INVALID_TOKEN');

      expect((await stack.http.get('/v1/users/me', { token: owner.accessToken })).status).toBe(401);
      expect((await stack.http.post('/v1/auth/login', { email: owner.email, password: PASSWORD })).status).toBe(401);
      expect((await stack.http.post('/v1/auth/login', { email: owner.email, password: newPassword })).status).toBe(200);
    });

    it('verifies the email address with the token sent at registration', async () => {
      const owner = await registerOrganization(stack.http);
      const verification = await mailSecrets(stack.env, owner.email, 'email_verification');
      expect((await stack.http.get<{ emailVerified: boolean }>('/v1/users/me', { token: owner.accessToken })).body.emailVerified).toBe(
        false,
      );
      expect((await stack.http.post('/v1/auth/email/verify', { token: verification.token })).status).toBe(204);
      expect((await stack.http.get<{ emailVerified: boolean }>('/v1/users/me', { token: owner.accessToken })).body.emailVerified).toBe(
        true,
      );
    });
  });

  describe('TOTP two-factor authentication', () => {
    it('enrols, then requires a code at login, refuses a replayed code, and accepts a recovery code once', async () => {
      const owner = await registerOrganization(stack.http);
      const enroll = await stack.http.post<{ secret: string; otpauthUri: string }>('/v1/auth/mfa/enroll', {}, { token: owner.accessToken });
      expect(enroll.status).toBe(200);
      expect(enroll.body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
      const secret = enroll.body.secret;

      const wrongConfirm = await stack.http.post<Problem>('/v1/auth/mfa/confirm', { code: '000000' }, { token: owner.accessToken });
      expect(wrongConfirm.status).toBe(401);
      // Confirm with the code of the previous 30 s step, so the login below can use the current one.
      const previousStepCode = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 });
      const confirm = await stack.http.post<{ recoveryCodes: string[] }>(
        '/v1/auth/mfa/confirm',
        { code: previousStepCode },
        { token: owner.accessToken },
      );
      expect(confirm.status).toBe(200);
      expect(confirm.body.recoveryCodes).toHaveLength(10);

      const step = await stack.http.post<{ mfaRequired: boolean; mfaToken: string; accessToken?: string }>('/v1/auth/login', {
        email: owner.email,
        password: PASSWORD,
      });
      expect(step.status).toBe(200);
      expect(step.body.mfaRequired).toBe(true);
      expect(step.body.accessToken).toBeUndefined();

      const code = await generate({ secret });
      const verified = await stack.http.post<{ accessToken: string }>('/v1/auth/mfa/verify', { mfaToken: step.body.mfaToken, code });
      expect(verified.status).toBe(200);
      expect((await stack.http.get('/v1/users/me', { token: verified.body.accessToken })).status).toBe(200);

      const secondStep = await stack.http.post<{ mfaToken: string }>('/v1/auth/login', { email: owner.email, password: PASSWORD });
      const replay = await stack.http.post<Problem>('/v1/auth/mfa/verify', { mfaToken: secondStep.body.mfaToken, code });
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('INVALID_MFA_CODE');

      const recovery = confirm.body.recoveryCodes[0];
      const withRecovery = await stack.http.post('/v1/auth/mfa/verify', { mfaToken: secondStep.body.mfaToken, code: recovery });
      expect(withRecovery.status).toBe(200);
      const thirdStep = await stack.http.post<{ mfaToken: string }>('/v1/auth/login', { email: owner.email, password: PASSWORD });
      const recoveryAgain = await stack.http.post('/v1/auth/mfa/verify', { mfaToken: thirdStep.body.mfaToken, code: recovery });
      expect(recoveryAgain.status).toBe(401);
    });

    it('burns the MFA login step after five wrong codes', async () => {
      const owner = await registerOrganization(stack.http);
      const { body } = await stack.http.post<{ secret: string }>('/v1/auth/mfa/enroll', {}, { token: owner.accessToken });
      await stack.http.post('/v1/auth/mfa/confirm', { code: await generate({ secret: body.secret }) }, { token: owner.accessToken });
      const step = await stack.http.post<{ mfaToken: string }>('/v1/auth/login', { email: owner.email, password: PASSWORD });
      for (let i = 0; i < 5; i += 1) {
        expect((await stack.http.post('/v1/auth/mfa/verify', { mfaToken: step.body.mfaToken, code: '000000' })).status).toBe(401);
      }
      const afterBurn = await stack.http.post<Problem>('/v1/auth/mfa/verify', {
        mfaToken: step.body.mfaToken,
        code: await generate({ secret: body.secret, epoch: Math.floor(Date.now() / 1000) + 30 }),
      });
      expect(afterBurn.status).toBe(401);
      expect(afterBurn.body.code).toBe('INVALID_MFA_TOKEN');
    });

    it('withholds permissions until enrolment when the organization requires 2FA for the role', async () => {
      const owner = await registerOrganization(stack.http);
      const policy = await stack.http.patch(
        '/v1/organizations/current',
        { mfaRequiredRoles: ['owner', 'admin'] },
        { token: owner.accessToken },
      );
      expect(policy.status).toBe(200);
      const session = await stack.http.post<{ accessToken: string; mfaEnrollmentRequired?: boolean }>('/v1/auth/login', {
        email: owner.email,
        password: PASSWORD,
      });
      expect(session.body.mfaEnrollmentRequired).toBe(true);
      expect((await stack.http.get('/v1/users', { token: session.body.accessToken })).status).toBe(403);
      expect((await stack.http.get('/v1/users/me', { token: session.body.accessToken })).status).toBe(200);
    });
  });

  describe('GET /v1/auth/.well-known/jwks.json', () => {
    it('publishes the ES256 public key and no private part', async () => {
      const response = await stack.http.get<{ keys: Array<Record<string, string>> }>('/v1/auth/.well-known/jwks.json');
      expect(response.status).toBe(200);
      expect(response.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(response.body.keys[0].d).toBeUndefined();
    });
  });
});
