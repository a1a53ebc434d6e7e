import {
  CrmContactSubjects as S,
  type Actor,
  type CrmAssignmentRuleInput,
  type CrmLeadEventRequest,
  type CrmPublicLeadRequest,
} from '@keyhouse/contracts';
import { apiKeyActorFor, startService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { createContact, crmDataSource, uniquePhone, type CrmTestService } from '../support/crm-contacts.util';
import { identityEventsOf, seedIdentity, userOf } from '../support/crm-users.util';

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

/**
 * Lead intake (lead events, public forms, client registration through identity's event) and
 * assignment (rules, ponds, round robin, load balancing, speed-to-lead, manual) on the crm
 * service alone, over NATS. The HTTP side (statuses, Idempotency-Key, form keys, registration
 * in identity) is apps/gateway/test/integration/crm/crm-http.integration-spec.ts.
 */
describe('crm lead intake and assignment (crm service over NATS)', () => {
  let crm: CrmTestService;
  const orgId = newId();
  const teamId = newId();
  const owner = userOf(orgId, 'owner');
  const other = userOf(newId(), 'owner');
  const manager = userOf(orgId, 'manager', { teamIds: [teamId] });
  // agents[4] has room for one active lead only (load-balancing test).
  const agents = Array.from({ length: 6 }, () => userOf(orgId, 'agent', { teamIds: [teamId] }));
  const away = userOf(orgId, 'agent');
  /** The organization's website key (`leads:write:org`), created by the owner. */
  const apiKey = apiKeyActorFor({ orgId, permissions: ['leads:write:org'], userId: owner.userId });

  const rule = (body: CrmAssignmentRuleInput, actor: Actor = owner) => crm.rpc.call(S.ruleCreate, body, actor);
  /** A public form submission of `owner`'s organization (the gateway resolved its form key). */
  const submit = (body: Omit<CrmPublicLeadRequest, 'orgId'>) => crm.rpc.call(S.publicLeadCapture, { ...body, orgId }, null);

  beforeAll(async () => {
    crm = await startService(startCrm, { CRM_RESPONSE_DEADLINE_UNIT_MS: String(DEADLINE_UNIT_MS) });
    await seedIdentity(crm, [
      ...identityEventsOf(owner),
      ...identityEventsOf(other),
      ...identityEventsOf(manager),
      ...agents.flatMap((agent, i) => identityEventsOf(agent, { profile: { regions: [`9810${i}`], capacity: i === 4 ? 1 : 25 } })),
      ...identityEventsOf(away, { profile: { workingHours: { timezone: 'Pacific/Kiritimati', days: {} } } }),
    ]);
  });

  afterAll(async () => {
    await crm?.stop();
  });

  describe('crm.lead-events.ingest', () => {
    const event = (externalId: string, email: string): CrmLeadEventRequest => ({
      type: 'inquiry',
      source: 'zillow',
      externalId,
      person: { firstName: 'Ivy', lastName: 'Park', email, postalCode: '98115' },
      property: { mlsNumber: 'NW123', priceCents: 85_000_000, postalCode: '98115' },
      message: 'Is it still available?',
    });

    it('creates the contact once per source + external id and records the event on its timeline', async () => {
      const first = await crm.rpc.call(S.leadEventIngest, event('z-1', 'ivy@example.test'), apiKey);
      expect(first).toMatchObject({ merged: false, duplicateEvent: false });
      const again = await crm.rpc.call(S.leadEventIngest, event('z-1', 'ivy@example.test'), apiKey);
      expect(again).toMatchObject({ contactId: first.contactId, duplicateEvent: true });
      const next = await crm.rpc.call(S.leadEventIngest, { ...event('z-2', 'IVY@example.test'), type: 'saved_property' }, apiKey);
      expect(next).toMatchObject({ contactId: first.contactId, merged: true });
      const contact = await crm.rpc.call(S.get, { id: first.contactId }, owner);
      expect(contact).toMatchObject({ source: 'zillow', email: 'ivy@example.test' });
      expect(contact.scoreReasons.map((reason) => reason.signal)).toEqual(
        expect.arrayContaining(['recent_activity', 'engagement', 'source']),
      );
      const timeline = await crm.rpc.call(S.timeline, { id: first.contactId }, owner);
      expect(timeline.items.filter((entry) => entry.kind === 'lead.event')).toHaveLength(2);
    });

    it('dates the activity by the event’s occurredAt: a 10-day-old inquiry counts 15 recency points, not 30', async () => {
      const occurredAt = new Date(Date.now() - 10 * 86_400_000).toISOString();
      const response = await crm.rpc.call(
        S.leadEventIngest,
        {
          ...event('z-old', 'old@example.test'),
          person: { firstName: 'Otto', lastName: 'Older', email: 'old@example.test' },
          occurredAt,
          property: undefined,
        },
        apiKey,
      );
      expect(response).toMatchObject({ merged: false });
      const contact = await crm.rpc.call(S.get, { id: response.contactId }, owner);
      expect(contact.scoreReasons.find((reason) => reason.signal === 'recent_activity')?.points).toBe(15);
    });

    it('refuses callers without leads:write (users, keys of other scopes) and keeps organizations apart', async () => {
      await expect(crm.rpc.call(S.leadEventIngest, event('z-3', 'x@example.test'), owner)).rejects.toMatchObject({ kind: 'forbidden' });
      const readKey = apiKeyActorFor({ orgId, permissions: ['agents:read:org'], userId: owner.userId });
      await expect(crm.rpc.call(S.leadEventIngest, event('z-3', 'x@example.test'), readKey)).rejects.toMatchObject({ kind: 'forbidden' });
      const rivalKey = apiKeyActorFor({ orgId: other.orgId, permissions: ['leads:write:org'], userId: other.userId });
      const rival = await crm.rpc.call(S.leadEventIngest, event('z-1', 'ivy@example.test'), rivalKey);
      expect(rival.merged).toBe(false);
      await expect(crm.rpc.call(S.get, { id: rival.contactId }, owner)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('crm.public-leads.capture', () => {
    it('joins a later submission to the contact, keeps its details as proposed until accepted, and stores each submission', async () => {
      const body = {
        firstName: 'Noah',
        lastName: 'Reed',
        email: 'noah@example.test',
        message: 'Selling in spring',
        source: 'website' as const,
      };
      const first = await submit(body);
      expect(first.merged).toBe(false);
      expect((await crm.rpc.call(S.list, { q: 'noah@example.test' }, owner)).items).toHaveLength(1);
      const later = await submit({ ...body, phone: '206-555-0188', message: 'Also buying', consent: { sms: true } });
      expect(later).toEqual({ submissionId: expect.any(String), contactId: first.contactId, merged: true });
      // an anonymous form changes a known contact's details only when an agent accepts them (issue 13 item 6)
      expect((await crm.rpc.call(S.get, { id: first.contactId }, owner)).phones).toEqual([]);
      const timeline = await crm.rpc.call(S.timeline, { id: first.contactId }, owner);
      const proposal = timeline.items.find((entry) => entry.kind === 'form.submitted' && entry.data.submissionId === later.submissionId)!;
      const contact = await crm.rpc.call(S.proposedDetailsAccept, { id: first.contactId, entryId: proposal.id }, owner);
      expect(contact.phones).toEqual(['+12065550188']);
      // consent given on an anonymous form for a known person stays on the submission, not on the contact
      expect(contact.consent.sms?.granted ?? false).toBe(false);
      expect(timeline.items.filter((entry) => entry.kind === 'form.submitted').map((entry) => entry.data.message)).toEqual([
        'Also buying',
        'Selling in spring',
      ]);
    });

    it('creates one contact when the same person submits several forms at the same moment', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => submit({ lastName: 'Rush', email: 'rush@example.test', message: `try ${i}` })),
      );
      expect(new Set(results.map((r) => r.contactId)).size).toBe(1);
      expect(results.map((r) => r.merged).sort()).toEqual([false, true, true, true, true, true]);
    });

    it('refuses a submission without email or phone', async () => {
      await expect(submit({ firstName: 'Anon' })).rejects.toMatchObject({ kind: 'validation' });
    });
  });

  describe('client registration (identity.user.created with the contact)', () => {
    it('links the client user to the existing contact, who then sees only that contact', async () => {
      const existing = await submit({ firstName: 'Cleo', lastName: 'Client', email: 'cleo@example.test' });
      // What the gateway asks crm before identity creates the user: the same person, so the same contact.
      const lead = await submit({
        firstName: 'Cleo',
        lastName: 'Client',
        email: 'cleo@example.test',
        source: 'website',
        formType: 'client_registration',
      });
      expect(lead.contactId).toBe(existing.contactId);
      const client = userOf(orgId, 'client');
      await seedIdentity(crm, identityEventsOf(client, { name: 'Cleo Client', email: 'cleo@example.test', contactId: lead.contactId }));
      const seen = await crm.rpc.call(S.list, {}, client);
      expect(seen.items.map((c) => c.id)).toEqual([existing.contactId]);
      const someoneElse = await createContact(crm, owner, { lastName: 'Stranger', email: 'stranger@example.test' });
      await expect(crm.rpc.call(S.get, { id: someoneElse.id }, client)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(S.update, { id: existing.contactId, status: 'lost' }, client)).rejects.toMatchObject({ kind: 'forbidden' });
    });
  });

  describe('assignment rules', () => {
    it('are written by admins only, read by managers and agents, and invisible to other organizations', async () => {
      const body: CrmAssignmentRuleInput = {
        name: 'Referrals to the first agent',
        priority: 10,
        conditions: { sources: ['referral'] },
        strategy: 'agent',
        agentIds: [agents[0].userId!],
      };
      await expect(rule(body, agents[0])).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(rule(body, manager)).rejects.toMatchObject({ kind: 'forbidden' });
      const created = await rule(body);
      await crm.rpc.call(S.ruleGet, { id: created.id }, manager);
      await crm.rpc.call(S.ruleGet, { id: created.id }, agents[0]);
      await expect(crm.rpc.call(S.ruleGet, { id: created.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(S.ruleUpdate, { id: created.id, priority: 11 }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(rule({ ...body, agentIds: [other.userId!] })).rejects.toMatchObject({ code: 'UNKNOWN_AGENT' });
      await expect(crm.rpc.call(S.ruleDelete, { id: created.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(S.ruleDelete, { id: created.id }, manager)).rejects.toMatchObject({ kind: 'forbidden' });
      // Agents read the rules, ponds and fairness ledger that route leads to them, and change none of them.
      await crm.rpc.call(S.ruleLedger, { id: created.id }, agents[0]);
      await expect(crm.rpc.call(S.ruleDelete, { id: created.id }, agents[0])).rejects.toMatchObject({ kind: 'forbidden' });
      expect(await crm.rpc.call(S.ruleLedger, { id: created.id }, other)).toEqual([]);
      expect(await crm.rpc.call(S.ruleList, {}, other)).toEqual([]);
      await expect(crm.rpc.call(S.pondCreate, { name: 'Mine' }, agents[0])).rejects.toMatchObject({ kind: 'forbidden' });
      await crm.rpc.call(S.pondList, {}, agents[0]);
      expect(await crm.rpc.call(S.pondList, {}, other)).toEqual([]);
    });

    it('strategy agent: routes a matching new lead to the named agent and explains it', async () => {
      const contact = await createContact(crm, owner, { firstName: 'Rita', lastName: 'Referred', source: 'referral' });
      expect(contact.ownerId).toBe(agents[0].userId);
      const assignment = await crm.rpc.call(S.assignmentGet, { id: contact.id }, agents[0]);
      expect(assignment.reason).toContain('Referrals to the first agent');
      expect(assignment.history).toHaveLength(1);
      await expect(crm.rpc.call(S.assignmentGet, { id: contact.id }, agents[1])).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(S.assignmentGet, { id: contact.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
    });

    it('round-robin stays fair over 1,000 concurrent leads: no agent more than one ahead', async () => {
      const pool = agents.slice(1, 4).map((a) => a.userId!);
      const created = await rule({
        name: 'IDX rotation',
        priority: 20,
        conditions: { sources: ['idx'] },
        strategy: 'round_robin',
        agentIds: pool,
      });
      let next = 0;
      const worker = async () => {
        while (next < 1000) {
          const i = next++;
          const result = await submit({ email: `rr-${i}@example.test`, source: 'idx' });
          if (result.merged) throw new Error(`lead ${i} merged into ${result.contactId}`);
        }
      };
      await Promise.all(Array.from({ length: 12 }, worker));
      const ledger = await crm.rpc.call(S.ruleLedger, { id: created.id }, manager);
      const counts = ledger.map((entry) => entry.assigned);
      expect(ledger.map((entry) => entry.agentId).sort()).toEqual([...pool].sort());
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1000);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(ledger.reduce((sum, entry) => sum + entry.shareBps, 0)).toBeGreaterThanOrEqual(9_999);
    }, 180_000);

    it('load-balanced: respects capacity and working hours, and falls back to the next rule when nobody is eligible', async () => {
      const [small, roomy] = [agents[4], agents[5]];
      await rule({
        name: 'Open houses balanced',
        priority: 30,
        conditions: { sources: ['open_house'] },
        strategy: 'load_balanced',
        agentIds: [small.userId!, roomy.userId!, away.userId!],
      });
      const owners: Array<string | null> = [];
      for (let i = 0; i < 4; i += 1)
        owners.push(
          (await createContact(crm, owner, { lastName: `Visitor ${i}`, source: 'open_house', email: `oh-${i}@example.test` })).ownerId,
        );
      expect(owners.filter((id) => id === small.userId)).toHaveLength(1);
      expect(owners.filter((id) => id === away.userId)).toHaveLength(0);
      expect(owners.filter((id) => id === roomy.userId)).toHaveLength(3);

      await rule({
        name: 'Sign calls to the away agent',
        priority: 40,
        conditions: { sources: ['sign_call'] },
        strategy: 'load_balanced',
        agentIds: [away.userId!],
      });
      await rule({
        name: 'Sign call fallback',
        priority: 41,
        conditions: { sources: ['sign_call'] },
        strategy: 'agent',
        agentIds: [roomy.userId!],
      });
      const fallback = await createContact(crm, owner, { lastName: 'Caller', source: 'sign_call' });
      expect(fallback.ownerId).toBe(roomy.userId);
      expect(fallback.assignment.reason).toContain('fallback');
    });

    it('pond: the lead waits unowned; the first eligible claim wins, the second is a conflict', async () => {
      const pond = await crm.rpc.call(S.pondCreate, { name: 'Social pond', agentIds: [agents[1].userId!, agents[2].userId!] }, owner);
      await rule({ name: 'Social to the pond', priority: 50, conditions: { sources: ['social'] }, strategy: 'pond', pondId: pond.id });
      const lead = await createContact(crm, owner, { lastName: 'Pondered', source: 'social', phone: uniquePhone() });
      expect(lead).toMatchObject({ ownerId: null, pondId: pond.id });
      const visibleTo = async (agent: Actor) => (await crm.rpc.call(S.list, { pondId: pond.id }, agent)).items.map((c) => c.id);
      expect(await visibleTo(agents[1])).toEqual([lead.id]);
      expect(await visibleTo(agents[3])).toEqual([]);
      await expect(crm.rpc.call(S.update, { id: lead.id, status: 'lost' }, agents[1])).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(S.pondClaim, { id: pond.id, contactId: lead.id }, agents[3])).rejects.toMatchObject({
        code: 'NOT_ELIGIBLE_FOR_POND',
      });
      await expect(crm.rpc.call(S.pondClaim, { id: pond.id, contactId: lead.id }, other)).rejects.toMatchObject({ kind: 'not_found' });
      const [a, b] = await Promise.allSettled([
        crm.rpc.call(S.pondClaim, { id: pond.id, contactId: lead.id }, agents[1]),
        crm.rpc.call(S.pondClaim, { id: pond.id, contactId: lead.id }, agents[2]),
      ]);
      const outcome = (settled: PromiseSettledResult<unknown>) =>
        settled.status === 'fulfilled' ? 'claimed' : (settled.reason as { kind: string }).kind;
      expect([outcome(a), outcome(b)].sort()).toEqual(['claimed', 'conflict']);
      const winner = a.status === 'fulfilled' ? agents[1] : agents[2];
      const now = await crm.rpc.call(S.get, { id: lead.id }, winner);
      expect(now).toMatchObject({ ownerId: winner.userId, pondId: null });
    });

    it('pond changes: admins rename a pond and replace its agents; delete only an empty pond no rule routes to', async () => {
      const pond = await crm.rpc.call(S.pondCreate, { name: 'Open house pond', agentIds: [agents[1].userId!] }, owner);
      for (const [actor, kind] of [
        [agents[1], 'forbidden'],
        [manager, 'forbidden'],
        [other, 'not_found'],
      ] as const) {
        await expect(crm.rpc.call(S.pondUpdate, { id: pond.id, name: 'Taken over' }, actor)).rejects.toMatchObject({ kind });
        await expect(crm.rpc.call(S.pondDelete, { id: pond.id }, actor)).rejects.toMatchObject({ kind });
      }
      const unknownAgent = await refusalOf(crm.rpc.call(S.pondUpdate, { id: pond.id, agentIds: [manager.userId!] }, owner));
      expect(unknownAgent.kind).toBe('validation');
      expect(unknownAgent.errors?.[0]?.field).toBe('agentIds');
      const changed = await crm.rpc.call(S.pondUpdate, { id: pond.id, name: 'Open house leads', agentIds: [agents[3].userId!] }, owner);
      expect(changed).toMatchObject({ name: 'Open house leads', agentIds: [agents[3].userId], unclaimed: 0 });

      const routed = await rule({
        name: 'Past clients to the pond',
        priority: 60,
        conditions: { sources: ['past_client'] },
        strategy: 'pond',
        pondId: pond.id,
      });
      const lead = await createContact(crm, owner, { lastName: 'Walk-in', source: 'past_client', phone: uniquePhone() });
      expect(lead.pondId).toBe(pond.id);
      // The new list decides who claims: agents[1] no longer may.
      await expect(crm.rpc.call(S.pondClaim, { id: pond.id }, agents[1])).rejects.toMatchObject({ code: 'NOT_ELIGIBLE_FOR_POND' });
      const notEmpty = await refusalOf(crm.rpc.call(S.pondDelete, { id: pond.id }, owner));
      expect([notEmpty.kind, notEmpty.code, notEmpty.details?.unclaimed]).toEqual(['conflict', 'POND_NOT_EMPTY', 1]);
      await crm.rpc.call(S.pondClaim, { id: pond.id }, agents[3]);
      const inUse = await refusalOf(crm.rpc.call(S.pondDelete, { id: pond.id }, owner));
      expect([inUse.kind, inUse.code, inUse.details?.ruleIds]).toEqual(['conflict', 'POND_IN_USE', [routed.id]]);
      await crm.rpc.call(S.ruleDelete, { id: routed.id }, owner);
      await crm.rpc.call(S.pondDelete, { id: pond.id }, owner);
      await expect(crm.rpc.call(S.pondDelete, { id: pond.id }, owner)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await crm.rpc.call(S.pondList, {}, owner)).map((p) => p.id)).not.toContain(pond.id);
      await expect(crm.rpc.call(S.pondClaim, { id: pond.id }, agents[3])).rejects.toMatchObject({ kind: 'not_found' });
      const ruleToDeleted = await refusalOf(rule({ name: 'To a deleted pond', priority: 61, strategy: 'pond', pondId: pond.id }));
      expect([ruleToDeleted.kind, ruleToDeleted.errors?.[0]?.field]).toEqual(['validation', 'pondId']);

      const events = (await crmDataSource(crm).query(
        `SELECT event_type AS type, payload->'data' AS data FROM outbox_event WHERE message_key = $1 ORDER BY seq`,
        [pond.id],
      )) as Array<{ type: string; data: { pond: { name: string; agentIds: string[] }; changes?: Record<string, unknown> } }>;
      expect(events.map((e) => e.type)).toEqual(['crm.pond.created', 'crm.pond.updated', 'crm.pond.deleted']);
      expect(events[1].data.changes).toEqual({
        name: { from: 'Open house pond', to: 'Open house leads' },
        agentIds: { from: [agents[1].userId], to: [agents[3].userId] },
      });
      expect(events[2].data.pond).toMatchObject({ name: 'Open house leads', agentIds: [agents[3].userId], unclaimed: 0 });
    });

    it('speed-to-lead: re-routes a lead nobody contacted by the deadline, keeps one that was contacted', async () => {
      const pair = [agents[2].userId!, agents[3].userId!];
      await rule({
        name: 'Realtor.com fast',
        priority: 60,
        conditions: { sources: ['realtor_com'] },
        strategy: 'round_robin',
        agentIds: pair,
        responseDeadlineMinutes: 2,
      });
      const ignored = await createContact(crm, owner, { lastName: 'Waiting', source: 'realtor_com' });
      const served = await createContact(crm, owner, { lastName: 'Served', source: 'realtor_com' });
      const servedBy = agents.find((a) => a.userId === served.ownerId)!;
      await crm.rpc.call(S.update, { id: served.id, status: 'contacted' }, servedBy);
      const moved = await eventually(
        () => crm.rpc.call(S.assignmentGet, { id: ignored.id }, owner),
        (assignment) => assignment.ownerId !== ignored.ownerId,
      );
      expect(moved.ownerId).toBe(pair.find((id) => id !== ignored.ownerId));
      expect(moved.reason).toContain('Speed-to-lead');
      expect(moved.history.map((entry) => entry.endReason)).toEqual([null, 'speed_to_lead']);
      await new Promise((resolve) => setTimeout(resolve, 3 * DEADLINE_UNIT_MS));
      expect((await crm.rpc.call(S.get, { id: served.id }, owner)).ownerId).toBe(servedBy.userId);
    });

    it('manual assignment: managers within their team, not agents, not other organizations', async () => {
      const contact = await createContact(crm, agents[0], { lastName: 'Handover' });
      await expect(crm.rpc.call(S.assign, { id: contact.id, ownerId: agents[1].userId! }, agents[0])).rejects.toMatchObject({
        kind: 'forbidden',
      });
      await expect(crm.rpc.call(S.assign, { id: contact.id, ownerId: agents[1].userId! }, other)).rejects.toMatchObject({
        kind: 'not_found',
      });
      await expect(crm.rpc.call(S.assign, { id: contact.id, ownerId: away.userId! }, manager)).rejects.toMatchObject({
        code: 'OWNER_OUT_OF_SCOPE',
      });
      const moved = await crm.rpc.call(S.assign, { id: contact.id, ownerId: agents[1].userId!, reason: 'Vacation cover' }, manager);
      expect(moved.ownerId).toBe(agents[1].userId);
      await expect(crm.rpc.call(S.get, { id: contact.id }, agents[0])).rejects.toMatchObject({ kind: 'not_found' });
    });
  });
});
