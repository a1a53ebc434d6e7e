import { eventually, type ProblemJson } from '../../support/crm.fixture';
import { createUser, registerOrganization, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

interface ChannelJson {
  channel: string;
  enabled: boolean;
  defaultEnabled: boolean;
  source: string;
}

interface TypeJson {
  type: string;
  mandatory: boolean;
  channels: ChannelJson[];
}

interface PreferencesJson {
  types: TypeJson[];
  quietHours: { start: string; end: string; timeZone: string | null } | null;
  effectiveTimeZone: string;
}

interface SettingsJson {
  types: TypeJson[];
  mandatoryTypes: string[];
  timeZone: string | null;
  updatedAt: string | null;
}

interface DeviceJson {
  id: string;
  platform: string;
  name: string | null;
}

const channelOf = (view: { types: TypeJson[] }, type: string, channel: string) =>
  view.types.find((entry) => entry.type === type)?.channels.find((entry) => entry.channel === channel);

/**
 * Issue 14 preferences through the gateway: `/v1/users/me/notification-preferences` (any signed-in
 * user, their own), `/v1/notification-settings` (owner/admin: `notifications:manage`), `/v1/devices`
 * (own devices); identity's `notificationPreferences` reaching the notifications service.
 */
describe('notification preferences, settings and devices through the gateway', () => {
  let stack: TestStack;
  let owner: Session;
  let agent: Session;
  let colleague: Session;
  let stranger: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['notifications'] });
    owner = await registerOrganization(stack.http, 'Preferring Realty');
    agent = await createUser(stack.http, owner, 'agent');
    colleague = await createUser(stack.http, owner, 'agent');
    stranger = await registerOrganization(stack.http, 'Other Preferring Realty');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const preferences = (session: Session) =>
    stack.http.get<PreferencesJson>('/v1/users/me/notification-preferences', { token: session.accessToken });
  const putPreferences = (session: Session, json: unknown) =>
    stack.http.request<PreferencesJson & ProblemJson>('PUT', '/v1/users/me/notification-preferences', { json, token: session.accessToken });
  const settings = (session: Session) =>
    stack.http.get<SettingsJson & ProblemJson>('/v1/notification-settings', { token: session.accessToken });
  const putSettings = (session: Session, json: unknown) =>
    stack.http.request<SettingsJson & ProblemJson>('PUT', '/v1/notification-settings', { json, token: session.accessToken });

  describe('/v1/users/me/notification-preferences', () => {
    it('replaces the caller’s switches and quiet hours and shows where each channel comes from', async () => {
      const put = await putPreferences(agent, {
        preferences: [{ type: 'task_assigned', channel: 'email', enabled: false }],
        quietHours: { start: '21:00', end: '07:00', timeZone: 'America/New_York' },
      });
      expect(put.status).toBe(200);
      expect(put.body.quietHours).toEqual({ start: '21:00', end: '07:00', timeZone: 'America/New_York' });
      expect(put.body.effectiveTimeZone).toBe('America/New_York');
      expect(channelOf(put.body, 'task_assigned', 'email')).toEqual({
        channel: 'email',
        enabled: false,
        defaultEnabled: true,
        source: 'user',
      });

      const read = await preferences(agent);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(put.body);
      expect(channelOf((await preferences(colleague)).body, 'task_assigned', 'email')).toMatchObject({ enabled: true, source: 'default' });
    });

    it('answers 400 naming an unknown or invalid field, 422 for an unknown type or zone', async () => {
      const extra = await putPreferences(agent, { preferences: [], quietHours: null, colour: 'blue' });
      expect(extra.status).toBe(400);
      expect(extra.body.errors?.map((error) => error.field)).toContain('colour');
      const nested = await putPreferences(agent, { preferences: [{ type: 'lead_assigned', channel: 'pigeon', enabled: true }] });
      expect(nested.status).toBe(400);
      const badTime = await putPreferences(agent, { preferences: [], quietHours: { start: '9pm', end: '07:00' } });
      expect(badTime.status).toBe(400);
      expect(badTime.body.errors?.map((error) => error.field).join(' ')).toContain('start');
      const unknownType = await putPreferences(agent, { preferences: [{ type: 'no_such_type', channel: 'email', enabled: false }] });
      expect(unknownType.status).toBe(422);
      expect(unknownType.body.code).toBe('UNKNOWN_NOTIFICATION_TYPE');
      const badZone = await putPreferences(agent, {
        preferences: [],
        quietHours: { start: '21:00', end: '07:00', timeZone: 'Mars/Olympus' },
      });
      expect(badZone.status).toBe(422);
      expect(badZone.body.code).toBe('INVALID_TIME_ZONE');
    });

    it('refuses API keys (403 USER_SESSION_REQUIRED) and anonymous calls (401)', async () => {
      const key = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'Contacts only', scopes: ['contacts:read:org'] },
        { token: owner.accessToken },
      );
      const refused = await stack.http.get<ProblemJson>('/v1/users/me/notification-preferences', { apiKey: key.body.key });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('USER_SESSION_REQUIRED');
      const devices = await stack.http.get<ProblemJson>('/v1/devices', { apiKey: key.body.key });
      expect(devices.status).toBe(403);
      expect((await stack.http.get('/v1/users/me/notification-preferences')).status).toBe(401);
      expect((await stack.http.get('/v1/devices')).status).toBe(401);
    });

    it('takes identity’s notificationPreferences (PATCH /v1/users/me) as the user’s every-type switch', async () => {
      const patched = await stack.http.patch(
        '/v1/users/me',
        { notificationPreferences: { inApp: false } },
        { token: colleague.accessToken },
      );
      expect(patched.status).toBe(200);

      const read = await eventually(
        () => preferences(colleague),
        (response) => channelOf(response.body, 'lead_assigned', 'in_app')?.source === 'identity',
      );
      expect(channelOf(read.body, 'lead_assigned', 'in_app')).toEqual({
        channel: 'in_app',
        enabled: false,
        defaultEnabled: true,
        source: 'identity',
      });
      expect(channelOf(read.body, 'lead_assigned', 'email')).toMatchObject({ enabled: true, source: 'default' });
    });
  });

  describe('/v1/notification-settings', () => {
    it('lets the owner set defaults, mandatory types and the zone; an agent is refused 403; another organization sees its own', async () => {
      const put = await putSettings(owner, {
        defaults: [{ type: 'lead_assigned', channel: 'email', enabled: false }],
        mandatoryTypes: ['task_assigned'],
        timeZone: 'America/Los_Angeles',
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ mandatoryTypes: ['task_assigned'], timeZone: 'America/Los_Angeles' });
      expect(channelOf(put.body, 'lead_assigned', 'email')).toEqual({
        channel: 'email',
        enabled: false,
        defaultEnabled: false,
        source: 'organization',
      });
      expect((await settings(owner)).body).toEqual(put.body);

      for (const call of [settings(agent), putSettings(agent, { defaults: [], mandatoryTypes: [], timeZone: null })]) {
        const refused = await call;
        expect(refused.status).toBe(403);
        expect(refused.body.code).toBe('FORBIDDEN');
      }
      const other = await settings(stranger);
      expect(other.status).toBe(200);
      expect(other.body).toMatchObject({ mandatoryTypes: [], timeZone: null, updatedAt: null });
      expect(channelOf(other.body, 'lead_assigned', 'email')).toMatchObject({ enabled: true, source: 'default' });

      // The agent now sees the mandatory type and cannot switch its default channels off.
      const mandatory = await putPreferences(agent, { preferences: [{ type: 'task_assigned', channel: 'in_app', enabled: false }] });
      expect(mandatory.status).toBe(422);
      expect(mandatory.body.code).toBe('NOTIFICATION_TYPE_MANDATORY');
    });

    it('answers 400 for an unknown field and 422 for an unknown type', async () => {
      const extra = await putSettings(owner, { defaults: [], mandatoryTypes: [], timeZone: null, quietHours: true });
      expect(extra.status).toBe(400);
      expect(extra.body.errors?.map((error) => error.field)).toContain('quietHours');
      const unknownType = await putSettings(owner, { defaults: [], mandatoryTypes: ['no_such_type'] });
      expect(unknownType.status).toBe(422);
      expect(unknownType.body.code).toBe('UNKNOWN_NOTIFICATION_TYPE');
    });
  });

  describe('/v1/devices', () => {
    it('registers idempotently on the token, lists the caller’s own, and deletes only the caller’s (others: 404)', async () => {
      const token = `fcm-gateway-${Date.now()}`;
      const created = await stack.http.post<DeviceJson>(
        '/v1/devices',
        { token, platform: 'ios', name: 'iPhone' },
        { token: agent.accessToken },
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ platform: 'ios', name: 'iPhone' });
      expect(created.body).not.toHaveProperty('token');
      const again = await stack.http.post<DeviceJson>('/v1/devices', { token, platform: 'ios' }, { token: agent.accessToken });
      expect(again.body.id).toBe(created.body.id);
      const listed = await stack.http.get<{ items: DeviceJson[] }>('/v1/devices', { token: agent.accessToken });
      expect(listed.body.items.map((device) => device.id)).toEqual([created.body.id]);
      expect((await stack.http.get<{ items: DeviceJson[] }>('/v1/devices', { token: colleague.accessToken })).body.items).toEqual([]);

      for (const other of [colleague, stranger, owner]) {
        const refused = await stack.http.delete<ProblemJson>(`/v1/devices/${created.body.id}`, { token: other.accessToken });
        expect(refused.status).toBe(404);
        expect(refused.body.code).toBe('DEVICE_NOT_FOUND');
      }
      expect((await stack.http.delete(`/v1/devices/${created.body.id}`, { token: agent.accessToken })).status).toBe(204);
      expect((await stack.http.get<{ items: DeviceJson[] }>('/v1/devices', { token: agent.accessToken })).body.items).toEqual([]);
    });

    it('answers 400 for an unknown platform, an unknown field or a malformed id', async () => {
      const platform = await stack.http.post<ProblemJson>(
        '/v1/devices',
        { token: 't', platform: 'blackberry' },
        { token: agent.accessToken },
      );
      expect(platform.status).toBe(400);
      expect(platform.body.errors?.map((error) => error.field)).toContain('platform');
      const extra = await stack.http.post<ProblemJson>(
        '/v1/devices',
        { token: 't', platform: 'web', owner: 'x' },
        { token: agent.accessToken },
      );
      expect(extra.status).toBe(400);
      expect((await stack.http.delete('/v1/devices/not-a-uuid', { token: agent.accessToken })).status).toBe(400);
    });
  });
});
