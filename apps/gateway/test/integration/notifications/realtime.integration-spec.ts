import { importJWK, SignJWT, type JWK } from 'jose';
import { Client } from 'pg';
import { io, type Socket } from 'socket.io-client';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { realtimePushSubject, type CloudEvent } from '@keyhouse/contracts';
import { cloudEventHeaders, createKafka, createProducer } from '@keyhouse/platform/messaging';
import { SecretCipher } from '@keyhouse/platform/auth';
import { loadIdentityConfig } from '../../../../identity/src/config/identity.config';
import { startGateway } from '../../../src/main';
import { createContact, eventually, waitForUsersInCrm, type ProblemJson } from '../../support/crm.fixture';
import { createUser, registerOrganization, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';
import { connect as natsConnect } from 'nats';

interface NotificationJson {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  link: string | null;
  createdAt: string;
  readAt: string | null;
}

interface PageJson<T> {
  items: T[];
  nextCursor: string | null;
}

interface Received {
  event: string;
  data: unknown;
}

/** Everything one socket received, in order, with a wait for the next match. */
class SocketInbox {
  readonly events: Received[] = [];
  private disconnected: string | null = null;

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, data: unknown) => this.events.push({ event, data }));
    socket.on('disconnect', (reason) => {
      this.disconnected = reason;
    });
  }

  /** The first event (at or after `from`) matching; waits for it (fails after 30 s). */
  async waitFor(match: (received: Received) => boolean, from = 0): Promise<Received> {
    let found: Received | undefined;
    await eventually(
      async () => (found = this.events.slice(from).find(match)),
      (value) => value !== undefined,
    );
    return found!;
  }

  /** Resolves with the disconnect reason once the socket is closed (fails after 30 s). */
  async waitForDisconnect(): Promise<string> {
    await eventually(
      async () => this.disconnected,
      (value) => value !== null,
    );
    return this.disconnected!;
  }

  of(event: string): unknown[] {
    return this.events.filter((received) => received.event === event).map((received) => received.data);
  }
}

/**
 * Issue 14, the realtime channel: Socket.IO at `/v1/realtime` on the gateway (docs/adr/0035). The
 * handshake takes the access token (no token, a bad one, an API key: refused); a lead assigned to an
 * agent reaches her socket as `notification.created` (the list's view) and `unread_count.changed`,
 * and reading changes the count; other users and organizations get nothing; a socket on a second
 * gateway replica receives what a request through the first caused (fan-out over core NATS);
 * catch-up by cursor after a reconnect; expiry, `reauth` and logout close or keep the socket.
 */
describe('realtime channel (Socket.IO)', () => {
  let stack: TestStack;
  let replicaB: NestFastifyApplication;
  let owner: Session;
  let agent: Session;
  let colleague: Session;
  let client: Session;
  let strangerOwner: Session;
  let strangerAgent: Session;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'notifications'] });
    replicaB = await startGateway(stack.env);
    owner = await registerOrganization(stack.http, 'Realtime Realty');
    agent = await createUser(stack.http, owner, 'agent');
    colleague = await createUser(stack.http, owner, 'agent');
    client = await createUser(stack.http, owner, 'client');
    strangerOwner = await registerOrganization(stack.http, 'Elsewhere Realty');
    strangerAgent = await createUser(stack.http, strangerOwner, 'agent');
    await waitForUsersInCrm(stack, [{ userId: agent.userId }, { userId: colleague.userId }, { userId: strangerAgent.userId }]);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await replicaB?.close();
    await stack?.stop();
  });

  const portOf = (app: NestFastifyApplication) => (app.getHttpServer().address() as { port: number }).port;

  function open(
    options: { token?: string; headers?: Record<string, string>; auth?: Record<string, unknown> } = {},
    app: NestFastifyApplication = stack.gateway,
  ): Socket {
    const socket = io(`http://127.0.0.1:${portOf(app)}`, {
      path: '/v1/realtime',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: options.auth ?? (options.token ? { token: options.token } : {}),
      extraHeaders: options.headers,
    });
    sockets.push(socket);
    return socket;
  }

  /** A connected socket of `session` with its inbox. */
  async function connected(session: Session | string, app?: NestFastifyApplication): Promise<SocketInbox> {
    const socket = open({ token: typeof session === 'string' ? session : session.accessToken }, app);
    const inbox = new SocketInbox(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(error));
    });
    return inbox;
  }

  /** The `connect_error` of a refused handshake: its code. */
  async function refusal(socket: Socket): Promise<string | undefined> {
    const error = await new Promise<Error & { data?: { code?: string } }>((resolve, reject) => {
      socket.once('connect_error', resolve);
      socket.once('connect', () => reject(new Error('the handshake was accepted')));
    });
    return error.data?.code;
  }

  const list = (session: Session, query = '') =>
    stack.http.get<PageJson<NotificationJson> & ProblemJson>(`/v1/notifications${query}`, { token: session.accessToken });

  /** `by` assigns a new contact to `to`; resolves with the contact id (the notification's `data.contactId`). */
  async function assignLead(by: Session, to: Session, http = stack.http): Promise<string> {
    const contact = await createContact(http, by.accessToken, { firstName: 'Rita', lastName: 'Realtime' });
    const assigned = await http.request('PATCH', `/v1/contacts/${contact.id}/assign`, {
      json: { ownerId: to.userId, reason: 'best fit' },
      token: by.accessToken,
    });
    expect(assigned.status).toBe(200);
    return contact.id;
  }

  const createdFor = (contactId: string) => (received: Received) =>
    received.event === 'notification.created' && (received.data as NotificationJson).data.contactId === contactId;

  describe('handshake', () => {
    it('refuses a connection without a token, with a bad or altered token, and with an API key', async () => {
      expect(await refusal(open())).toBe('UNAUTHENTICATED');
      expect(await refusal(open({ token: 'not-a-token' }))).toBe('UNAUTHENTICATED');
      const [header, payload, signature] = agent.accessToken.split('.');
      const altered = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      altered.sub = colleague.userId;
      const forged = `${header}.${Buffer.from(JSON.stringify(altered)).toString('base64url')}.${signature}`;
      expect(await refusal(open({ token: forged }))).toBe('UNAUTHENTICATED');

      const key = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'Realtime key', scopes: ['contacts:read:org'] },
        { token: owner.accessToken },
      );
      expect(key.status).toBe(201);
      expect(await refusal(open({ headers: { 'x-api-key': key.body.key } }))).toBe('USER_SESSION_REQUIRED');
      expect(await refusal(open({ auth: { apiKey: key.body.key } }))).toBe('USER_SESSION_REQUIRED');
      expect(await refusal(open({ token: key.body.key }))).toBe('UNAUTHENTICATED');
    });

    it('accepts any signed-in user, a client too, with the token in auth or the Authorization header', async () => {
      const viaAuth = await connected(client);
      expect(viaAuth.socket.connected).toBe(true);
      const viaHeader = open({ headers: { authorization: `Bearer ${agent.accessToken}` } });
      await new Promise<void>((resolve, reject) => {
        viaHeader.once('connect', () => resolve());
        viaHeader.once('connect_error', reject);
      });
      viaAuth.socket.disconnect();
      viaHeader.disconnect();
    });
  });

  describe('pushes', () => {
    it('pushes a new notification to its recipient only (the list’s view and the unread count), and the count again when read', async () => {
      const agentSocket = await connected(agent);
      const colleagueSocket = await connected(colleague);
      const strangerSocket = await connected(strangerAgent);
      const ownerSocket = await connected(owner);

      const contactId = await assignLead(owner, agent);
      const pushed = (await agentSocket.waitFor(createdFor(contactId))).data as NotificationJson;
      const listed = (await list(agent)).body.items.find((item) => item.data.contactId === contactId);
      expect(pushed).toEqual(listed);
      expect(pushed).toMatchObject({ type: 'lead_assigned', link: `/contacts/${contactId}`, readAt: null });
      const count = await agentSocket.waitFor((received) => received.event === 'unread_count.changed');
      expect((count.data as { count: number }).count).toBe(1);

      // Later pushes to the others pass through the same subject after the agent's: once theirs
      // arrived, anything of the agent's would have too.
      const colleagueContact = await assignLead(owner, colleague);
      await colleagueSocket.waitFor(createdFor(colleagueContact));
      const strangerContact = await assignLead(strangerOwner, strangerAgent);
      await strangerSocket.waitFor(createdFor(strangerContact));
      expect(colleagueSocket.of('notification.created').map((data) => (data as NotificationJson).data.contactId)).toEqual([
        colleagueContact,
      ]);
      expect(strangerSocket.of('notification.created').map((data) => (data as NotificationJson).data.contactId)).toEqual([strangerContact]);
      expect(ownerSocket.events).toEqual([]);

      const mark = agentSocket.events.length;
      const read = await stack.http.post(`/v1/notifications/${pushed.id}/read`, {}, { token: agent.accessToken });
      expect(read.status).toBe(200);
      const afterRead = await agentSocket.waitFor((received) => received.event === 'unread_count.changed', mark);
      expect(afterRead.data).toMatchObject({ count: 0 });
      expect(Date.parse((afterRead.data as { asOf: string }).asOf)).not.toBeNaN();

      await assignLead(owner, agent);
      await assignLead(owner, agent);
      await eventually(
        async () => agentSocket.of('unread_count.changed').at(-1) as { count: number },
        (value) => value.count === 2,
      );
      const beforeAll = agentSocket.events.length;
      const all = await stack.http.post<{ updated: number }>('/v1/notifications/read-all', {}, { token: agent.accessToken });
      expect(all.body).toEqual({ updated: 2 });
      const afterAll = await agentSocket.waitFor((received) => received.event === 'unread_count.changed', beforeAll);
      expect(afterAll.data).toMatchObject({ count: 0 });
      for (const inbox of [agentSocket, colleagueSocket, strangerSocket, ownerSocket]) inbox.socket.disconnect();
    });

    it('delivers a push only to sockets of the organization it names', async () => {
      const agentSocket = await connected(agent);
      const nats = await natsConnect({ servers: stack.env.NATS_URL!.split(',') });
      try {
        const subject = `${stack.env.NATS_SUBJECT_PREFIX ?? ''}${realtimePushSubject('notifications')}`;
        const send = (orgId: string, marker: string) =>
          nats.publish(
            subject,
            new TextEncoder().encode(JSON.stringify({ orgId, userId: agent.userId, event: 'test.marker', data: { marker } })),
          );
        send(strangerOwner.orgId, 'other-org');
        nats.publish(subject, new TextEncoder().encode('{"not":"a push"}'));
        send(agent.orgId, 'own-org');
        await nats.flush();
        await agentSocket.waitFor((received) => received.event === 'test.marker');
        expect(agentSocket.of('test.marker')).toEqual([{ marker: 'own-org' }]);
      } finally {
        await nats.close();
        agentSocket.socket.disconnect();
      }
    });

    it('pushes a notification once however often its event is redelivered', async () => {
      const agentSocket = await connected(agent);
      const contactId = await assignLead(owner, agent);
      const pushed = (await agentSocket.waitFor(createdFor(contactId))).data as NotificationJson;
      const pg = new Client({ connectionString: stack.env.NOTIFICATIONS_DATABASE_URL });
      await pg.connect();
      let created: CloudEvent;
      try {
        const schema = stack.env.NOTIFICATIONS_DATABASE_SCHEMA ?? 'notifications';
        const { rows } = await pg.query<{ payload: CloudEvent }>(
          `SELECT payload FROM "${schema}".outbox_event WHERE event_type = 'notifications.notification.created' AND message_key = $1`,
          [pushed.id],
        );
        created = rows[0].payload;
      } finally {
        await pg.end();
      }
      const prefix = stack.env.KAFKA_TOPIC_PREFIX ?? '';
      const producer = createProducer(
        createKafka({ clientId: 'realtime-redelivery', brokers: stack.env.KAFKA_BROKERS!.split(','), topicPrefix: prefix }),
      );
      await producer.connect();
      try {
        const message = { key: created.subject, value: JSON.stringify(created), headers: cloudEventHeaders(created) };
        await producer.send({ topic: `${prefix}notifications.events`, acks: -1, messages: [message, message] });
      } finally {
        await producer.disconnect();
      }
      // The read event is keyed by the notification id too: same partition, after the copies.
      const mark = agentSocket.events.length;
      await stack.http.post(`/v1/notifications/${pushed.id}/read`, {}, { token: agent.accessToken });
      await agentSocket.waitFor(
        (received) => received.event === 'unread_count.changed' && (received.data as { count: number }).count === 0,
        mark,
      );
      expect(agentSocket.of('notification.created').filter((data) => (data as NotificationJson).id === pushed.id)).toHaveLength(1);
      agentSocket.socket.disconnect();
    });

    it('reaches a socket on a second gateway replica for a request made through the first', async () => {
      const onB = await connected(agent, replicaB);
      const contactId = await assignLead(owner, agent);
      const pushed = (await onB.waitFor(createdFor(contactId))).data as NotificationJson;
      expect(pushed.data.contactId).toBe(contactId);
      onB.socket.disconnect();
      await stack.http.post('/v1/notifications/read-all', {}, { token: agent.accessToken });
    });
  });

  describe('catch-up after a reconnect', () => {
    it('lists exactly the notifications missed while disconnected, by the last id seen or by time', async () => {
      const first = await connected(agent);
      const seenContact = await assignLead(owner, agent);
      const lastSeen = (await first.waitFor(createdFor(seenContact))).data as NotificationJson;
      first.socket.disconnect();

      const missed = [await assignLead(owner, agent), await assignLead(owner, agent), await assignLead(owner, agent)];
      const everything = await eventually(
        () => list(agent, '?limit=100'),
        (response) => missed.every((contactId) => response.body.items.some((item) => item.data.contactId === contactId)),
      );
      const missedIds = everything.body.items.filter((item) => missed.includes(item.data.contactId as string)).map((item) => item.id);

      const again = await connected(agent);
      expect(again.socket.connected).toBe(true);
      const caughtUp = await list(agent, `?after=${lastSeen.id}`);
      expect(caughtUp.status).toBe(200);
      expect(caughtUp.body.items.map((item) => item.data.contactId).sort()).toEqual([...missed].sort());
      expect(caughtUp.body.items.map((item) => item.id)).toEqual(missedIds);

      // Paged: the same ones, two then one, keeping `after`.
      const page1 = await list(agent, `?after=${lastSeen.id}&limit=2`);
      const page2 = await list(agent, `?after=${lastSeen.id}&limit=2&cursor=${page1.body.nextCursor}`);
      expect([...page1.body.items, ...page2.body.items].map((item) => item.id)).toEqual(missedIds);
      expect(page2.body.nextCursor).toBeNull();

      const byTime = await list(agent, `?after=${encodeURIComponent(lastSeen.createdAt)}`);
      expect(byTime.body.items.map((item) => item.data.contactId).sort()).toEqual([...missed].sort());
      expect((await list(agent, `?after=${missedIds[0]}`)).body.items).toEqual([]);
      again.socket.disconnect();
    });

    it('refuses an `after` that is another user’s notification or not an id nor a date-time', async () => {
      const colleagueContact = await assignLead(owner, colleague);
      const theirs = await eventually(
        () => list(colleague),
        (response) => response.body.items.some((item) => item.data.contactId === colleagueContact),
      );
      const foreign = await list(agent, `?after=${theirs.body.items[0].id}`);
      expect(foreign.status).toBe(400);
      expect(foreign.body.code).toBe('INVALID_CURSOR');
      const strangerSees = await list(strangerAgent, `?after=${theirs.body.items[0].id}`);
      expect(strangerSees.status).toBe(400);
      expect(strangerSees.body.code).toBe('INVALID_CURSOR');
      const garbage = await list(agent, '?after=yesterday');
      expect(garbage.status).toBe(400);
      expect(garbage.body.errors?.map((error) => error.field)).toContain('after');
    });
  });

  describe('token lifetime', () => {
    /** The session's own access token re-signed with identity's active key, expiring `seconds` from now. */
    async function expiringToken(session: Session, seconds: number): Promise<{ token: string; exp: number }> {
      const config = loadIdentityConfig(stack.env);
      const cipher = new SecretCipher(config.IDENTITY_ENCRYPTION_KEYS.ring, config.IDENTITY_ENCRYPTION_KEYS.activeKeyId);
      const pg = new Client({
        host: stack.env.PGHOST ?? '127.0.0.1',
        port: Number(stack.env.PGPORT ?? 5432),
        user: stack.env.PGUSER ?? 'postgres',
        password: stack.env.PGPASSWORD,
        database: stack.isolation.database,
      });
      await pg.connect();
      try {
        const [key] = (
          await pg.query<{ kid: string; private_jwk_enc: string }>(
            'SELECT kid, private_jwk_enc FROM identity.signing_key WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1',
          )
        ).rows;
        const jwk = JSON.parse(cipher.decrypt(key.private_jwk_enc, `identity|signing_key|${key.kid}`)) as JWK;
        const claims = JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
        const exp = Math.floor(Date.now() / 1000) + seconds;
        const token = await new SignJWT({ ...claims, exp })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
          .sign(await importJWK(jwk, 'ES256'));
        return { token, exp };
      } finally {
        await pg.end();
      }
    }

    it('tells the client its token expired and closes the socket at the token’s exp', async () => {
      const { token } = await expiringToken(agent, 4);
      const inbox = await connected(token);
      const reason = await inbox.waitForDisconnect();
      expect(inbox.of('auth_expired')).toEqual([{ reason: 'expired' }]);
      expect(reason).toBe('io server disconnect');
    });

    it('keeps a socket past the old exp after a reauth with a fresh token, and refuses another user’s token', async () => {
      const { token, exp } = await expiringToken(agent, 4);
      const inbox = await connected(token);
      const otherUser = await inbox.socket.timeout(10_000).emitWithAck('reauth', { token: colleague.accessToken });
      expect(otherUser).toEqual({ ok: false, code: 'FORBIDDEN' });
      const garbage = await inbox.socket.timeout(10_000).emitWithAck('reauth', { token: 'nope' });
      expect(garbage).toEqual({ ok: false, code: 'UNAUTHENTICATED' });
      const fresh = (await inbox.socket.timeout(10_000).emitWithAck('reauth', { token: agent.accessToken })) as {
        ok: boolean;
        expiresAt: string;
      };
      expect(fresh.ok).toBe(true);
      expect(Date.parse(fresh.expiresAt)).toBeGreaterThan(exp * 1000);

      // Past the first token's exp, the socket is open and still gets pushes.
      await eventually(
        async () => Date.now(),
        (now) => now > exp * 1000 + 1000,
        15_000,
      );
      const contactId = await assignLead(owner, agent);
      await inbox.waitFor(createdFor(contactId));
      expect(inbox.socket.connected).toBe(true);
      expect(inbox.of('auth_expired')).toEqual([]);
      inbox.socket.disconnect();
      await stack.http.post('/v1/notifications/read-all', {}, { token: agent.accessToken });
    });

    it('closes the socket of a session that logged out', async () => {
      const session = await createUser(stack.http, owner, 'agent');
      const inbox = await connected(session);
      const logout = await stack.http.post('/v1/auth/logout', {}, { token: session.accessToken });
      expect(logout.status).toBe(204);
      await inbox.waitForDisconnect();
      expect(inbox.of('auth_expired')).toEqual([{ reason: 'revoked' }]);
      expect(await refusal(open({ token: session.accessToken }))).toBe('UNAUTHENTICATED');
    });
  });
});
