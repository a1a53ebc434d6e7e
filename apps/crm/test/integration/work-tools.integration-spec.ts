import {
  CrmCompanySubjects as C,
  CrmSavedReplySubjects as R,
  CrmTagSubjects as G,
  type CrmCompanyView,
  type CrmSavedReplyView,
} from '@keyhouse/contracts';
import { startService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { createContact, type CrmTestService } from '../support/crm-contacts.util';
import { CrmEventLog } from '../support/crm-event-log.util';
import { seedUsers, userOf } from '../support/crm-users.util';

/**
 * Companies, saved replies and tag definitions on the crm service alone, over NATS: rules,
 * normalisation, reach and the events on `crm.events`. The HTTP side (DTO validation, route
 * permissions) is apps/gateway/test/integration/crm/crm-http.integration-spec.ts.
 */
describe('crm companies, saved replies and tags (crm service over NATS)', () => {
  let crm: CrmTestService;
  let events: CrmEventLog;
  const orgId = newId();
  const owner = userOf(orgId, 'owner');
  const stranger = userOf(newId(), 'owner');
  const agent = userOf(orgId, 'agent');
  const otherAgent = userOf(orgId, 'agent');
  const client = userOf(orgId, 'client');

  beforeAll(async () => {
    crm = await startService(startCrm);
    events = new CrmEventLog(crm);
    await events.start();
    await seedUsers(crm, [owner, stranger, agent, otherAgent, client]);
  });

  afterAll(async () => {
    await events?.stop();
    await crm?.stop();
  });

  describe('crm.companies.*', () => {
    let company: CrmCompanyView;

    it('creates a company with phones in E.164 and emits crm.company.created', async () => {
      company = await crm.rpc.call(
        C.create,
        {
          name: 'Evergreen Relocation LLC',
          industry: 'Relocation',
          size: '51-200',
          website: 'https://evergreen-relocation.example',
          phones: ['(206) 555-0100', '+44 20 7946 0958', '206.555.0100'],
          address: { street: '1301 2nd Ave', city: 'Seattle', state: 'WA', postalCode: '98101', country: 'us' },
        },
        agent,
      );
      expect(company).toMatchObject({
        name: 'Evergreen Relocation LLC',
        size: '51-200',
        phones: ['+12065550100', '+442079460958'],
        address: { street: '1301 2nd Ave', city: 'Seattle', state: 'WA', postalCode: '98101', country: 'US' },
      });
      const { event } = await events.waitFor('crm.company.created', company.id);
      expect(event.data).toMatchObject({ company: { id: company.id, name: 'Evergreen Relocation LLC' } });
    });

    it('refuses a bad phone (naming its index) and a taken name', async () => {
      const phone = await refusalOf(crm.rpc.call(C.create, { name: 'Acme', phones: ['+12065550100', '12'] }, agent));
      expect(phone.kind).toBe('validation');
      expect(phone.code).toBe('INVALID_PHONE');
      expect(phone.errors?.[0]?.field).toBe('phones[1]');
      await expect(crm.rpc.call(C.create, { name: 'EVERGREEN relocation llc' }, agent)).rejects.toMatchObject({
        kind: 'conflict',
        code: 'COMPANY_NAME_TAKEN',
      });
    });

    it('searches by part of the name, sorted by name, with cursor pagination', async () => {
      for (const name of ['Zephyr Builders', 'Alder Mortgage', 'Birch Builders']) await crm.rpc.call(C.create, { name }, agent);
      const builders = await crm.rpc.call(C.list, { q: 'build' }, agent);
      expect(builders.items.map((c) => c.name)).toEqual(['Birch Builders', 'Zephyr Builders']);
      const first = await crm.rpc.call(C.list, { limit: 2 }, otherAgent);
      expect(first.items.map((c) => c.name)).toEqual(['Alder Mortgage', 'Birch Builders']);
      const second = await crm.rpc.call(C.list, { limit: 2, cursor: first.nextCursor! }, otherAgent);
      expect(second.items.map((c) => c.name)).toEqual(['Evergreen Relocation LLC', 'Zephyr Builders']);
      expect(second.nextCursor).toBeNull();
      expect((await crm.rpc.call(C.list, { q: '%' }, agent)).items).toEqual([]);
    });

    it('counts the linked contacts the caller may read', async () => {
      await createContact(crm, agent, { firstName: 'Rita', lastName: 'Reloc', email: 'rita.company@example.test', companyId: company.id });
      expect((await crm.rpc.call(C.get, { id: company.id }, agent)).contactCount).toBe(1);
      expect((await crm.rpc.call(C.get, { id: company.id }, otherAgent)).contactCount).toBe(0);
      expect((await crm.rpc.call(C.get, { id: company.id }, owner)).contactCount).toBe(1);
    });

    it('updates (changes in crm.company.updated) and soft-deletes', async () => {
      const created = await crm.rpc.call(C.create, { name: 'Cedar Title' }, agent);
      const updated = await crm.rpc.call(C.update, { id: created.id, industry: 'Title', phones: ['2065550123'] }, otherAgent);
      expect(updated).toMatchObject({ industry: 'Title', phones: ['+12065550123'] });
      const { event } = await events.waitFor('crm.company.updated', created.id);
      expect(event.data).toEqual({
        companyId: created.id,
        changes: { industry: { from: null, to: 'Title' }, phones: { from: [], to: ['+12065550123'] } },
      });
      await crm.rpc.call(C.delete, { id: created.id }, agent);
      await expect(crm.rpc.call(C.get, { id: created.id }, agent)).rejects.toMatchObject({ kind: 'not_found' });
      await crm.rpc.call(C.create, { name: 'Cedar Title' }, agent);
    });

    it('answers not found to another organization on every operation and refuses a client', async () => {
      await expect(crm.rpc.call(C.get, { id: company.id }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(C.update, { id: company.id, industry: 'x' }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(C.delete, { id: company.id }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await crm.rpc.call(C.list, {}, stranger)).items).toEqual([]);
      await expect(crm.rpc.call(C.list, {}, client)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(C.create, { name: 'Client Co' }, client)).rejects.toMatchObject({ kind: 'forbidden' });
    });
  });

  describe('crm.saved-replies.*', () => {
    let reply: CrmSavedReplyView;

    it('creates a reply and lists its placeholders, flagging unknown ones', async () => {
      reply = await crm.rpc.call(
        R.create,
        {
          name: 'First contact',
          channel: 'email',
          subject: 'Homes for {{contact.firstName}}',
          body: 'Hi {{ contact.firstName }}, this is {{agent.name}}. {{contact.shoeSize}} {{organization.name}}',
        },
        agent,
      );
      expect(reply.placeholders).toEqual(['contact.firstName', 'agent.name', 'organization.name', 'contact.shoeSize']);
      expect(reply.unknownPlaceholders).toEqual(['contact.shoeSize']);
      await events.waitFor('crm.saved_reply.created', reply.id);
    });

    it('renders with given values, the caller as agent and a contact, reporting unknown placeholders and missing values', async () => {
      const contact = await createContact(crm, agent, { firstName: 'Maya', lastName: 'Lin', email: 'maya.reply@example.test' });
      const rendered = await crm.rpc.call(R.render, { id: reply.id, contactId: contact.id, values: { 'agent.name': 'Ava Stone' } }, agent);
      expect(rendered).toEqual({
        id: reply.id,
        subject: 'Homes for Maya',
        body: 'Hi Maya, this is Ava Stone. {{contact.shoeSize}} ',
        unknownPlaceholders: ['contact.shoeSize'],
        missingValues: ['organization.name'],
      });
      await expect(crm.rpc.call(R.render, { id: reply.id, values: { 'contact.firstName': 7 } }, agent)).rejects.toMatchObject({
        kind: 'validation',
        code: 'INVALID_PLACEHOLDER_VALUE',
      });
    });

    it('keeps replies private to their owner: not found for another agent, an admin and another organization; names unique per owner', async () => {
      for (const actor of [otherAgent, owner, stranger]) {
        await expect(crm.rpc.call(R.get, { id: reply.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(R.update, { id: reply.id, body: 'mine' }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(R.render, { id: reply.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(R.delete, { id: reply.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        expect((await crm.rpc.call(R.list, {}, actor)).items).toEqual([]);
      }
      await expect(crm.rpc.call(R.list, {}, client)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(R.create, { name: 'first CONTACT', body: 'x' }, agent)).rejects.toMatchObject({
        kind: 'conflict',
        code: 'SAVED_REPLY_NAME_TAKEN',
      });
      await crm.rpc.call(R.create, { name: 'First contact', body: 'x' }, otherAgent);
    });

    it('updates and deletes the owner’s reply', async () => {
      const updated = await crm.rpc.call(R.update, { id: reply.id, body: 'Hello {{contact.fullName}}' }, agent);
      expect(updated).toMatchObject({
        body: 'Hello {{contact.fullName}}',
        placeholders: ['contact.firstName', 'contact.fullName'],
        unknownPlaceholders: [],
      });
      await crm.rpc.call(R.delete, { id: reply.id }, agent);
      await expect(crm.rpc.call(R.get, { id: reply.id }, agent)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('crm.tags.*', () => {
    it('lets an admin define organization tags and anyone with contacts:write personal ones, normalizing colours', async () => {
      const orgTag = await crm.rpc.call(G.create, { name: 'Pre-approved', colour: '#1F8A70', scope: 'org' }, owner);
      expect(orgTag).toMatchObject({ name: 'Pre-approved', colour: '#1f8a70', scope: 'org', ownerId: null });
      await expect(crm.rpc.call(G.create, { name: 'Investor', colour: '#000', scope: 'org' }, agent)).rejects.toMatchObject({
        kind: 'forbidden',
      });
      const personal = await crm.rpc.call(G.create, { name: 'Pre-approved', colour: '#abc' }, agent);
      expect(personal).toMatchObject({ colour: '#aabbcc', scope: 'personal', ownerId: agent.userId });
      const { event } = await events.waitFor('crm.tag.created', orgTag.id);
      expect(event.data).toMatchObject({ tagId: orgTag.id, name: 'Pre-approved', scope: 'org' });

      await expect(crm.rpc.call(G.create, { name: 'PRE-APPROVED', colour: '#123456', scope: 'org' }, owner)).rejects.toMatchObject({
        kind: 'conflict',
        code: 'TAG_NAME_TAKEN',
      });
      await crm.rpc.call(G.create, { name: 'Pre-approved', colour: '#123456' }, otherAgent);

      const mine = await crm.rpc.call(G.list, {}, agent);
      expect(mine.items.map((t) => [t.scope, t.ownerId])).toEqual(
        expect.arrayContaining([
          ['org', null],
          ['personal', agent.userId],
        ]),
      );
      expect(mine.items).toHaveLength(2);
      await crm.rpc.call(G.list, { scope: 'org' }, client);
    });

    it('refuses changes to tags outside the caller’s reach: not found for others’ personal tags and other organizations, forbidden for org tags to agents', async () => {
      const orgTag = await crm.rpc.call(G.create, { name: 'Relocation', colour: '#336699', scope: 'org' }, owner);
      const personal = await crm.rpc.call(G.create, { name: 'Call Fridays', colour: '#ff0000' }, agent);
      await expect(crm.rpc.call(G.update, { id: orgTag.id, colour: '#000000' }, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(G.delete, { id: orgTag.id }, agent)).rejects.toMatchObject({ kind: 'forbidden' });
      for (const actor of [otherAgent, owner, stranger]) {
        await expect(crm.rpc.call(G.get, { id: personal.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(G.update, { id: personal.id, colour: '#000000' }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(G.delete, { id: personal.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
      }
      await expect(crm.rpc.call(G.get, { id: orgTag.id }, stranger)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(G.create, { name: 'x', colour: '#000000' }, client)).rejects.toMatchObject({ kind: 'forbidden' });

      const renamed = await crm.rpc.call(G.update, { id: orgTag.id, name: 'Relocating' }, owner);
      expect(renamed.name).toBe('Relocating');
      const { event } = await events.waitFor('crm.tag.updated', orgTag.id);
      expect(event.data).toMatchObject({ changes: { name: { from: 'Relocation', to: 'Relocating' } } });
      await crm.rpc.call(G.delete, { id: personal.id }, agent);
      await expect(crm.rpc.call(G.get, { id: personal.id }, agent)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });
});
