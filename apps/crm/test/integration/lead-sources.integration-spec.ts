import {
  CrmContactSubjects as S,
  CrmLeadSourceSubjects as L,
  type Actor,
  type CrmContactView,
  type CrmLeadSourceReport,
  type CrmLeadSourceReportRow,
} from '@keyhouse/contracts';
import { apiKeyActorFor, startService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { createContact, crmDataSource, uniquePhone, type CrmTestService } from '../support/crm-contacts.util';
import { CrmEventLog } from '../support/crm-event-log.util';
import { identityEventsOf, seedIdentity, userOf } from '../support/crm-users.util';

/** The default keys, in their list order, as issue 13 item 16 names them (written out, not read from the code). */
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

/** A report row with every count zero. */
const none = (key: string, label: string): CrmLeadSourceReportRow => ({
  key,
  label,
  leads: 0,
  contacted: 0,
  qualified: 0,
  closed: 0,
  lost: 0,
  conversionRateBps: 0,
});

/**
 * Organization-configurable lead sources (issue 13 item 16; docs/adr/0032) on the crm service
 * alone, over NATS: the defaults, adding, archiving, moving and deleting sources with their events,
 * validation of every place a source is written or used as a condition (contacts, lead events,
 * public forms, CSV import, assignment rules, smart lists) and the lead-source report's counts and
 * scope. The HTTP side is apps/gateway/test/integration/crm/lead-sources.integration-spec.ts.
 */
describe('crm lead sources (crm service over NATS)', () => {
  let crm: CrmTestService;
  let events: CrmEventLog;
  const orgId = newId();
  const owner = userOf(orgId, 'owner');
  const manager = userOf(orgId, 'manager');
  const agent = userOf(orgId, 'agent');
  const client = userOf(orgId, 'client');
  const stranger = userOf(newId(), 'owner');
  const apiKey = apiKeyActorFor({ orgId, permissions: ['leads:write:org'], userId: owner.userId });

  beforeAll(async () => {
    crm = await startService(startCrm);
    events = new CrmEventLog(crm);
    await events.start();
    await seedIdentity(crm, [
      ...identityEventsOf(owner),
      ...identityEventsOf(manager),
      ...identityEventsOf(agent, { profile: { regions: ['98101'] } }),
      ...identityEventsOf(stranger),
    ]);
  });

  afterAll(async () => {
    await events?.stop();
    await crm?.stop();
  });

  const keysOf = async (actor: Actor, includeArchived = false) =>
    (await crm.rpc.call(L.list, { includeArchived }, actor)).map((source) => source.key);

  describe('crm.lead-sources.list', () => {
    it('gives an organization that never changed its list the 13 defaults with readable labels, in order', async () => {
      const list = await crm.rpc.call(L.list, {}, agent);
      expect(list.map((source) => source.key)).toEqual(DEFAULT_KEYS);
      expect(list.map((source) => source.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(list.find((source) => source.key === 'realtor_com')).toEqual({
        key: 'realtor_com',
        label: 'Realtor.com',
        archived: false,
        position: 3,
        builtIn: true,
        contactCount: 0,
      });
      expect(list.filter((source) => source.label === 'Open house' || source.label === 'IDX').map((s) => s.key)).toEqual([
        'idx',
        'open_house',
      ]);
    });

    it('refuses a caller without organizations:read', async () => {
      await expect(crm.rpc.call(L.list, {}, client)).rejects.toMatchObject({ kind: 'forbidden' });
    });
  });

  describe('crm.lead-sources.create', () => {
    it('adds facebook at the end of the list and emits crm.lead_source.created; another organization still has only the defaults', async () => {
      const created = await crm.rpc.call(L.create, { key: 'facebook', label: ' Facebook ' }, owner);
      expect(created).toEqual({ key: 'facebook', label: 'Facebook', archived: false, position: 13, builtIn: false, contactCount: 0 });
      expect(await keysOf(agent)).toEqual([...DEFAULT_KEYS, 'facebook']);
      expect(await keysOf(stranger)).toEqual(DEFAULT_KEYS);
      const { event } = await events.waitFor('crm.lead_source.created', 'facebook');
      expect(event.orgid).toBe(orgId);
      expect(event.data).toEqual({ sourceKey: 'facebook', label: 'Facebook', archived: false, position: 13, builtIn: false });
    });

    it('answers 409 LEAD_SOURCE_EXISTS for a key the organization has, a default included', async () => {
      await expect(crm.rpc.call(L.create, { key: 'facebook', label: 'FB' }, owner)).rejects.toMatchObject({
        kind: 'conflict',
        code: 'LEAD_SOURCE_EXISTS',
      });
      await expect(crm.rpc.call(L.create, { key: 'zillow', label: 'Zillow again' }, owner)).rejects.toMatchObject({
        kind: 'conflict',
        code: 'LEAD_SOURCE_EXISTS',
      });
    });

    it('refuses agents and managers (403) and a malformed key or blank label (400)', async () => {
      await expect(crm.rpc.call(L.create, { key: 'tiktok', label: 'TikTok' }, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(L.create, { key: 'tiktok', label: 'TikTok' }, manager)).rejects.toMatchObject({ kind: 'forbidden' });
      const bad = await refusalOf(crm.rpc.call(L.create, { key: 'Tik Tok', label: '  ' }, owner));
      expect([bad.kind, bad.errors?.map((e) => e.field)]).toEqual(['validation', ['key', 'label']]);
      expect(await keysOf(owner)).toEqual([...DEFAULT_KEYS, 'facebook']);
    });
  });

  describe('validation against the organization’s list', () => {
    it('accepts a listed source on a contact and refuses an unknown one with UNKNOWN_LEAD_SOURCE on source; another organization does not know facebook', async () => {
      const contact = await createContact(crm, agent, { lastName: 'Feed', email: 'feed@example.test', source: 'facebook' });
      expect(contact.source).toBe('facebook');
      const unknown = await refusalOf(crm.rpc.call(S.create, { lastName: 'Tok', source: 'tiktok' }, agent));
      expect([unknown.kind, unknown.code, unknown.errors]).toEqual([
        'validation',
        'UNKNOWN_LEAD_SOURCE',
        [expect.objectContaining({ field: 'source', code: 'UNKNOWN_LEAD_SOURCE' })],
      ]);
      const update = await refusalOf(crm.rpc.call(S.update, { id: contact.id, source: 'tiktok' }, agent));
      expect([update.code, update.errors?.[0]?.field]).toEqual(['UNKNOWN_LEAD_SOURCE', 'source']);
      const foreign = await refusalOf(crm.rpc.call(S.create, { lastName: 'Elsewhere', source: 'facebook' }, stranger));
      expect([foreign.code, foreign.errors?.[0]?.field]).toEqual(['UNKNOWN_LEAD_SOURCE', 'source']);
      expect((await crm.rpc.call(L.list, {}, agent)).find((source) => source.key === 'facebook')?.contactCount).toBe(1);
    });

    it('checks lead events and public forms; a form without a source is website', async () => {
      const event = { type: 'inquiry' as const, externalId: `fb-${newId()}`, person: { email: 'lena.fb@example.test', lastName: 'Lena' } };
      const refused = await refusalOf(crm.rpc.call(S.leadEventIngest, { ...event, source: 'tiktok' }, apiKey));
      expect([refused.code, refused.errors?.[0]?.field]).toEqual(['UNKNOWN_LEAD_SOURCE', 'source']);
      const accepted = await crm.rpc.call(S.leadEventIngest, { ...event, source: 'facebook' }, apiKey);
      expect((await crm.rpc.call(S.get, { id: accepted.contactId }, owner)).source).toBe('facebook');
      const form = await refusalOf(crm.rpc.call(S.publicLeadCapture, { orgId, email: 'form.tok@example.test', source: 'tiktok' }, null));
      expect([form.code, form.errors?.[0]?.field]).toEqual(['UNKNOWN_LEAD_SOURCE', 'source']);
      const plain = await crm.rpc.call(S.publicLeadCapture, { orgId, email: 'form.plain@example.test' }, null);
      expect((await crm.rpc.call(S.get, { id: plain.contactId }, owner)).source).toBe('website');
    });

    it('checks assignment rule conditions and smart-list filters, naming the item', async () => {
      const rule = await refusalOf(
        crm.rpc.call(
          S.ruleCreate,
          { name: 'Social', priority: 5, conditions: { sources: ['facebook', 'tiktok'] }, strategy: 'agent', agentIds: [agent.userId!] },
          owner,
        ),
      );
      expect([rule.kind, rule.code, rule.errors?.[0]?.field]).toEqual(['validation', 'UNKNOWN_LEAD_SOURCE', 'conditions.sources[1]']);
      const list = await refusalOf(crm.rpc.call(S.smartListCreate, { name: 'Tok', filters: { source: ['tiktok'] } }, agent));
      expect([list.code, list.errors?.[0]?.field]).toEqual(['UNKNOWN_LEAD_SOURCE', 'filters.source[0]']);
      const saved = await crm.rpc.call(S.smartListCreate, { name: 'Facebook leads', filters: { source: ['facebook'] } }, agent);
      expect((await crm.rpc.call(S.smartListContacts, { id: saved.id }, agent)).items.map((c) => c.lastName)).toEqual(['Feed']);
    });

    it('rejects an import row with an unknown source on field source; a row without one gets import', async () => {
      const result = await crm.rpc.call(
        S.importRows,
        {
          rows: [
            { row: 2, values: { lastName: 'Okonkwo', email: 'okonkwo.tok@example.test', source: 'tiktok' } },
            { row: 3, values: { lastName: 'Fitzgerald', email: 'fitzgerald.fb@example.test', source: 'facebook' } },
            { row: 4, values: { lastName: 'Yamamoto', email: 'yamamoto.none@example.test' } },
          ],
        },
        agent,
      );
      expect(result).toEqual({ created: 2, merged: 0, rejected: [expect.objectContaining({ row: 2, field: 'source' })] });
      const sourceOf = async (email: string) => (await crm.rpc.call(S.list, { q: email }, agent)).items.map((c) => c.source);
      expect(await sourceOf('fitzgerald.fb@example.test')).toEqual(['facebook']);
      expect(await sourceOf('yamamoto.none@example.test')).toEqual(['import']);
      expect(await sourceOf('okonkwo.tok@example.test')).toEqual([]);
    });
  });

  describe('archive, move and delete', () => {
    let contact: CrmContactView;
    let ruleId: string;

    it('archives a source: refused for new contacts and new rule conditions, kept on its contacts and rules, valid in list filters', async () => {
      await crm.rpc.call(L.create, { key: 'billboard', label: 'Billboard' }, owner);
      contact = await createContact(crm, agent, { lastName: 'Board', email: 'board@example.test', source: 'billboard' });
      ruleId = (
        await crm.rpc.call(
          S.ruleCreate,
          { name: 'Billboards', priority: 7, conditions: { sources: ['billboard'] }, strategy: 'agent', agentIds: [agent.userId!] },
          owner,
        )
      ).id;
      const archived = await crm.rpc.call(L.update, { key: 'billboard', archived: true }, owner);
      expect(archived).toMatchObject({ key: 'billboard', archived: true, contactCount: 1 });
      const { event } = await events.waitFor('crm.lead_source.updated', 'billboard');
      expect(event.data).toMatchObject({ sourceKey: 'billboard', archived: true, changes: { archived: { from: false, to: true } } });

      expect(await keysOf(owner)).not.toContain('billboard');
      expect(await keysOf(owner, true)).toContain('billboard');
      const fresh = await refusalOf(crm.rpc.call(S.create, { lastName: 'Late', source: 'billboard' }, agent));
      expect([fresh.code, fresh.errors?.[0]?.field]).toEqual(['UNKNOWN_LEAD_SOURCE', 'source']);
      // The contact keeps it, also when the same value comes back with another change.
      expect(await crm.rpc.call(S.update, { id: contact.id, firstName: 'Bo', source: 'billboard' }, agent)).toMatchObject({
        firstName: 'Bo',
        source: 'billboard',
      });
      const newRule = await refusalOf(
        crm.rpc.call(
          S.ruleCreate,
          { name: 'Late boards', priority: 8, conditions: { sources: ['billboard'] }, strategy: 'agent', agentIds: [agent.userId!] },
          owner,
        ),
      );
      expect([newRule.code, newRule.errors?.[0]?.field]).toEqual(['UNKNOWN_LEAD_SOURCE', 'conditions.sources[0]']);
      expect(await crm.rpc.call(S.ruleUpdate, { id: ruleId, name: 'Billboards (old)' }, owner)).toMatchObject({
        conditions: { sources: ['billboard'] },
      });
      // The rule's own archived source stays valid next to a new active one; another archived one is refused.
      expect(await crm.rpc.call(S.ruleUpdate, { id: ruleId, conditions: { sources: ['billboard', 'idx'] } }, owner)).toMatchObject({
        conditions: { sources: ['billboard', 'idx'] },
      });
      await crm.rpc.call(L.create, { key: 'radio', label: 'Radio' }, owner);
      await crm.rpc.call(L.update, { key: 'radio', archived: true }, owner);
      const radio = await refusalOf(crm.rpc.call(S.ruleUpdate, { id: ruleId, conditions: { sources: ['billboard', 'radio'] } }, owner));
      expect([radio.code, radio.errors?.[0]?.field]).toEqual(['UNKNOWN_LEAD_SOURCE', 'conditions.sources[1]']);
      expect(await crm.rpc.call(S.list, { source: ['billboard'] }, agent)).toMatchObject({ items: [{ id: contact.id }] });
      await crm.rpc.call(S.smartListCreate, { name: 'Old boards', filters: { source: ['billboard'] } }, agent);
    });

    it('refuses to delete a source in use (409 LEAD_SOURCE_IN_USE with the counts) and deletes an unused default for good', async () => {
      const inUse = await refusalOf(crm.rpc.call(L.delete, { key: 'billboard' }, owner));
      expect([inUse.kind, inUse.code, inUse.details]).toEqual(['conflict', 'LEAD_SOURCE_IN_USE', { contacts: 1, rules: 1, smartLists: 1 }]);
      await crm.rpc.call(L.delete, { key: 'sphere' }, owner);
      const { event } = await events.waitFor('crm.lead_source.deleted', 'sphere');
      expect(event.data).toEqual({ sourceKey: 'sphere', label: 'Sphere', archived: false, position: 9, builtIn: true });
      const list = await crm.rpc.call(L.list, { includeArchived: true }, owner);
      expect(list.map((source) => source.key)).toEqual([
        'website',
        'referral',
        'zillow',
        'realtor_com',
        'idx',
        'open_house',
        'sign_call',
        'social',
        'past_client',
        'manual',
        'import',
        'other',
        'facebook',
        'billboard',
        'radio',
      ]);
      expect(list.map((source) => source.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      const gone = await refusalOf(crm.rpc.call(S.create, { lastName: 'Sphere', source: 'sphere' }, agent));
      expect(gone.code).toBe('UNKNOWN_LEAD_SOURCE');
      await expect(crm.rpc.call(L.delete, { key: 'sphere' }, owner)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'LEAD_SOURCE_NOT_FOUND',
      });
    });

    it('moves and relabels a source (the others close up), restores an archived one, and answers 404 to another organization', async () => {
      const moved = await crm.rpc.call(L.update, { key: 'facebook', position: 0, label: 'Facebook Ads' }, owner);
      expect(moved).toMatchObject({ key: 'facebook', label: 'Facebook Ads', position: 0 });
      const { event } = await events.waitFor('crm.lead_source.updated', 'facebook');
      expect(event.data.changes).toEqual({ label: { from: 'Facebook', to: 'Facebook Ads' }, position: { from: 12, to: 0 } });
      expect((await keysOf(owner)).slice(0, 3)).toEqual(['facebook', 'website', 'referral']);
      expect((await crm.rpc.call(L.update, { key: 'billboard', archived: false, position: 99 }, owner)).position).toBe(14);
      expect(await createContact(crm, agent, { lastName: 'Again', source: 'billboard', phone: uniquePhone() })).toMatchObject({
        source: 'billboard',
      });
      await expect(crm.rpc.call(L.update, { key: 'facebook', label: 'Mine' }, stranger)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'LEAD_SOURCE_NOT_FOUND',
      });
      await expect(crm.rpc.call(L.update, { key: 'facebook', label: 'Mine' }, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(L.delete, { key: 'facebook' }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('crm.lead-sources.report', () => {
    // Its own organization, so the counts are exactly the contacts below.
    const reportOrg = newId();
    const teamId = newId();
    const boss = userOf(reportOrg, 'owner');
    const ann = userOf(reportOrg, 'agent', { teamIds: [teamId] });
    const bob = userOf(reportOrg, 'agent');
    const lead = userOf(reportOrg, 'manager', { teamIds: [teamId] });

    beforeAll(async () => {
      await seedIdentity(crm, [...identityEventsOf(boss), ...identityEventsOf(ann), ...identityEventsOf(bob), ...identityEventsOf(lead)]);
      await crm.rpc.call(L.create, { key: 'facebook', label: 'Facebook' }, boss);
      const add = (actor: Actor, lastName: string, source: string | null, status: CrmContactView['status']) =>
        createContact(crm, actor, { lastName, source, status, phone: uniquePhone(), onDuplicate: 'create' });
      await add(ann, 'A1', 'facebook', 'new');
      await add(ann, 'A2', 'facebook', 'closed');
      await add(ann, 'A3', 'facebook', 'lost');
      await add(ann, 'A4', 'zillow', 'contacted');
      await add(bob, 'B1', 'facebook', 'qualified');
      await add(bob, 'B2', 'referral', 'closed');
      await add(bob, 'B3', null, 'new');
      const old = await add(bob, 'B4', 'facebook', 'closed');
      await crmDataSource(crm).query(`UPDATE contact SET created_at = now() - interval '200 days' WHERE id = $1`, [old.id]);
    });

    const zeros = (report: CrmLeadSourceReport, keys: string[]) => keys.map((key) => report.sources.find((row) => row.key === key));

    it('counts the organization’s contacts of the last 90 days per source by their status now, sorted by leads, every active source listed', async () => {
      const report = await crm.rpc.call(L.report, {}, boss);
      expect(report.sources.slice(0, 5)).toEqual([
        { key: 'facebook', label: 'Facebook', leads: 4, contacted: 0, qualified: 1, closed: 1, lost: 1, conversionRateBps: 2500 },
        { key: 'referral', label: 'Referral', leads: 1, contacted: 0, qualified: 0, closed: 1, lost: 0, conversionRateBps: 10_000 },
        { key: 'zillow', label: 'Zillow', leads: 1, contacted: 1, qualified: 0, closed: 0, lost: 0, conversionRateBps: 0 },
        { key: null, label: 'No source', leads: 1, contacted: 0, qualified: 0, closed: 0, lost: 0, conversionRateBps: 0 },
        none('website', 'Website'),
      ]);
      expect(report.sources).toHaveLength(15);
      expect(zeros(report, ['other', 'import'])).toEqual([none('other', 'Other'), none('import', 'Import')]);
      // 2 closed of 7 leads = 2857.14… bps, rounded half up.
      expect(report.totals).toEqual({ leads: 7, contacted: 1, qualified: 1, closed: 2, lost: 1, conversionRateBps: 2857 });
    });

    it('narrows by the reports scope: an agent counts only their own contacts, a manager their team’s', async () => {
      const mine = await crm.rpc.call(L.report, {}, ann);
      // 1 closed of 3 = 3333.33… bps.
      expect(mine.sources[0]).toEqual({
        key: 'facebook',
        label: 'Facebook',
        leads: 3,
        contacted: 0,
        qualified: 0,
        closed: 1,
        lost: 1,
        conversionRateBps: 3333,
      });
      expect(mine.sources.find((row) => row.key === 'referral')).toEqual(none('referral', 'Referral'));
      expect(mine.sources.some((row) => row.key === null)).toBe(false);
      expect(mine.totals).toEqual({ leads: 4, contacted: 1, qualified: 0, closed: 1, lost: 1, conversionRateBps: 2500 });
      expect((await crm.rpc.call(L.report, {}, lead)).totals).toEqual(mine.totals);
      expect((await crm.rpc.call(L.report, {}, bob)).totals).toEqual({
        leads: 3,
        contacted: 0,
        qualified: 1,
        closed: 1,
        lost: 0,
        conversionRateBps: 3333,
      });
      await expect(crm.rpc.call(L.report, {}, userOf(reportOrg, 'client'))).rejects.toMatchObject({ kind: 'forbidden' });
    });

    it('counts only contacts created in the period (UTC days, inclusive) and refuses a bad period', async () => {
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      const past = await crm.rpc.call(L.report, { from: day(-250), to: day(-150) }, boss);
      expect(past).toMatchObject({ from: day(-250), to: day(-150) });
      expect(past.sources[0]).toEqual({
        key: 'facebook',
        label: 'Facebook',
        leads: 1,
        contacted: 0,
        qualified: 0,
        closed: 1,
        lost: 0,
        conversionRateBps: 10_000,
      });
      expect(past.totals.leads).toBe(1);
      expect((await crm.rpc.call(L.report, { to: day(-1) }, boss)).totals.leads).toBe(0);
      const reversed = await refusalOf(crm.rpc.call(L.report, { from: day(0), to: day(-1) }, boss));
      expect([reversed.kind, reversed.errors?.[0]?.field]).toEqual(['validation', 'from']);
      const impossible = await refusalOf(crm.rpc.call(L.report, { from: '2026-02-30' }, boss));
      expect([impossible.kind, impossible.errors?.[0]?.field]).toEqual(['validation', 'from']);
    });
  });
});
