import { randomBytes } from 'node:crypto';
import type { AuditEntryView, AuditVerifyResponse } from '@keyhouse/contracts';
import { countByAction, outboxEventById, outboxEventIds, publishEvents, waitForRecordActions } from '../../support/audit-fixtures';
import { uniquePhone, type ContactJson } from '../../support/crm-fixtures';
import { createUser, registerOrganization, uniqueEmail, type Session } from '../../support/fixtures';
import { propertyBody, type Property } from '../../support/listings-fixtures';
import { startStack, type TestStack } from '../../support/stack';

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
 * Issue 6 proof: real actions through the gateway in crm, listings and deals-commission, and a
 * lead event sent with an API key, each recorded exactly once with the right actor, request id
 * and change set — also when the events are delivered twice and when the audit service restarts
 * in the middle of the stream. Identity actions are covered by audit-trail.integration-spec.ts.
 */
describe('Audit of real service actions (crm, listings, deals, API key)', () => {
  let stack: TestStack;
  let owner: Session;
  let agent: Session;
  let apiKey: { id: string; key: string };
  const ids = { contact: '', property: '', deal: '', lead: '' };
  /** Event ids of the first update of each record, delivered a second time in the restart test. */
  const firstUpdates: Array<{ service: 'crm' | 'listings' | 'deals-commission'; topic: string; eventId: string; recordId: string }> = [];

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm', 'listings', 'deals-commission', 'audit'] });
    owner = await registerOrganization(stack.http, 'Proof Realty');
    agent = await createUser(stack.http, owner, 'agent');
    const key = await stack.http.post<{ id: string; key: string }>(
      '/v1/api-keys',
      { name: 'Website', scopes: ['leads:write:org'] },
      { token: owner.accessToken },
    );
    if (key.status !== 201) throw new Error(`api key: ${key.status} ${JSON.stringify(key.body)}`);
    apiKey = key.body;
  });

  afterAll(async () => {
    await stack?.stop();
  });

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
    firstUpdates.push({ service: 'crm', topic: 'crm.events', eventId: update.eventId, recordId: ids.contact });
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
    firstUpdates.push({ service: 'listings', topic: 'listings.events', eventId: update.eventId, recordId: ids.property });
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
    firstUpdates.push({ service: 'deals-commission', topic: 'deals.events', eventId: move.eventId, recordId: ids.deal });
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
    ids.lead = contactId;
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

  it('records each action exactly once across a redelivery and an audit restart mid-stream, and the chain verifies', async () => {
    // 1. The first update of each record is delivered a second time, as a relay that crashed
    //    after sending but before marking it published would.
    for (const update of firstUpdates)
      await publishEvents(stack, update.topic, [await outboxEventById(stack, update.service, update.eventId)]);

    // 2. Actions while the trail is consuming; the audit service stops right after them …
    const before = {
      contact: requestId('crm-before'),
      property: requestId('listing-before'),
      deal: requestId('deal-before'),
      lead: requestId('lead-before'),
    };
    const headers = (id: string) => ({ token: agent.accessToken, headers: { 'x-request-id': id } });
    expect((await stack.http.patch(`/v1/contacts/${ids.contact}`, { status: 'qualified' }, headers(before.contact))).status).toBe(200);
    expect((await stack.http.patch(`/v1/properties/${ids.property}`, { listPrice: 70_000_000 }, headers(before.property))).status).toBe(
      200,
    );
    expect((await stack.http.patch(`/v1/transactions/${ids.deal}`, { stage: 'offer' }, headers(before.deal))).status).toBe(200);
    const leadBefore = await leadEvent('before', before.lead);
    await stack.stopService('audit');

    // 3. … and these happen while it is down.
    const during = {
      contact: requestId('crm-down'),
      property: requestId('listing-down'),
      deal: requestId('deal-down'),
      lead: requestId('lead-down'),
    };
    expect((await stack.http.patch(`/v1/contacts/${ids.contact}`, { status: 'nurturing' }, headers(during.contact))).status).toBe(200);
    expect((await stack.http.patch(`/v1/properties/${ids.property}`, { listPrice: 69_000_000 }, headers(during.property))).status).toBe(
      200,
    );
    expect((await stack.http.patch(`/v1/transactions/${ids.deal}`, { stage: 'accepted' }, headers(during.deal))).status).toBe(200);
    const leadDuring = await leadEvent('during', during.lead);
    await stack.startService('audit');

    // crm: three status changes, each once, by the agent, with its request id
    const contact = await waitForRecordActions(stack.http, owner.accessToken, ids.contact, { 'crm.contact.updated': 3 });
    expect(countByAction(contact)).toMatchObject({ 'crm.contact.created': 1, 'crm.contact.updated': 3 });
    for (const [request, from, to] of [
      [before.contact, 'contacted', 'qualified'],
      [during.contact, 'qualified', 'nurturing'],
    ]) {
      expect(entryOf(contact, 'crm.contact.updated', (entry) => entry.requestId === request)).toMatchObject({
        actor: { type: 'user', id: agent.userId, role: 'agent' },
        changes: { status: { from, to } },
      });
    }
    await expectEachEventOnce('crm', ids.contact, contact);

    // listings: three price changes, each once
    const property = await waitForRecordActions(stack.http, owner.accessToken, ids.property, { 'listings.property.updated': 3 });
    expect(countByAction(property)).toMatchObject({ 'listings.property.created': 1, 'listings.property.updated': 3 });
    expect(entryOf(property, 'listings.property.updated', (entry) => entry.requestId === before.property).changes).toEqual({
      listPrice: { from: 72_500_000, to: 70_000_000 },
    });
    expect(entryOf(property, 'listings.property.updated', (entry) => entry.requestId === during.property).changes).toEqual({
      listPrice: { from: 70_000_000, to: 69_000_000 },
    });
    await expectEachEventOnce('listings', ids.property, property);

    // deals: creation + three moves, each once
    const deal = await waitForRecordActions(stack.http, owner.accessToken, ids.deal, { 'deals.transaction.stage_changed': 4 });
    expect(countByAction(deal)).toMatchObject({ 'deals.transaction.created': 1, 'deals.transaction.stage_changed': 4 });
    expect(entryOf(deal, 'deals.transaction.stage_changed', (entry) => entry.requestId === before.deal).changes).toEqual({
      stage: { from: 'meeting', to: 'offer' },
    });
    expect(entryOf(deal, 'deals.transaction.stage_changed', (entry) => entry.requestId === during.deal)).toMatchObject({
      actor: { type: 'user', id: agent.userId, role: 'agent' },
      changes: { stage: { from: 'offer', to: 'accepted' } },
    });
    await expectEachEventOnce('deals-commission', ids.deal, deal);

    // API key: each lead event's contact created and lead captured once, by the key
    for (const [lead, request] of [
      [leadBefore, before.lead],
      [leadDuring, during.lead],
    ] as const) {
      const items = await waitForRecordActions(stack.http, owner.accessToken, lead.contactId, {
        'crm.contact.created': 1,
        'crm.lead.captured': 1,
      });
      expect(countByAction(items)).toMatchObject({ 'crm.contact.created': 1, 'crm.lead.captured': 1 });
      expect(entryOf(items, 'crm.lead.captured')).toMatchObject({ actor: { type: 'api_key', id: apiKey.id }, requestId: request });
      await expectEachEventOnce('crm', lead.contactId, items);
    }

    // the redelivered events: still one entry each (their records' later events are recorded, and
    // one record's events share a partition, so the duplicates were consumed before them)
    for (const update of firstUpdates) {
      const entries = await waitForRecordActions(stack.http, owner.accessToken, update.recordId, {});
      expect(entries.filter((entry) => entry.eventId === update.eventId)).toHaveLength(1);
    }

    const verify = await stack.http.get<AuditVerifyResponse>('/v1/audit-logs/verify', { token: owner.accessToken });
    expect(verify.status).toBe(200);
    expect(verify.body).toMatchObject({ ok: true });
    // startService(audit) takes about 30 s here (its Kafka consumer joining the group again)
  }, 90_000);
});
