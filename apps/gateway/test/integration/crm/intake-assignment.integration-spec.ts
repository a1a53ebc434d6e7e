import { DataSource } from 'typeorm';
import type { Page } from '@keyhouse/contracts';
import {
  createAgent,
  createContact,
  uniquePhone,
  waitForAgentsInCrm,
  type AgentSession,
  type ContactJson,
  type ProblemJson,
} from '../../support/crm-fixtures';
import { createUser, login, registerOrganization, type Session } from '../../support/fixtures';
import { startStack, type TestStack } from '../../support/stack';

interface LedgerEntry {
  agentId: string;
  assigned: number;
  shareBps: number;
}

/** One deadline "minute" lasts this long in this file (CRM_RESPONSE_DEADLINE_UNIT_MS). */
const DEADLINE_UNIT_MS = 400;

async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() - started > timeoutMs) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

describe('CRM lead intake and assignment (through the gateway)', () => {
  let stack: TestStack;
  let owner: Session & { publicFormKey: string };
  let other: Session & { publicFormKey: string };
  let manager: Session;
  let agents: AgentSession[];
  let away: AgentSession;
  let apiKey: string;

  const rule = async (body: Record<string, unknown>, token = owner.accessToken) =>
    stack.http.post<{ id: string } & ProblemJson>('/v1/assignment-rules', body, { token });

  beforeAll(async () => {
    stack = await startStack({ CRM_RESPONSE_DEADLINE_UNIT_MS: String(DEADLINE_UNIT_MS) }, { services: ['crm'] });
    owner = await registerOrganization(stack.http, 'Intake Realty');
    other = await registerOrganization(stack.http, 'Rival Realty');
    const team = await stack.http.post<{ id: string }>('/v1/teams', { name: 'Routing' }, { token: owner.accessToken });
    manager = await createUser(stack.http, owner, 'manager', { teamIds: [team.body.id] });
    agents = [];
    // agents[4] has room for one active lead only (load-balancing test).
    for (let i = 0; i < 6; i += 1)
      agents.push(await createAgent(stack.http, owner, { teamIds: [team.body.id], regions: [`9810${i}`], capacity: i === 4 ? 1 : 25 }));
    away = await createAgent(stack.http, owner, { workingHours: { timezone: 'Pacific/Kiritimati', days: {} } });
    await waitForAgentsInCrm(stack.http, owner, [...agents.map((a) => a.userId), away.userId]);
    const key = await stack.http.post<{ key: string }>(
      '/v1/api-keys',
      { name: 'Website', scopes: ['leads:write:org'] },
      { token: owner.accessToken },
    );
    apiKey = key.body.key;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('POST /v1/lead-events', () => {
    const event = (externalId: string, email: string) => ({
      type: 'inquiry',
      source: 'zillow',
      externalId,
      person: { firstName: 'Ivy', lastName: 'Park', email, postalCode: '98115' },
      property: { mlsNumber: 'NW123', priceCents: 85_000_000, postalCode: '98115' },
      message: 'Is it still available?',
    });

    it('creates the contact once per source + external id and records the event on its timeline', async () => {
      const first = await stack.http.post<{ contactId: string; merged: boolean; duplicateEvent: boolean }>(
        '/v1/lead-events',
        event('z-1', 'ivy@example.test'),
        { apiKey },
      );
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ merged: false, duplicateEvent: false });
      const again = await stack.http.post<{ contactId: string; duplicateEvent: boolean }>(
        '/v1/lead-events',
        event('z-1', 'ivy@example.test'),
        { apiKey },
      );
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ contactId: first.body.contactId, duplicateEvent: true });
      const next = await stack.http.post<{ contactId: string; merged: boolean }>(
        '/v1/lead-events',
        { ...event('z-2', 'IVY@example.test'), type: 'saved_property' },
        { apiKey },
      );
      expect(next.body).toMatchObject({ contactId: first.body.contactId, merged: true });
      const contact = await stack.http.get<ContactJson>(`/v1/contacts/${first.body.contactId}`, { token: owner.accessToken });
      expect(contact.body).toMatchObject({ source: 'zillow', email: 'ivy@example.test' });
      expect(contact.body.scoreReasons.map((reason) => reason.signal)).toEqual(
        expect.arrayContaining(['recent_activity', 'engagement', 'source']),
      );
      const timeline = await stack.http.get<Page<{ kind: string }>>(`/v1/contacts/${first.body.contactId}/timeline`, {
        token: owner.accessToken,
      });
      expect(timeline.body.items.filter((entry) => entry.kind === 'lead.event')).toHaveLength(2);
    });

    it('dates the activity by the event’s occurredAt: a 10-day-old inquiry counts 15 recency points, not 30', async () => {
      const occurredAt = new Date(Date.now() - 10 * 86_400_000).toISOString();
      const response = await stack.http.post<{ contactId: string; merged: boolean }>(
        '/v1/lead-events',
        {
          ...event('z-old', 'old@example.test'),
          person: { firstName: 'Otto', lastName: 'Older', email: 'old@example.test' },
          occurredAt,
          property: undefined,
        },
        { apiKey },
      );
      expect(response.body).toMatchObject({ merged: false });
      const contact = await stack.http.get<ContactJson>(`/v1/contacts/${response.body.contactId}`, { token: owner.accessToken });
      expect(contact.body.scoreReasons.find((reason) => reason.signal === 'recent_activity')?.points).toBe(15);
    });

    it('refuses callers without leads:write (users, keys of other scopes) and keeps organizations apart', async () => {
      expect((await stack.http.post('/v1/lead-events', event('z-3', 'x@example.test'), { token: owner.accessToken })).status).toBe(403);
      const readKey = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'Read', scopes: ['agents:read:org'] },
        { token: owner.accessToken },
      );
      expect((await stack.http.post('/v1/lead-events', event('z-3', 'x@example.test'), { apiKey: readKey.body.key })).status).toBe(403);
      const rivalKey = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'Rival', scopes: ['leads:write:org'] },
        { token: other.accessToken },
      );
      const rival = await stack.http.post<{ contactId: string; merged: boolean }>('/v1/lead-events', event('z-1', 'ivy@example.test'), {
        apiKey: rivalKey.body.key,
      });
      expect(rival.status).toBe(201);
      expect(rival.body.merged).toBe(false);
      expect((await stack.http.get(`/v1/contacts/${rival.body.contactId}`, { token: owner.accessToken })).status).toBe(404);
    });
  });

  describe('POST /v1/public/leads', () => {
    it('creates one contact for the same Idempotency-Key twice, merges a later submission (200), stores each submission', async () => {
      const body = {
        formKey: owner.publicFormKey,
        firstName: 'Noah',
        lastName: 'Reed',
        email: 'noah@example.test',
        message: 'Selling in spring',
        source: 'website',
      };
      const headers = { 'idempotency-key': 'form-submit-0001' };
      const first = await stack.http.post<{ contactId: string; merged: boolean }>('/v1/public/leads', body, { headers });
      expect(first.status).toBe(201);
      expect(first.body.merged).toBe(false);
      const replay = await stack.http.post<{ contactId: string; merged: boolean }>('/v1/public/leads', body, { headers });
      expect(replay.body).toEqual(first.body);
      const list = await stack.http.get<Page<ContactJson>>('/v1/contacts?q=noah@example.test', { token: owner.accessToken });
      expect(list.body.items).toHaveLength(1);
      const later = await stack.http.post<{ contactId: string; merged: boolean }>(
        '/v1/public/leads',
        { ...body, phone: '206-555-0188', message: 'Also buying', consent: { sms: true } },
        { headers: { 'idempotency-key': 'form-submit-0002' } },
      );
      expect(later.status).toBe(200);
      expect(later.body).toEqual({ contactId: first.body.contactId, merged: true });
      const contact = await stack.http.get<ContactJson & { consent: Record<string, { granted: boolean; source: string }> }>(
        `/v1/contacts/${first.body.contactId}`,
        {
          token: owner.accessToken,
        },
      );
      expect(contact.body.phones).toEqual(['+12065550188']);
      expect(contact.body.consent.sms).toMatchObject({ granted: true, source: 'web_form' });
      const timeline = await stack.http.get<Page<{ kind: string; data: { message: string } }>>(
        `/v1/contacts/${first.body.contactId}/timeline`,
        { token: owner.accessToken },
      );
      expect(timeline.body.items.filter((entry) => entry.kind === 'form.submitted').map((entry) => entry.data.message)).toEqual([
        'Also buying',
        'Selling in spring',
      ]);
    });

    it('creates one contact when the same person submits several forms at the same moment', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          stack.http.post<{ contactId: string; merged: boolean }>('/v1/public/leads', {
            formKey: owner.publicFormKey,
            lastName: 'Rush',
            email: 'rush@example.test',
            message: `try ${i}`,
          }),
        ),
      );
      expect(new Set(results.map((r) => r.body.contactId)).size).toBe(1);
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    });

    it('answers 404 for an unknown form key and 400 without email or phone', async () => {
      expect(
        (await stack.http.post<ProblemJson>('/v1/public/leads', { formKey: 'pfk_doesnotexist00', email: 'a@example.test' })).status,
      ).toBe(404);
      expect((await stack.http.post<ProblemJson>('/v1/public/leads', { formKey: owner.publicFormKey, firstName: 'Anon' })).status).toBe(
        400,
      );
    });
  });

  describe('POST /v1/public/clients/register', () => {
    it('creates a client linked to the existing contact, who then sees only that contact', async () => {
      const existing = await stack.http.post<{ contactId: string }>('/v1/public/leads', {
        formKey: owner.publicFormKey,
        firstName: 'Cleo',
        lastName: 'Client',
        email: 'cleo@example.test',
      });
      const registered = await stack.http.post<{ userId: string; contactId: string }>('/v1/public/clients/register', {
        formKey: owner.publicFormKey,
        name: 'Cleo Client',
        email: 'cleo@example.test',
        password: 'a long client password 42',
      });
      expect(registered.status).toBe(201);
      expect(registered.body.contactId).toBe(existing.body.contactId);
      const client = await login(stack.http, 'cleo@example.test', 'a long client password 42');
      const seen = await eventually(
        () => stack.http.get<Page<ContactJson>>('/v1/contacts', { token: client.accessToken }),
        (response) => response.body.items.length > 0,
      );
      expect(seen.body.items.map((c) => c.id)).toEqual([existing.body.contactId]);
      const someoneElse = await createContact(stack.http, owner.accessToken, { lastName: 'Stranger', email: 'stranger@example.test' });
      expect((await stack.http.get(`/v1/contacts/${someoneElse.id}`, { token: client.accessToken })).status).toBe(404);
      expect(
        (await stack.http.patch(`/v1/contacts/${existing.body.contactId}`, { status: 'lost' }, { token: client.accessToken })).status,
      ).toBe(403);
      const again = await stack.http.post<ProblemJson>('/v1/public/clients/register', {
        formKey: owner.publicFormKey,
        name: 'Cleo Again',
        email: 'cleo@example.test',
        password: 'a long client password 42',
      });
      expect(again.status).toBe(409);
      expect(
        (
          await stack.http.post('/v1/public/clients/register', {
            formKey: 'pfk_unknownunknown',
            name: 'X Y',
            email: 'xy@example.test',
            password: 'a long client password 42',
          })
        ).status,
      ).toBe(404);
    });
  });

  describe('assignment rules', () => {
    it('are written by admins only, read by managers and agents, and invisible to other organizations', async () => {
      const body = {
        name: 'Referrals to the first agent',
        priority: 10,
        conditions: { sources: ['referral'] },
        strategy: 'agent',
        agentIds: [agents[0].userId],
      };
      expect((await rule(body, agents[0].accessToken)).status).toBe(403);
      expect((await rule(body, manager.accessToken)).status).toBe(403);
      const created = await rule(body);
      expect(created.status).toBe(201);
      expect((await stack.http.get(`/v1/assignment-rules/${created.body.id}`, { token: manager.accessToken })).status).toBe(200);
      expect((await stack.http.get(`/v1/assignment-rules/${created.body.id}`, { token: agents[0].accessToken })).status).toBe(200);
      expect((await stack.http.get(`/v1/assignment-rules/${created.body.id}`, { token: other.accessToken })).status).toBe(404);
      expect(
        (await stack.http.patch(`/v1/assignment-rules/${created.body.id}`, { priority: 11 }, { token: other.accessToken })).status,
      ).toBe(404);
      const unknown = await rule({ ...body, agentIds: [other.userId] });
      expect(unknown.body.code).toBe('UNKNOWN_AGENT');
      expect((await stack.http.delete(`/v1/assignment-rules/${created.body.id}`, { token: other.accessToken })).status).toBe(404);
      expect((await stack.http.delete(`/v1/assignment-rules/${created.body.id}`, { token: manager.accessToken })).status).toBe(403);
      // Agents read the rules, ponds and fairness ledger that route leads to them, and change none of them.
      expect((await stack.http.get(`/v1/assignment-rules/${created.body.id}/ledger`, { token: agents[0].accessToken })).status).toBe(200);
      expect((await stack.http.delete(`/v1/assignment-rules/${created.body.id}`, { token: agents[0].accessToken })).status).toBe(403);
      expect(
        (await stack.http.get<unknown[]>(`/v1/assignment-rules/${created.body.id}/ledger`, { token: other.accessToken })).body,
      ).toEqual([]);
      expect((await stack.http.get<unknown[]>('/v1/assignment-rules', { token: other.accessToken })).body).toEqual([]);
      expect((await stack.http.post('/v1/ponds', { name: 'Mine' }, { token: agents[0].accessToken })).status).toBe(403);
      expect((await stack.http.get('/v1/ponds', { token: agents[0].accessToken })).status).toBe(200);
      expect((await stack.http.get<unknown[]>('/v1/ponds', { token: other.accessToken })).body).toEqual([]);
    });

    it('strategy agent: routes a matching new lead to the named agent and explains it', async () => {
      const contact = await createContact(stack.http, owner.accessToken, { firstName: 'Rita', lastName: 'Referred', source: 'referral' });
      expect(contact.ownerId).toBe(agents[0].userId);
      const assignment = await stack.http.get<{ ownerId: string; ruleId: string; reason: string; history: unknown[] }>(
        `/v1/contacts/${contact.id}/assignment`,
        {
          token: agents[0].accessToken,
        },
      );
      expect(assignment.body.reason).toContain('Referrals to the first agent');
      expect(assignment.body.history).toHaveLength(1);
      expect((await stack.http.get(`/v1/contacts/${contact.id}/assignment`, { token: agents[1].accessToken })).status).toBe(404);
      expect((await stack.http.get(`/v1/contacts/${contact.id}/assignment`, { token: other.accessToken })).status).toBe(404);
    });

    it('round-robin stays fair over 1,000 concurrent leads: no agent more than one ahead', async () => {
      const pool = agents.slice(1, 4).map((a) => a.userId);
      const created = await rule({
        name: 'IDX rotation',
        priority: 20,
        conditions: { sources: ['idx'] },
        strategy: 'round_robin',
        agentIds: pool,
      });
      expect(created.status).toBe(201);
      let next = 0;
      const worker = async () => {
        while (next < 1000) {
          const i = next++;
          const response = await stack.http.post('/v1/public/leads', {
            formKey: owner.publicFormKey,
            email: `rr-${i}@example.test`,
            source: 'idx',
          });
          if (response.status !== 201) throw new Error(`lead ${i}: ${response.status} ${JSON.stringify(response.body)}`);
        }
      };
      await Promise.all(Array.from({ length: 12 }, worker));
      const ledger = await stack.http.get<LedgerEntry[]>(`/v1/assignment-rules/${created.body.id}/ledger`, { token: manager.accessToken });
      const counts = ledger.body.map((entry) => entry.assigned);
      expect(ledger.body.map((entry) => entry.agentId).sort()).toEqual([...pool].sort());
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(ledger.body.reduce((sum, entry) => sum + entry.shareBps, 0)).toBeGreaterThanOrEqual(9_999);
    }, 180_000);

    it('load-balanced: respects capacity and working hours, and falls back to the next rule when nobody is eligible', async () => {
      const [small, roomy] = [agents[4], agents[5]];
      expect(
        (
          await rule({
            name: 'Open houses balanced',
            priority: 30,
            conditions: { sources: ['open_house'] },
            strategy: 'load_balanced',
            agentIds: [small.userId, roomy.userId, away.userId],
          })
        ).status,
      ).toBe(201);
      const owners: string[] = [];
      for (let i = 0; i < 4; i += 1)
        owners.push(
          (
            await createContact(stack.http, owner.accessToken, {
              lastName: `Visitor ${i}`,
              source: 'open_house',
              email: `oh-${i}@example.test`,
            })
          ).ownerId!,
        );
      expect(owners.filter((id) => id === small.userId)).toHaveLength(1);
      expect(owners.filter((id) => id === away.userId)).toHaveLength(0);
      expect(owners.filter((id) => id === roomy.userId)).toHaveLength(3);

      expect(
        (
          await rule({
            name: 'Sign calls to the away agent',
            priority: 40,
            conditions: { sources: ['sign_call'] },
            strategy: 'load_balanced',
            agentIds: [away.userId],
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await rule({
            name: 'Sign call fallback',
            priority: 41,
            conditions: { sources: ['sign_call'] },
            strategy: 'agent',
            agentIds: [roomy.userId],
          })
        ).status,
      ).toBe(201);
      const fallback = await createContact(stack.http, owner.accessToken, { lastName: 'Caller', source: 'sign_call' });
      expect(fallback.ownerId).toBe(roomy.userId);
      expect(fallback.assignment.reason).toContain('fallback');
    });

    it('pond: the lead waits unowned; the first eligible claim wins, the second gets 409', async () => {
      const pond = await stack.http.post<{ id: string }>(
        '/v1/ponds',
        { name: 'Social pond', agentIds: [agents[1].userId, agents[2].userId] },
        { token: owner.accessToken },
      );
      expect(
        (
          await rule({
            name: 'Social to the pond',
            priority: 50,
            conditions: { sources: ['social'] },
            strategy: 'pond',
            pondId: pond.body.id,
          })
        ).status,
      ).toBe(201);
      const lead = await createContact(stack.http, owner.accessToken, { lastName: 'Pondered', source: 'social', phone: uniquePhone() });
      expect(lead).toMatchObject({ ownerId: null, pondId: pond.body.id });
      const visibleTo = async (agent: AgentSession) =>
        (await stack.http.get<Page<ContactJson>>(`/v1/contacts?pondId=${pond.body.id}`, { token: agent.accessToken })).body.items.map(
          (c) => c.id,
        );
      expect(await visibleTo(agents[1])).toEqual([lead.id]);
      expect(await visibleTo(agents[3])).toEqual([]);
      expect((await stack.http.patch(`/v1/contacts/${lead.id}`, { status: 'lost' }, { token: agents[1].accessToken })).status).toBe(404);
      expect(
        (await stack.http.post<ProblemJson>(`/v1/ponds/${pond.body.id}/claim`, { contactId: lead.id }, { token: agents[3].accessToken }))
          .body.code,
      ).toBe('NOT_ELIGIBLE_FOR_POND');
      expect((await stack.http.post(`/v1/ponds/${pond.body.id}/claim`, { contactId: lead.id }, { token: other.accessToken })).status).toBe(
        404,
      );
      const [a, b] = await Promise.all([
        stack.http.post<ContactJson>(`/v1/ponds/${pond.body.id}/claim`, { contactId: lead.id }, { token: agents[1].accessToken }),
        stack.http.post<ContactJson>(`/v1/ponds/${pond.body.id}/claim`, { contactId: lead.id }, { token: agents[2].accessToken }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const winner = a.status === 200 ? agents[1] : agents[2];
      const now = await stack.http.get<ContactJson>(`/v1/contacts/${lead.id}`, { token: winner.accessToken });
      expect(now.body).toMatchObject({ ownerId: winner.userId, pondId: null });
    });

    it('pond changes: admins rename a pond and replace its agents; delete only an empty pond no rule routes to', async () => {
      const pond = await stack.http.post<{ id: string }>(
        '/v1/ponds',
        { name: 'Open house pond', agentIds: [agents[1].userId] },
        { token: owner.accessToken },
      );
      const route = `/v1/ponds/${pond.body.id}`;
      for (const [token, status] of [
        [agents[1].accessToken, 403],
        [manager.accessToken, 403],
        [other.accessToken, 404],
      ] as const) {
        expect((await stack.http.patch(route, { name: 'Taken over' }, { token })).status).toBe(status);
        expect((await stack.http.delete(route, { token })).status).toBe(status);
      }
      const unknownAgent = await stack.http.patch<ProblemJson>(route, { agentIds: [manager.userId] }, { token: owner.accessToken });
      expect(unknownAgent.status).toBe(400);
      expect(unknownAgent.body.errors?.[0]?.field).toBe('agentIds');
      const changed = await stack.http.patch<{ name: string; agentIds: string[] }>(
        route,
        { name: 'Open house leads', agentIds: [agents[3].userId] },
        { token: owner.accessToken },
      );
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ name: 'Open house leads', agentIds: [agents[3].userId], unclaimed: 0 });

      const routed = await rule({
        name: 'Past clients to the pond',
        priority: 60,
        conditions: { sources: ['past_client'] },
        strategy: 'pond',
        pondId: pond.body.id,
      });
      const lead = await createContact(stack.http, owner.accessToken, { lastName: 'Walk-in', source: 'past_client', phone: uniquePhone() });
      expect(lead.pondId).toBe(pond.body.id);
      // The new list decides who claims: agents[1] no longer may.
      expect((await stack.http.post<ProblemJson>(`${route}/claim`, {}, { token: agents[1].accessToken })).body.code).toBe(
        'NOT_ELIGIBLE_FOR_POND',
      );
      const notEmpty = await stack.http.delete<ProblemJson>(route, { token: owner.accessToken });
      expect([notEmpty.status, notEmpty.body.code, notEmpty.body.unclaimed]).toEqual([409, 'POND_NOT_EMPTY', 1]);
      expect((await stack.http.post(`${route}/claim`, {}, { token: agents[3].accessToken })).status).toBe(200);
      const inUse = await stack.http.delete<ProblemJson>(route, { token: owner.accessToken });
      expect([inUse.status, inUse.body.code, inUse.body.ruleIds]).toEqual([409, 'POND_IN_USE', [routed.body.id]]);
      expect((await stack.http.delete(`/v1/assignment-rules/${routed.body.id}`, { token: owner.accessToken })).status).toBe(204);
      expect((await stack.http.delete(route, { token: owner.accessToken })).status).toBe(204);
      expect((await stack.http.delete(route, { token: owner.accessToken })).status).toBe(404);
      expect((await stack.http.get<Array<{ id: string }>>('/v1/ponds', { token: owner.accessToken })).body.map((p) => p.id)).not.toContain(
        pond.body.id,
      );
      expect((await stack.http.post(`${route}/claim`, {}, { token: agents[3].accessToken })).status).toBe(404);
      const ruleToDeleted = await rule({ name: 'To a deleted pond', priority: 61, strategy: 'pond', pondId: pond.body.id });
      expect([ruleToDeleted.status, ruleToDeleted.body.errors?.[0]?.field]).toEqual([400, 'pondId']);

      const events = (await stack.services
        .crm!.get(DataSource)
        .query(`SELECT event_type AS type, payload->'data' AS data FROM outbox_event WHERE message_key = $1 ORDER BY seq`, [
          pond.body.id,
        ])) as Array<{ type: string; data: { pond: { name: string; agentIds: string[] }; changes?: Record<string, unknown> } }>;
      expect(events.map((e) => e.type)).toEqual(['crm.pond.created', 'crm.pond.updated', 'crm.pond.deleted']);
      expect(events[1].data.changes).toEqual({
        name: { from: 'Open house pond', to: 'Open house leads' },
        agentIds: { from: [agents[1].userId], to: [agents[3].userId] },
      });
      expect(events[2].data.pond).toMatchObject({ name: 'Open house leads', agentIds: [agents[3].userId], unclaimed: 0 });
    });

    it('speed-to-lead: re-routes a lead nobody contacted by the deadline, keeps one that was contacted', async () => {
      const pair = [agents[2].userId, agents[3].userId];
      expect(
        (
          await rule({
            name: 'Realtor.com fast',
            priority: 60,
            conditions: { sources: ['realtor_com'] },
            strategy: 'round_robin',
            agentIds: pair,
            responseDeadlineMinutes: 2,
          })
        ).status,
      ).toBe(201);
      const ignored = await createContact(stack.http, owner.accessToken, { lastName: 'Waiting', source: 'realtor_com' });
      const served = await createContact(stack.http, owner.accessToken, { lastName: 'Served', source: 'realtor_com' });
      const servedBy = agents.find((a) => a.userId === served.ownerId)!;
      expect((await stack.http.patch(`/v1/contacts/${served.id}`, { status: 'contacted' }, { token: servedBy.accessToken })).status).toBe(
        200,
      );
      const moved = await eventually(
        () =>
          stack.http.get<{ ownerId: string; reason: string; history: Array<{ endReason: string | null }> }>(
            `/v1/contacts/${ignored.id}/assignment`,
            { token: owner.accessToken },
          ),
        (response) => response.body.ownerId !== ignored.ownerId,
      );
      expect(moved.body.ownerId).toBe(pair.find((id) => id !== ignored.ownerId));
      expect(moved.body.reason).toContain('Speed-to-lead');
      expect(moved.body.history.map((entry) => entry.endReason)).toEqual([null, 'speed_to_lead']);
      await new Promise((resolve) => setTimeout(resolve, 3 * DEADLINE_UNIT_MS));
      expect((await stack.http.get<ContactJson>(`/v1/contacts/${served.id}`, { token: owner.accessToken })).body.ownerId).toBe(
        servedBy.userId,
      );
    });

    it('manual assignment: managers within their team, not agents, not other organizations', async () => {
      const contact = await createContact(stack.http, agents[0].accessToken, { lastName: 'Handover' });
      expect(
        (await stack.http.patch(`/v1/contacts/${contact.id}/assign`, { ownerId: agents[1].userId }, { token: agents[0].accessToken }))
          .status,
      ).toBe(403);
      expect(
        (await stack.http.patch(`/v1/contacts/${contact.id}/assign`, { ownerId: agents[1].userId }, { token: other.accessToken })).status,
      ).toBe(404);
      expect(
        (await stack.http.patch<ProblemJson>(`/v1/contacts/${contact.id}/assign`, { ownerId: away.userId }, { token: manager.accessToken }))
          .body.code,
      ).toBe('OWNER_OUT_OF_SCOPE');
      const moved = await stack.http.patch<ContactJson>(
        `/v1/contacts/${contact.id}/assign`,
        { ownerId: agents[1].userId, reason: 'Vacation cover' },
        { token: manager.accessToken },
      );
      expect(moved.status).toBe(200);
      expect(moved.body.ownerId).toBe(agents[1].userId);
      expect((await stack.http.get(`/v1/contacts/${contact.id}`, { token: agents[0].accessToken })).status).toBe(404);
    });
  });
});
