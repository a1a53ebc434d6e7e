import { randomBytes } from 'node:crypto';
import { AUDIT_NIL_ORG, type AuditEntryView } from '@keyhouse/contracts';
import { propertyBody } from '@keyhouse/testing';
import { auditLogs, auditSuperuser, countByAction, outboxEventIds, waitForAudit, waitForRecordActions } from '../../support/audit.fixture';
import { uniquePhone, type ContactJson } from '../../support/crm.fixture';
import { createUser, login, PASSWORD, registerOrganization, uniqueEmail, type Session } from '../../support/identity.fixture';
import { type Property } from '../../support/listings.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

/** A fresh, well-formed `X-Request-Id` naming the step (the gateway keeps the client's when it matches `[A-Za-z0-9._:-]{1,128}`). */
function requestId(label: string): string {
  return `proof-${label}-${randomBytes(4).toString('hex')}`;
}

/** The one entry of `action` among `items` whose change set (or absence of one) `match` accepts. */
function entryOf(items: AuditEntryView[], action: string, match: (entry: AuditEntryView) => boolean = () => true): AuditEntryView {
  const found = items.filter((entry) => entry.action === action && match(entry));
  if (found.length !== 1)
    throw new Error(`expected one ${action}, found ${found.length}: ${JSON.stringify(items.map((entry) => entry.action))}`);
  return found[0];
}

/**
 * The audit trail end to end (issue 6 proof): real actions through the gateway in identity, crm,
 * listings and deals-commission, and a lead event sent with an API key, each recorded with the
 * right actor, request id and change set; the gateway's own refusals (403, 401) in the trail; the
 * trail's HTTP routes (seed aliases, query DTOs, CSV export, settings). What the audit service
 * does with an event (masking, exactly once across redeliveries and restarts, chains, filters,
 * scoping, retention, tamper evidence) is tested on the service alone in apps/audit/test/integration.
 */
describe('Audit trail end to end (gateway actions in every service, gateway refusals, HTTP routes)', () => {
  let stack: TestStack;
  let owner: Session;
  let agent: Session;
  let other: Session;
  let apiKey: { id: string; key: string };
  let websiteKeyId: string;
  const ids = { contact: '', property: '', deal: '' };

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'listings', 'deals-commission', 'audit'] });
    owner = await registerOrganization(stack.http, 'Proof Realty');
    other = await registerOrganization(stack.http, 'Other Realty');
    agent = await createUser(stack.http, owner, 'agent');
    const key = await stack.http.post<{ id: string; key: string }>(
      '/v1/api-keys',
      { name: 'Lead source', scopes: ['leads:write:org'] },
      { token: owner.accessToken },
    );
    if (key.status !== 201) throw new Error(`api key: ${key.status} ${JSON.stringify(key.body)}`);
    apiKey = key.body;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('identity actions', () => {
    it('records a user creation with the acting owner and a masked change set', async () => {
      const [entry] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'identity.user.created', recordId: agent.userId },
        (items) => items.length > 0,
      );
      expect(entry.actor).toEqual({ type: 'user', id: owner.userId, role: 'owner' });
      expect(entry.target).toEqual({ model: 'user', id: agent.userId });
      expect(entry.source).toBe('keyhouse/identity');
      expect(entry.changes!.role).toEqual({ from: null, to: 'agent' });
      expect(entry.changes!.email).toEqual({ from: null, to: `${agent.email[0]}***@example.test` });
      expect(JSON.stringify(entry)).not.toContain(agent.email);
      expect(JSON.stringify(entry)).not.toContain(PASSWORD);
    });

    it('records a role change as role from → to, by the owner', async () => {
      const changed = await stack.http.patch(`/v1/users/${agent.userId}`, { role: 'manager' }, { token: owner.accessToken });
      expect(changed.status).toBe(200);
      const [entry] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'identity.user.role_changed', recordId: agent.userId },
        (items) => items.length === 1,
      );
      expect(entry.changes).toEqual({ role: { from: 'agent', to: 'manager' } });
      expect(entry.actor.id).toBe(owner.userId);
      expect(entry.requestId).toMatch(/.+/);
      await stack.http.patch(`/v1/users/${agent.userId}`, { role: 'agent' }, { token: owner.accessToken });
      agent = await login(stack.http, agent.email);
    });

    it('records a failed login with the reason, ip and a masked address, and API key creation and revocation', async () => {
      const failed = await stack.http.post(
        '/v1/auth/login',
        { email: agent.email, password: 'wrong password entirely' },
        { headers: { 'user-agent': 'audit-test/1' } },
      );
      expect(failed.status).toBe(401);
      const created = await stack.http.post<{ id: string; key: string }>(
        '/v1/api-keys',
        { name: 'Website', scopes: ['leads:write:org'] },
        { token: owner.accessToken },
      );
      expect(created.status).toBe(201);
      expect((await stack.http.delete(`/v1/api-keys/${created.body.id}`, { token: owner.accessToken })).status).toBeLessThan(300);
      websiteKeyId = created.body.id;

      const [login] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'identity.login.failed', recordId: agent.userId },
        (items) => items.length === 1,
      );
      expect(login.details).toMatchObject({ reason: 'bad_credentials', method: 'password', email: `${agent.email[0]}***@example.test` });
      expect(login.userAgent).toBe('audit-test/1');
      expect(login.ip).toMatch(/127\.0\.0\.1/);
      const keys = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'identity.api_key.*', recordId: created.body.id },
        (items) => items.length === 2,
      );
      expect(keys.map((entry) => entry.action)).toEqual(['identity.api_key.revoked', 'identity.api_key.created']);
      expect(JSON.stringify(keys)).not.toContain(created.body.key);
    });
  });

  describe('gateway refusals', () => {
    it('refuses an agent (no audit:read) the trail, its verification and its export with 403 and records the refusal for the owner to see', async () => {
      expect((await auditLogs(stack.http, agent.accessToken)).status).toBe(403);
      expect((await stack.http.get('/v1/audit-logs/verify', { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.get('/v1/audit-logs/export', { token: agent.accessToken })).status).toBe(403);
      const [denied] = await waitForAudit(
        stack.http,
        owner.accessToken,
        { action: 'gateway.access.denied', user: agent.userId },
        (items) => items.length >= 1,
      );
      expect(denied.target).toEqual({ model: 'access', id: expect.stringMatching(/^GET \/v1\/audit-logs/) });
      expect(denied.details).toMatchObject({ status: 403, method: 'GET' });
      expect(denied.actor).toEqual({ type: 'user', id: agent.userId, role: 'agent' });
    });

    it('records a 401 with bad credentials on a protected route in the platform chain', async () => {
      const refused = await stack.http.get('/v1/users', { token: 'aaa.bbb.ccc' });
      expect(refused.status).toBe(401);
      const superuser = await auditSuperuser(stack);
      const count = async (sql: string, params: unknown[]) => Number(((await superuser.query(sql, params)) as Array<{ n: number }>)[0].n);
      const started = Date.now();
      try {
        while (
          (await count(
            `SELECT count(*) AS n FROM audit_entry WHERE org_id = $1 AND action = 'gateway.authentication.failed' AND request_id = $2`,
            [AUDIT_NIL_ORG, refused.headers.get('x-request-id')],
          )) !== 1
        ) {
          if (Date.now() - started > 20_000) throw new Error('401 not recorded');
          await new Promise((resolve) => setTimeout(resolve, 150));
        }
      } finally {
        await superuser.destroy();
      }
    });
  });

  describe('HTTP routes of the trail', () => {
    it('answers the seeds’ names /v1/logs and /v1/audit-log as /v1/audit-logs, and refuses malformed queries with 400', async () => {
      await waitForAudit(stack.http, owner.accessToken, { user: owner.userId }, (items) => items.length > 0);
      const day = new Date().toISOString().slice(0, 10);
      const seedQuery = `user=${owner.userId}&date=${day}&limit=100`;
      const canonical = await stack.http.get<{ items: AuditEntryView[] }>(`/v1/audit-logs?${seedQuery}`, { token: owner.accessToken });
      const logs = await stack.http.get<{ items: AuditEntryView[] }>(`/v1/logs?${seedQuery}`, { token: owner.accessToken });
      const auditLog = await stack.http.get<{ items: AuditEntryView[] }>(`/v1/audit-log?${seedQuery}`, { token: owner.accessToken });
      expect(canonical.body.items.length).toBeGreaterThan(0);
      expect(logs.body.items.map((entry) => entry.id)).toEqual(canonical.body.items.map((entry) => entry.id));
      expect(auditLog.body.items.map((entry) => entry.id)).toEqual(canonical.body.items.map((entry) => entry.id));
      expect((await stack.http.get(`/v1/logs?${seedQuery}`, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.get(`/v1/audit-log?${seedQuery}`, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.get<{ items: AuditEntryView[] }>(`/v1/logs?${seedQuery}`, { token: other.accessToken })).body.items).toEqual(
        [],
      );
      expect((await stack.http.get(`/v1/logs?date=21-11-2026`, { token: owner.accessToken })).status).toBe(400);
      expect((await auditLogs(stack.http, owner.accessToken, { action: 'Not An Action' })).status).toBe(400);
      expect((await auditLogs(stack.http, owner.accessToken, { nope: '1' })).status).toBe(400);
    });

    it('exports CSV with a header row', async () => {
      const response = await stack.http.get<string>(`/v1/audit-logs/export?action=identity.api_key.*&recordId=${websiteKeyId}`, {
        token: owner.accessToken,
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = response.body.trim().split('\n');
      expect(lines[0]).toBe(
        'seq,id,occurredAt,recordedAt,action,actorType,actorId,actorRole,targetModel,targetId,source,requestId,ip,userAgent,changes,details,eventId,prevHash,hash',
      );
      expect(lines).toHaveLength(3);
      expect(lines[1]).toContain('identity.api_key.revoked');
    });

    it('changes the settings through PUT /v1/audit-logs/settings and refuses a retention under 30 days with 400', async () => {
      const org = await registerOrganization(stack.http, 'Retention Realty');
      const tooShort = await stack.http.request('PUT', '/v1/audit-logs/settings', { token: org.accessToken, json: { retentionDays: 7 } });
      expect(tooShort.status).toBe(400);
      const set = await stack.http.request('PUT', '/v1/audit-logs/settings', { token: org.accessToken, json: { retentionDays: 30 } });
      expect(set.status).toBe(200);
      expect(set.body).toEqual({ managersMayRead: false, retentionDays: 30 });
    });
  });

  describe('actions in the other services', () => {
    /** Every event the service emitted for the record is in the trail exactly once, and nothing else is. */
    async function expectEachEventOnce(
      service: 'crm' | 'listings' | 'deals-commission',
      recordId: string,
      items: AuditEntryView[],
    ): Promise<void> {
      const emitted = await outboxEventIds(stack, service, recordId);
      expect(emitted.length).toBeGreaterThan(0);
      expect(items.map((entry) => entry.eventId).sort()).toEqual([...emitted].sort());
    }

    it('crm: an agent creates a contact and changes its status → crm.contact.created and crm.contact.updated, by that agent, personal fields masked', async () => {
      const email = uniqueEmail('prospect');
      const phone = uniquePhone();
      const createRequest = requestId('crm-create');
      const created = await stack.http.post<ContactJson>(
        '/v1/contacts',
        { firstName: 'Priya', lastName: 'Proofread', email, phone },
        { token: agent.accessToken, headers: { 'x-request-id': createRequest } },
      );
      expect(created.status).toBe(201);
      ids.contact = created.body.id;
      const statusRequest = requestId('crm-status');
      const patched = await stack.http.patch(
        `/v1/contacts/${ids.contact}`,
        { status: 'contacted' },
        { token: agent.accessToken, headers: { 'x-request-id': statusRequest } },
      );
      expect(patched.status).toBe(200);

      const items = await waitForRecordActions(stack.http, owner.accessToken, ids.contact, {
        'crm.contact.created': 1,
        'crm.contact.updated': 1,
      });
      expect(countByAction(items)).toMatchObject({ 'crm.contact.created': 1, 'crm.contact.updated': 1 });
      const creation = entryOf(items, 'crm.contact.created');
      expect(creation).toMatchObject({
        actor: { type: 'user', id: agent.userId, role: 'agent' },
        target: { model: 'contact', id: ids.contact },
        source: 'keyhouse/crm',
        requestId: createRequest,
      });
      // ADR 0015: e-mail keeps its first character and domain, phone its last two digits; names stay.
      expect(creation.changes!.contact.from).toBeNull();
      expect(creation.changes!.contact.to).toMatchObject({
        id: ids.contact,
        firstName: 'Priya',
        lastName: 'Proofread',
        status: 'new',
        email: `${email[0]}***@example.test`,
        emails: [`${email[0]}***@example.test`],
        phone: `***${phone.slice(-2)}`,
        phones: [`***${phone.slice(-2)}`],
      });
      expect(JSON.stringify(items)).not.toContain(email);
      expect(JSON.stringify(items)).not.toContain(phone.slice(2));

      const update = entryOf(items, 'crm.contact.updated');
      expect(update).toMatchObject({
        actor: { type: 'user', id: agent.userId, role: 'agent' },
        target: { model: 'contact', id: ids.contact },
        requestId: statusRequest,
      });
      expect(update.changes).toEqual({ status: { from: 'new', to: 'contacted' } });
      await expectEachEventOnce('crm', ids.contact, items);
    });

    it('listings: an agent creates a property and lowers its list price → listPrice { from, to } in cents', async () => {
      const createRequest = requestId('listing-create');
      const created = await stack.http.post<Property>('/v1/properties', propertyBody({ listPrice: 75_000_000 }), {
        token: agent.accessToken,
        headers: { 'x-request-id': createRequest },
      });
      expect(created.status).toBe(201);
      ids.property = created.body.id;
      const priceRequest = requestId('listing-price');
      const patched = await stack.http.patch(
        `/v1/properties/${ids.property}`,
        { listPrice: 72_500_000 },
        { token: agent.accessToken, headers: { 'x-request-id': priceRequest } },
      );
      expect(patched.status).toBe(200);

      const items = await waitForRecordActions(stack.http, owner.accessToken, ids.property, {
        'listings.property.created': 1,
        'listings.property.updated': 1,
      });
      expect(countByAction(items)).toMatchObject({ 'listings.property.created': 1, 'listings.property.updated': 1 });
      const creation = entryOf(items, 'listings.property.created');
      expect(creation).toMatchObject({
        actor: { type: 'user', id: agent.userId, role: 'agent' },
        target: { model: 'property', id: ids.property },
        source: 'keyhouse/listings',
        requestId: createRequest,
        changes: {
          listPrice: { from: null, to: 75_000_000 },
          listingKey: { from: null, to: created.body.listingKey },
          origin: { from: null, to: 'manual' },
        },
      });
      const update = entryOf(items, 'listings.property.updated');
      expect(update).toMatchObject({
        actor: { type: 'user', id: agent.userId, role: 'agent' },
        target: { model: 'property', id: ids.property },
        requestId: priceRequest,
        details: { propertyId: ids.property, listingKey: created.body.listingKey, origin: 'manual' },
      });
      expect(update.changes).toEqual({ listPrice: { from: 75_000_000, to: 72_500_000 } });
      await expectEachEventOnce('listings', ids.property, items);
    });

    it('deals: an agent creates a transaction and moves its stage → deals.transaction.stage_changed with stage { from, to }', async () => {
      const createRequest = requestId('deal-create');
      const created = await stack.http.post<{ id: string; stage: string }>(
        '/v1/transactions',
        { side: 'buy', price: 50_000_000 },
        {
          token: agent.accessToken,
          headers: { 'x-request-id': createRequest },
        },
      );
      expect(created.status).toBe(201);
      expect(created.body.stage).toBe('contacted');
      ids.deal = created.body.id;
      const stageRequest = requestId('deal-stage');
      const moved = await stack.http.patch(
        `/v1/transactions/${ids.deal}`,
        { stage: 'meeting' },
        { token: agent.accessToken, headers: { 'x-request-id': stageRequest } },
      );
      expect(moved.status).toBe(200);

      // creation itself is a stage change from null (docs/events/deals-events.md), then the move
      const items = await waitForRecordActions(stack.http, owner.accessToken, ids.deal, {
        'deals.transaction.created': 1,
        'deals.transaction.stage_changed': 2,
      });
      expect(countByAction(items)).toMatchObject({ 'deals.transaction.created': 1, 'deals.transaction.stage_changed': 2 });
      expect(entryOf(items, 'deals.transaction.created')).toMatchObject({
        actor: { type: 'user', id: agent.userId, role: 'agent' },
        target: { model: 'transaction', id: ids.deal },
        source: 'keyhouse/deals-commission',
        requestId: createRequest,
      });
      expect(entryOf(items, 'deals.transaction.stage_changed', (entry) => entry.changes?.stage?.from === null).changes).toEqual({
        stage: { from: null, to: 'contacted' },
      });
      const move = entryOf(items, 'deals.transaction.stage_changed', (entry) => entry.changes?.stage?.from === 'contacted');
      expect(move).toMatchObject({
        actor: { type: 'user', id: agent.userId, role: 'agent' },
        target: { model: 'transaction', id: ids.deal },
        requestId: stageRequest,
        details: { transactionId: ids.deal, outcome: 'open', agentId: agent.userId },
      });
      expect(move.changes).toEqual({ stage: { from: 'contacted', to: 'meeting' } });
      await expectEachEventOnce('deals-commission', ids.deal, items);
    });

    /** Sends a lead event with the API key; returns the contact id. */
    async function leadEvent(label: string, request: string): Promise<{ contactId: string; email: string }> {
      const email = uniqueEmail(label);
      const response = await stack.http.post<{ contactId: string; merged: boolean }>(
        '/v1/lead-events',
        {
          type: 'inquiry',
          source: 'zillow',
          externalId: `z-${label}-${randomBytes(4).toString('hex')}`,
          person: { firstName: 'Ivy', lastName: `Lead ${label}`, email },
          message: 'Is it still available?',
        },
        { apiKey: apiKey.key, headers: { 'x-request-id': request } },
      );
      expect(response.status).toBe(201);
      expect(response.body.merged).toBe(false);
      return { contactId: response.body.contactId, email };
    }

    it('API key: a lead event through POST /v1/lead-events is recorded with the API key as actor', async () => {
      const request = requestId('lead');
      const { contactId, email } = await leadEvent('walkin', request);
      const items = await waitForRecordActions(stack.http, owner.accessToken, contactId, {
        'crm.contact.created': 1,
        'crm.lead.captured': 1,
      });
      expect(countByAction(items)).toMatchObject({ 'crm.contact.created': 1, 'crm.lead.captured': 1 });
      const apiKeyActor = { type: 'api_key', id: apiKey.id };
      expect(entryOf(items, 'crm.lead.captured')).toMatchObject({
        actor: apiKeyActor,
        target: { model: 'lead', id: contactId },
        requestId: request,
        details: { contactId, merged: false, channel: 'lead_event', source: 'zillow', eventType: 'inquiry' },
      });
      const creation = entryOf(items, 'crm.contact.created');
      expect(creation).toMatchObject({ actor: apiKeyActor, requestId: request });
      expect(creation.changes!.contact.to).toMatchObject({ id: contactId, email: `${email[0]}***@example.test`, source: 'zillow' });
      expect(JSON.stringify(items)).not.toContain(email);
      expect(JSON.stringify(items)).not.toContain(apiKey.key);
      await expectEachEventOnce('crm', contactId, items);
    });
  });
});
