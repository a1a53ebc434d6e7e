import type { Page } from '@keyhouse/contracts';
import {
  createContact,
  crmOutboxEvents,
  uniquePhone,
  waitForUsersInCrm,
  type ContactJson,
  type ProblemJson,
} from '../../support/crm.fixture';
import { createUser, registerOrganization, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

/** The default keys in list order, as issue 13 item 16 names them (written out, not read from the code). */
const DEFAULT_KEYS = [
  'website',
  'referral',
  'zillow',
  'realtor_com',
  'idx',
  'open_house',
  'sign_call',
  'social',
  'past_client',
  'sphere',
  'manual',
  'import',
  'other',
];

interface LeadSourceJson {
  key: string;
  label: string;
  archived: boolean;
  position: number;
  builtIn: boolean;
  contactCount: number;
}

interface ReportJson {
  from: string;
  to: string;
  sources: Array<{ key: string | null; label: string; leads: number; closed: number; conversionRateBps: number }>;
  totals: { leads: number };
}

/**
 * Organization-configurable lead sources through the gateway (issue 13 item 16; docs/adr/0032):
 * the routes' statuses and permissions, and the day an admin adds 'facebook' — a public lead with
 * that source is accepted and routed by a rule naming it, a smart list filters by it, the report
 * counts it — while another organization keeps only the defaults. The crm's rules themselves are
 * apps/crm/test/integration/lead-sources.integration-spec.ts.
 */
describe('lead sources (HTTP through the gateway)', () => {
  let stack: TestStack;
  let owner: Session & { publicFormKey: string };
  let otherOrgOwner: Session & { publicFormKey: string };
  let agent: Session;
  let otherAgent: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm'] });
    owner = await registerOrganization(stack.http, 'Lead Source Realty');
    otherOrgOwner = await registerOrganization(stack.http, 'Elsewhere Realty');
    agent = await createUser(stack.http, owner, 'agent');
    otherAgent = await createUser(stack.http, owner, 'agent');
    // Rules name agents crm's read model knows (identity's events consumed).
    await waitForUsersInCrm(stack, [{ userId: agent.userId }, { userId: otherAgent.userId }]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const keysOf = async (token: string, query = '') =>
    (await stack.http.get<LeadSourceJson[]>(`/v1/lead-sources${query}`, { token })).body.map((source) => source.key);
  const reportOf = async (token: string) => {
    const response = await stack.http.get<ReportJson>('/v1/reports/lead-sources', { token });
    expect(response.status).toBe(200);
    return response.body;
  };
  const facebookRow = (report: ReportJson) => report.sources.find((row) => row.key === 'facebook');

  it('lists the defaults to an agent (200) and refuses a caller without a token (401)', async () => {
    const list = await stack.http.get<LeadSourceJson[]>('/v1/lead-sources', { token: agent.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.map((source) => source.key)).toEqual(DEFAULT_KEYS);
    expect(list.body[3]).toEqual({
      key: 'realtor_com',
      label: 'Realtor.com',
      archived: false,
      position: 3,
      builtIn: true,
      contactCount: 0,
    });
    expect((await stack.http.get('/v1/lead-sources')).status).toBe(401);
  });

  it('lets an admin add facebook (201); a duplicate is 409 LEAD_SOURCE_EXISTS, a malformed key 400, an agent 403', async () => {
    expect((await stack.http.post('/v1/lead-sources', { key: 'facebook', label: 'Facebook' }, { token: agent.accessToken })).status).toBe(
      403,
    );
    const created = await stack.http.post<LeadSourceJson>(
      '/v1/lead-sources',
      { key: 'facebook', label: 'Facebook' },
      { token: owner.accessToken },
    );
    expect([created.status, created.body]).toEqual([
      201,
      { key: 'facebook', label: 'Facebook', archived: false, position: 13, builtIn: false, contactCount: 0 },
    ]);
    const again = await stack.http.post<ProblemJson>('/v1/lead-sources', { key: 'facebook', label: 'FB' }, { token: owner.accessToken });
    expect([again.status, again.body.code]).toEqual([409, 'LEAD_SOURCE_EXISTS']);
    const bad = await stack.http.post<ProblemJson>('/v1/lead-sources', { key: 'Face Book', label: 'x' }, { token: owner.accessToken });
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'key']);
    expect(await keysOf(agent.accessToken)).toEqual([...DEFAULT_KEYS, 'facebook']);
  });

  it('accepts a public lead from facebook and routes it by a rule naming facebook; a smart list filters by it', async () => {
    const rule = await stack.http.post<{ id: string }>(
      '/v1/assignment-rules',
      { name: 'Facebook leads', priority: 1, conditions: { sources: ['facebook'] }, strategy: 'agent', agentIds: [agent.userId] },
      { token: owner.accessToken },
    );
    expect(rule.status).toBe(201);
    const lead = await stack.http.post('/v1/public/leads', {
      formKey: owner.publicFormKey,
      firstName: 'Fiona',
      lastName: 'Feed',
      email: 'fiona.feed@example.test',
      source: 'facebook',
    });
    expect(lead.status).toBe(201);
    const [fiona] = (await stack.http.get<Page<ContactJson>>('/v1/contacts?source=facebook', { token: owner.accessToken })).body.items;
    expect(fiona).toMatchObject({
      email: 'fiona.feed@example.test',
      source: 'facebook',
      ownerId: agent.userId,
      assignment: { ruleId: rule.body.id },
    });
    const list = await stack.http.post<{ id: string }>(
      '/v1/smart-lists',
      { name: 'Facebook leads', filters: { source: ['facebook'] } },
      { token: agent.accessToken },
    );
    expect(list.status).toBe(201);
    const members = await stack.http.get<Page<ContactJson>>(`/v1/smart-lists/${list.body.id}/contacts`, { token: agent.accessToken });
    expect(members.body.items.map((contact) => contact.email)).toEqual(['fiona.feed@example.test']);
    const unknown = await stack.http.post<ProblemJson>(
      '/v1/smart-lists',
      { name: 'TikTok', filters: { source: ['tiktok'] } },
      { token: agent.accessToken },
    );
    expect([unknown.status, unknown.body.code, unknown.body.errors?.[0]?.field]).toEqual([400, 'UNKNOWN_LEAD_SOURCE', 'filters.source[0]']);
  });

  it('counts facebook in the report: the organization for the owner, only their own contacts for an agent', async () => {
    await createContact(stack.http, agent.accessToken, { lastName: 'Closer', status: 'closed', source: 'facebook', phone: uniquePhone() });
    await createContact(stack.http, otherAgent.accessToken, { lastName: 'Opener', source: 'facebook', phone: uniquePhone() });
    // The public lead (routed to agent) and agent's own closed contact; otherAgent's one.
    expect(facebookRow(await reportOf(owner.accessToken))).toMatchObject({
      label: 'Facebook',
      leads: 3,
      closed: 1,
      conversionRateBps: 3333,
    });
    expect(facebookRow(await reportOf(agent.accessToken))).toMatchObject({ leads: 2, closed: 1, conversionRateBps: 5000 });
    const theirs = await reportOf(otherAgent.accessToken);
    expect(facebookRow(theirs)).toMatchObject({ leads: 1, closed: 0, conversionRateBps: 0 });
    expect(theirs.totals.leads).toBe(1);
    const counts = await stack.http.get<LeadSourceJson[]>('/v1/lead-sources', { token: agent.accessToken });
    expect(counts.body.find((source) => source.key === 'facebook')?.contactCount).toBe(2);
    const reversed = await stack.http.get<ProblemJson>('/v1/reports/lead-sources?from=2026-03-02&to=2026-03-01', {
      token: owner.accessToken,
    });
    expect([reversed.status, reversed.body.errors?.[0]?.field]).toEqual([400, 'from']);
    expect((await stack.http.get('/v1/reports/lead-sources?from=03-01-2026', { token: owner.accessToken })).status).toBe(400);
  });

  it('keeps facebook out of another organization: its list has only the defaults and writing facebook there is 400 UNKNOWN_LEAD_SOURCE', async () => {
    expect(await keysOf(otherOrgOwner.accessToken, '?includeArchived=true')).toEqual(DEFAULT_KEYS);
    const contact = await stack.http.post<ProblemJson>(
      '/v1/contacts',
      { lastName: 'Elsewhere', source: 'facebook' },
      { token: otherOrgOwner.accessToken },
    );
    expect([contact.status, contact.body.code, contact.body.errors?.[0]?.field]).toEqual([400, 'UNKNOWN_LEAD_SOURCE', 'source']);
    const form = await stack.http.post<ProblemJson>('/v1/public/leads', {
      formKey: otherOrgOwner.publicFormKey,
      email: 'someone@example.test',
      source: 'facebook',
    });
    expect([form.status, form.body.code]).toEqual([400, 'UNKNOWN_LEAD_SOURCE']);
    const rule = await stack.http.post<ProblemJson>(
      '/v1/assignment-rules',
      { name: 'Borrowed', priority: 1, conditions: { sources: ['zillow', 'facebook'] }, strategy: 'load_balanced', agentIds: [] },
      { token: otherOrgOwner.accessToken },
    );
    expect([rule.status, rule.body.code, rule.body.errors?.[0]?.field]).toEqual([400, 'UNKNOWN_LEAD_SOURCE', 'conditions.sources[1]']);
    const patch = await stack.http.patch<ProblemJson>('/v1/lead-sources/facebook', { label: 'Mine' }, { token: otherOrgOwner.accessToken });
    expect([patch.status, patch.body.code]).toEqual([404, 'LEAD_SOURCE_NOT_FOUND']);
    expect((await stack.http.delete('/v1/lead-sources/facebook', { token: otherOrgOwner.accessToken })).status).toBe(404);
    const report = await reportOf(otherOrgOwner.accessToken);
    expect(report.sources.map((row) => row.key)).toEqual(DEFAULT_KEYS);
  });

  it('archives (200), refuses the archived source for a new contact (400), refuses to delete a source in use (409) and deletes an unused one (204)', async () => {
    expect((await stack.http.patch('/v1/lead-sources/facebook', { archived: true }, { token: agent.accessToken })).status).toBe(403);
    const archived = await stack.http.patch<LeadSourceJson>('/v1/lead-sources/facebook', { archived: true }, { token: owner.accessToken });
    expect([archived.status, archived.body.archived]).toEqual([200, true]);
    expect(await keysOf(owner.accessToken)).toEqual(DEFAULT_KEYS);
    expect(await keysOf(owner.accessToken, '?includeArchived=true')).toEqual([...DEFAULT_KEYS, 'facebook']);
    const late = await stack.http.post<ProblemJson>('/v1/contacts', { lastName: 'Late', source: 'facebook' }, { token: agent.accessToken });
    expect([late.status, late.body.code]).toEqual([400, 'UNKNOWN_LEAD_SOURCE']);
    expect((await stack.http.get<Page<ContactJson>>('/v1/contacts?source=facebook', { token: owner.accessToken })).body.items).toHaveLength(
      3,
    );
    const inUse = await stack.http.delete<ProblemJson>('/v1/lead-sources/facebook', { token: owner.accessToken });
    expect([inUse.status, inUse.body.code]).toEqual([409, 'LEAD_SOURCE_IN_USE']);
    expect((await stack.http.post('/v1/lead-sources', { key: 'billboard', label: 'Billboard' }, { token: owner.accessToken })).status).toBe(
      201,
    );
    expect((await stack.http.delete('/v1/lead-sources/billboard', { token: agent.accessToken })).status).toBe(403);
    expect((await stack.http.delete('/v1/lead-sources/billboard', { token: owner.accessToken })).status).toBe(204);
    expect((await stack.http.delete('/v1/lead-sources/Not-A-Key', { token: owner.accessToken })).status).toBe(400);
    expect(await keysOf(owner.accessToken, '?includeArchived=true')).toEqual([...DEFAULT_KEYS, 'facebook']);
  });

  it('writes each change as an event of crm.events (the audit trail records them), with the actor and the organization', async () => {
    const changes = [
      ...(await crmOutboxEvents<{ sourceKey: string }>(stack, 'crm.lead_source.created')),
      ...(await crmOutboxEvents<{ sourceKey: string }>(stack, 'crm.lead_source.updated')),
      ...(await crmOutboxEvents<{ sourceKey: string }>(stack, 'crm.lead_source.deleted')),
    ];
    expect(changes.map((event) => [event.type, event.data.sourceKey, event.orgid, event.actorid])).toEqual([
      ['crm.lead_source.created', 'facebook', owner.orgId, owner.userId],
      ['crm.lead_source.created', 'billboard', owner.orgId, owner.userId],
      ['crm.lead_source.updated', 'facebook', owner.orgId, owner.userId],
      ['crm.lead_source.deleted', 'billboard', owner.orgId, owner.userId],
    ]);
  });
});
