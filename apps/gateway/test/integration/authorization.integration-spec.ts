import { createUser, login, PASSWORD, registerOrganization, type Session } from '../support/identity.fixture';
import { startStack, type TestStack } from '../support/stack.fixture';

type Problem = { code: string; status: number };
type Page<T> = { items: T[]; nextCursor: string | null };

describe('Authorization through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let otherOwner: Session;
  let manager: Session;
  let agentA: Session;
  let agentB: Session;
  let teamId: string;

  beforeAll(async () => {
    stack = await startStack();
    owner = await registerOrganization(stack.http, 'Evergreen Realty');
    otherOwner = await registerOrganization(stack.http, 'Rival Realty');
    manager = await createUser(stack.http, owner, 'manager');
    agentA = await createUser(stack.http, owner, 'agent');
    agentB = await createUser(stack.http, owner, 'agent');
    const team = await stack.http.post<{ id: string }>(
      '/v1/teams',
      { name: 'North', managerId: manager.userId, memberIds: [agentA.userId] },
      { token: owner.accessToken },
    );
    teamId = team.body.id;
    // Team changes revoke the members' tokens; sign in again to carry the new team ids.
    manager = await login(stack.http, manager.email);
    agentA = await login(stack.http, agentA.email);
  });

  afterAll(async () => {
    await stack.stop();
  });

  describe('users of another organization', () => {
    it('are invisible: reading, changing or deactivating them answers 404', async () => {
      const token = otherOwner.accessToken;
      expect((await stack.http.get<Problem>(`/v1/users/${agentA.userId}`, { token })).status).toBe(404);
      expect((await stack.http.patch<Problem>(`/v1/users/${agentA.userId}`, { name: 'Hijacked' }, { token })).status).toBe(404);
      expect((await stack.http.delete<Problem>(`/v1/users/${agentA.userId}`, { token })).status).toBe(404);
      expect((await stack.http.get<Problem>(`/v1/agents/${agentA.userId}`, { token })).status).toBe(404);
      expect((await stack.http.patch<Problem>(`/v1/teams/${teamId}`, { name: 'Mine' }, { token })).status).toBe(404);
      const list = await stack.http.get<Page<{ orgId: string }>>('/v1/users?limit=100', { token });
      expect(list.body.items.every((user) => user.orgId === otherOwner.orgId)).toBe(true);
      const still = await stack.http.get<{ name: string; status: string }>(`/v1/users/${agentA.userId}`, { token: owner.accessToken });
      expect(still.body.status).toBe('active');
    });

    it('cannot touch its teams, custom roles or API keys either (404), nor see them in lists', async () => {
      const key = await stack.http.post<{ id: string }>(
        '/v1/api-keys',
        { name: 'Site', scopes: ['agents:read:org'] },
        { token: owner.accessToken },
      );
      await stack.http.post(
        '/v1/roles',
        { key: 'assistant', name: 'Assistant', permissions: ['agents:read:org'] },
        { token: owner.accessToken },
      );
      const token = otherOwner.accessToken;
      expect((await stack.http.delete<Problem>(`/v1/teams/${teamId}`, { token })).status).toBe(404);
      expect((await stack.http.delete<Problem>(`/v1/api-keys/${key.body.id}`, { token })).status).toBe(404);
      expect((await stack.http.patch<Problem>('/v1/roles/assistant', { name: 'Mine' }, { token })).status).toBe(404);
      expect((await stack.http.delete<Problem>('/v1/roles/assistant', { token })).status).toBe(404);
      const keys = await stack.http.get<Page<{ id: string }>>('/v1/api-keys', { token });
      expect(keys.body.items.map((k) => k.id)).not.toContain(key.body.id);
      const teams = await stack.http.get<Page<{ id: string }>>('/v1/teams', { token });
      expect(teams.body.items.map((t) => t.id)).not.toContain(teamId);
      const roles = await stack.http.get<Array<{ key: string }>>('/v1/roles', { token });
      expect(roles.body.map((r) => r.key)).not.toContain('assistant');
      const mail = await stack.http.get<Page<{ to: string }>>('/v1/local-mailbox', { token });
      expect(mail.body.items.every((m) => m.to !== owner.email)).toBe(true);
      expect((await stack.http.get(`/v1/teams/${teamId}`, { token: owner.accessToken })).status).toBe(200);
    });
  });

  describe('an agent', () => {
    it('sees only their own user record', async () => {
      const list = await stack.http.get<Page<{ id: string }>>('/v1/users', { token: agentA.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.items.map((user) => user.id)).toEqual([agentA.userId]);
      expect((await stack.http.get(`/v1/users/${agentB.userId}`, { token: agentA.accessToken })).status).toBe(404);
      expect((await stack.http.get(`/v1/users/${agentA.userId}`, { token: agentA.accessToken })).status).toBe(200);
    });

    it('cannot administer users, teams, roles, API keys or settings (403)', async () => {
      const token = agentA.accessToken;
      const attempts = await Promise.all([
        stack.http.post<Problem>('/v1/users', { email: 'x@example.test', name: 'X', role: 'agent' }, { token }),
        stack.http.patch<Problem>(`/v1/users/${agentB.userId}`, { role: 'admin' }, { token }),
        stack.http.delete<Problem>(`/v1/users/${agentB.userId}`, { token }),
        stack.http.post<Problem>('/v1/teams', { name: 'Mine' }, { token }),
        stack.http.post<Problem>('/v1/roles', { key: 'boss', name: 'Boss', permissions: ['users:write:org'] }, { token }),
        stack.http.post<Problem>('/v1/api-keys', { name: 'k', scopes: ['agents:read:org'] }, { token }),
        stack.http.patch<Problem>('/v1/organizations/current', { name: 'Mine' }, { token }),
        stack.http.get<Problem>('/v1/local-mailbox', { token }),
      ]);
      expect(attempts.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403, 403, 403]);
      expect(attempts.every((r) => r.body.code === 'FORBIDDEN')).toBe(true);
    });

    it('cannot raise their own role by sending extra fields', async () => {
      const response = await stack.http.patch<Problem & { errors: Array<{ field: string }> }>(
        '/v1/users/me',
        { name: 'Agent A', role: 'owner', orgId: otherOwner.orgId },
        { token: agentA.accessToken },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors.map((e) => e.field).sort()).toEqual(['orgId', 'role']);
      const me = await stack.http.get<{ role: string; name: string }>('/v1/users/me', { token: agentA.accessToken });
      expect(me.body.role).toBe('agent');
    });
  });

  describe('a manager', () => {
    it('sees the members of their team and not the other agents', async () => {
      const list = await stack.http.get<Page<{ id: string }>>('/v1/users?limit=100', { token: manager.accessToken });
      const ids = list.body.items.map((user) => user.id).sort();
      expect(ids).toEqual([manager.userId, agentA.userId].sort());
      expect((await stack.http.get(`/v1/users/${agentA.userId}`, { token: manager.accessToken })).status).toBe(200);
      expect((await stack.http.get(`/v1/users/${agentB.userId}`, { token: manager.accessToken })).status).toBe(404);
    });
  });

  describe('role and status changes', () => {
    it('apply on the next request: a demoted admin loses admin rights at once', async () => {
      const admin = await createUser(stack.http, owner, 'admin');
      expect((await stack.http.get('/v1/api-keys', { token: admin.accessToken })).status).toBe(200);
      const demote = await stack.http.patch<{ role: string }>(`/v1/users/${admin.userId}`, { role: 'agent' }, { token: owner.accessToken });
      expect(demote.body.role).toBe('agent');
      expect((await stack.http.get('/v1/api-keys', { token: admin.accessToken })).status).toBe(401);
      const refreshed = await stack.http.post<{ accessToken: string }>('/v1/auth/refresh', { refreshToken: admin.refreshToken });
      expect(refreshed.status).toBe(200);
      expect((await stack.http.get('/v1/api-keys', { token: refreshed.body.accessToken })).status).toBe(403);
    });

    it('a deactivated user can neither use their tokens nor log in, and keeps their history', async () => {
      const agent = await createUser(stack.http, owner, 'agent');
      const deactivated = await stack.http.delete<{ status: string }>(`/v1/users/${agent.userId}`, { token: owner.accessToken });
      expect(deactivated.body.status).toBe('deactivated');
      expect((await stack.http.get('/v1/users/me', { token: agent.accessToken })).status).toBe(401);
      expect((await stack.http.post('/v1/auth/refresh', { refreshToken: agent.refreshToken })).status).toBe(401);
      expect((await stack.http.post('/v1/auth/login', { email: agent.email, password: PASSWORD })).status).toBe(401);
      expect((await stack.http.get(`/v1/users/${agent.userId}`, { token: owner.accessToken })).status).toBe(200);
    });

    it('only the owner may touch the owner', async () => {
      const admin = await createUser(stack.http, owner, 'admin');
      const attempt = await stack.http.patch<Problem>(`/v1/users/${owner.userId}`, { role: 'agent' }, { token: admin.accessToken });
      expect(attempt.status).toBe(403);
      expect(attempt.body.code).toBe('OWNER_PROTECTED');
      const promote = await stack.http.post<Problem>(
        '/v1/users',
        { email: 'o2@example.test', name: 'O2', role: 'owner' },
        { token: admin.accessToken },
      );
      expect(promote.body.code).toBe('OWNER_PROTECTED');
    });
  });

  describe('custom roles', () => {
    it('grant exactly their permissions, and changing them revokes holders’ tokens', async () => {
      const created = await stack.http.post<{ key: string; permissions: string[] }>(
        '/v1/roles',
        { key: 'coordinator', name: 'Transaction coordinator', permissions: ['users:read:org', 'agents:read:org'] },
        { token: owner.accessToken },
      );
      expect(created.status).toBe(201);
      const coordinator = await createUser(stack.http, owner, 'coordinator');
      const everyone = await stack.http.get<Page<unknown>>('/v1/users?limit=100', { token: coordinator.accessToken });
      expect(everyone.status).toBe(200);
      expect(everyone.body.items.length).toBeGreaterThan(3);
      expect((await stack.http.post('/v1/teams', { name: 'Nope' }, { token: coordinator.accessToken })).status).toBe(403);
      const bad = await stack.http.post<Problem>(
        '/v1/roles',
        { key: 'bad', name: 'Bad', permissions: ['users:fly:org'] },
        { token: owner.accessToken },
      );
      expect(bad.body.code).toBe('INVALID_PERMISSION');
      await stack.http.patch(`/v1/roles/coordinator`, { permissions: ['agents:read:org'] }, { token: owner.accessToken });
      expect((await stack.http.get('/v1/users', { token: coordinator.accessToken })).status).toBe(401);
      const again = await login(stack.http, coordinator.email);
      expect((await stack.http.get('/v1/users', { token: again.accessToken })).status).toBe(403);
      const inUse = await stack.http.delete<Problem>('/v1/roles/coordinator', { token: owner.accessToken });
      expect(inUse.body.code).toBe('ROLE_IN_USE');
    });
  });

  describe('API keys', () => {
    it('act with their scopes only, are shown once, record their use, and stop working when revoked', async () => {
      const created = await stack.http.post<{ id: string; key: string; prefix: string }>(
        '/v1/api-keys',
        { name: 'IDX website', scopes: ['agents:read:org'] },
        { token: owner.accessToken },
      );
      expect(created.status).toBe(201);
      expect(created.body.key.startsWith(created.body.prefix)).toBe(true);
      const apiKey = created.body.key;
      expect((await stack.http.get('/v1/agents', { apiKey })).status).toBe(200);
      expect((await stack.http.get('/v1/users', { apiKey })).status).toBe(403);
      const listed = await stack.http.get<Page<{ id: string; lastUsedAt: string | null; key?: string }>>('/v1/api-keys', {
        token: owner.accessToken,
      });
      const row = listed.body.items.find((item) => item.id === created.body.id)!;
      expect(row.key).toBeUndefined();
      expect(row.lastUsedAt).not.toBeNull();
      expect((await stack.http.delete(`/v1/api-keys/${created.body.id}`, { token: owner.accessToken })).status).toBe(200);
      const refused = await stack.http.get<Problem>('/v1/agents', { apiKey });
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('INVALID_API_KEY');
    });

    it("never act as their creator: the creator's own profile, password, 2FA and logout refuse a key (403 USER_SESSION_REQUIRED)", async () => {
      const created = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'Agent roster', scopes: ['agents:read:org'] },
        { token: owner.accessToken },
      );
      const apiKey = created.body.key;
      expect((await stack.http.get('/v1/agents', { apiKey })).status).toBe(200);
      const attempts = [
        stack.http.get<Problem>('/v1/users/me', { apiKey }),
        stack.http.patch<Problem>('/v1/users/me', { name: 'Taken Over' }, { apiKey }),
        stack.http.post<Problem>('/v1/auth/mfa/enroll', {}, { apiKey }),
        stack.http.post<Problem>('/v1/auth/mfa/disable', { code: '000000' }, { apiKey }),
        stack.http.post<Problem>('/v1/auth/mfa/recovery-codes', { code: '000000' }, { apiKey }),
        stack.http.post<Problem>(
          '/v1/auth/password/change',
          { currentPassword: PASSWORD, newPassword: 'an-entirely-new-passphrase-2026' },
          { apiKey },
        ),
        stack.http.post<Problem>('/v1/auth/logout', {}, { apiKey }),
      ];
      for (const response of await Promise.all(attempts)) {
        expect({ status: response.status, code: response.body.code }).toEqual({ status: 403, code: 'USER_SESSION_REQUIRED' });
      }
      const me = await stack.http.get<{ name: string; mfaEnabled: boolean }>('/v1/users/me', { token: owner.accessToken });
      expect(me.body.name).not.toBe('Taken Over');
      expect(me.body.mfaEnabled).toBe(false);
      expect((await stack.http.get('/v1/users/me', { token: owner.accessToken })).status).toBe(200);
    });

    it('cannot be given scopes wider than the creator holds', async () => {
      const admin = await createUser(stack.http, owner, 'manager');
      const response = await stack.http.post<Problem>(
        '/v1/api-keys',
        { name: 'k', scopes: ['users:write:org'] },
        { token: admin.accessToken },
      );
      expect(response.status).toBe(403);
      const ownerAttempt = await stack.http.post<Problem & { errors: unknown[] }>(
        '/v1/api-keys',
        { name: 'k', scopes: ['nonsense'] },
        { token: owner.accessToken },
      );
      expect(ownerAttempt.status).toBe(400);
    });
  });

  describe('agents and teams', () => {
    it('lets an admin add an agent with a profile, find it by ZIP code, update and remove it', async () => {
      const created = await stack.http.post<{ userId: string; regions: string[]; status: string }>(
        '/v1/agents',
        {
          email: `zip-agent-${Date.now()}@example.test`,
          name: 'Zoe Zip',
          password: PASSWORD,
          regions: ['98103', '98107'],
          languages: ['en', 'es'],
          capacity: 12,
          licenseNumber: 'WA-123',
          licenseState: 'WA',
          workingHours: { timezone: 'America/Los_Angeles', days: { '1': [{ start: '09:00', end: '17:00' }] } },
        },
        { token: owner.accessToken },
      );
      expect(created.status).toBe(201);
      expect(created.body.status).toBe('active');
      const byZip = await stack.http.get<Page<{ userId: string }>>('/v1/agents?region=98107', { token: agentA.accessToken });
      expect(byZip.body.items.map((agent) => agent.userId)).toEqual([created.body.userId]);
      const bySpanish = await stack.http.get<Page<{ userId: string }>>('/v1/agents?language=es', { token: owner.accessToken });
      expect(bySpanish.body.items.map((agent) => agent.userId)).toContain(created.body.userId);
      const updated = await stack.http.patch<{ capacity: number; regions: string[] }>(
        `/v1/agents/${created.body.userId}`,
        { capacity: 20, regions: ['98115'] },
        { token: owner.accessToken },
      );
      expect(updated.body).toMatchObject({ capacity: 20, regions: ['98115'] });
      expect((await stack.http.patch(`/v1/agents/${created.body.userId}`, { capacity: 1 }, { token: agentA.accessToken })).status).toBe(
        403,
      );
      expect((await stack.http.delete(`/v1/agents/${created.body.userId}`, { token: owner.accessToken })).status).toBe(204);
      const after = await stack.http.get<Page<{ userId: string }>>('/v1/agents?region=98115', { token: owner.accessToken });
      expect(after.body.items).toEqual([]);
    });

    it('paginates users with a cursor and no duplicates', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const page: { body: Page<{ id: string }> } = await stack.http.get<Page<{ id: string }>>(`/v1/users${query}`, {
          token: owner.accessToken,
        });
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((user) => user.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      const all = await stack.http.get<Page<{ id: string }>>('/v1/users?limit=100', { token: owner.accessToken });
      expect(seen).toEqual(all.body.items.map((user) => user.id));
      expect(new Set(seen).size).toBe(seen.length);
    });
  });
});
