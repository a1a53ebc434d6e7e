import { createContact } from '../../support/crm-fixtures';
import { CrmEventLog, waitForUsersInCrm, type ProblemBody } from '../../support/crm-work-fixtures';
import { createUser, registerOrganization, type Session } from '../../support/fixtures';
import { startStack, type TestStack } from '../../support/stack';

interface CompanyJson {
  id: string;
  name: string;
  industry: string | null;
  size: string | null;
  website: string | null;
  phones: string[];
  address: Record<string, string> | null;
  contactCount?: number | null;
}

interface ReplyJson {
  id: string;
  name: string;
  subject: string | null;
  body: string;
  placeholders: string[];
  unknownPlaceholders: string[];
}

interface TagJson {
  id: string;
  name: string;
  colour: string;
  scope: string;
  ownerId: string | null;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

describe('Companies, saved replies and tags through the gateway', () => {
  let stack: TestStack;
  let events: CrmEventLog;
  let owner: Session;
  let agent: Session;
  let otherAgent: Session;
  let client: Session;
  let stranger: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm'] });
    events = new CrmEventLog(stack);
    await events.start();
    owner = await registerOrganization(stack.http);
    stranger = await registerOrganization(stack.http, 'Other Brokerage');
    agent = await createUser(stack.http, owner, 'agent');
    otherAgent = await createUser(stack.http, owner, 'agent');
    client = await createUser(stack.http, owner, 'client');
    await waitForUsersInCrm(stack, [{ userId: agent.userId }]);
  });

  afterAll(async () => {
    await events?.stop();
    await stack?.stop();
  });

  describe('/v1/companies', () => {
    let company: CompanyJson;

    it('creates a company with phones in E.164 and emits crm.company.created', async () => {
      const response = await stack.http.post<CompanyJson>(
        '/v1/companies',
        {
          name: 'Evergreen Relocation LLC',
          industry: 'Relocation',
          size: '51-200',
          website: 'https://evergreen-relocation.example',
          phones: ['(206) 555-0100', '+44 20 7946 0958', '206.555.0100'],
          address: { street: '1301 2nd Ave', city: 'Seattle', state: 'WA', postalCode: '98101', country: 'us' },
        },
        { token: agent.accessToken },
      );
      expect(response.status).toBe(201);
      company = response.body;
      expect(company).toMatchObject({
        name: 'Evergreen Relocation LLC',
        size: '51-200',
        phones: ['+12065550100', '+442079460958'],
        address: { street: '1301 2nd Ave', city: 'Seattle', state: 'WA', postalCode: '98101', country: 'US' },
      });
      const { event } = await events.waitFor('crm.company.created', company.id);
      expect(event.data).toMatchObject({ company: { id: company.id, name: 'Evergreen Relocation LLC' } });
    });

    it('refuses invalid input: a bad phone (naming its index), a bad size, a non-http website, an unknown field, a taken name', async () => {
      const bad = async (body: Record<string, unknown>) =>
        stack.http.post<ProblemBody>('/v1/companies', { name: 'Acme', ...body }, { token: agent.accessToken });
      const phone = await bad({ phones: ['+12065550100', '12'] });
      expect(phone.status).toBe(400);
      expect(phone.body.code).toBe('INVALID_PHONE');
      expect(phone.body.errors?.[0]?.field).toBe('phones[1]');
      expect((await bad({ size: 'huge' })).body.errors?.[0]?.field).toBe('size');
      expect((await bad({ website: 'ftp://acme.example' })).body.errors?.[0]?.field).toBe('website');
      expect((await bad({ revenue: 1 })).body.errors?.[0]?.field).toBe('revenue');
      const taken = await bad({ name: 'EVERGREEN relocation llc' });
      expect(taken.status).toBe(409);
      expect(taken.body.code).toBe('COMPANY_NAME_TAKEN');
    });

    it('searches by part of the name, sorted by name, with cursor pagination', async () => {
      for (const name of ['Zephyr Builders', 'Alder Mortgage', 'Birch Builders']) {
        expect((await stack.http.post('/v1/companies', { name }, { token: agent.accessToken })).status).toBe(201);
      }
      const builders = await stack.http.get<Page<CompanyJson>>('/v1/companies?q=build', { token: agent.accessToken });
      expect(builders.body.items.map((c) => c.name)).toEqual(['Birch Builders', 'Zephyr Builders']);
      const first = await stack.http.get<Page<CompanyJson>>('/v1/companies?limit=2', { token: otherAgent.accessToken });
      expect(first.body.items.map((c) => c.name)).toEqual(['Alder Mortgage', 'Birch Builders']);
      const second = await stack.http.get<Page<CompanyJson>>(`/v1/companies?limit=2&cursor=${first.body.nextCursor}`, {
        token: otherAgent.accessToken,
      });
      expect(second.body.items.map((c) => c.name)).toEqual(['Evergreen Relocation LLC', 'Zephyr Builders']);
      expect(second.body.nextCursor).toBeNull();
      expect((await stack.http.get<Page<CompanyJson>>('/v1/companies?q=%25', { token: agent.accessToken })).body.items).toEqual([]);
    });

    it('counts the linked contacts the caller may read on GET /v1/companies/:id', async () => {
      await createContact(stack.http, agent.accessToken, {
        firstName: 'Rita',
        lastName: 'Reloc',
        email: 'rita.company@example.test',
        companyId: company.id,
      });
      expect((await stack.http.get<CompanyJson>(`/v1/companies/${company.id}`, { token: agent.accessToken })).body.contactCount).toBe(1);
      expect((await stack.http.get<CompanyJson>(`/v1/companies/${company.id}`, { token: otherAgent.accessToken })).body.contactCount).toBe(
        0,
      );
      expect((await stack.http.get<CompanyJson>(`/v1/companies/${company.id}`, { token: owner.accessToken })).body.contactCount).toBe(1);
    });

    it('updates (changes in crm.company.updated) and soft-deletes', async () => {
      const created = await stack.http.post<CompanyJson>('/v1/companies', { name: 'Cedar Title' }, { token: agent.accessToken });
      const updated = await stack.http.patch<CompanyJson>(
        `/v1/companies/${created.body.id}`,
        { industry: 'Title', phones: ['2065550123'] },
        { token: otherAgent.accessToken },
      );
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ industry: 'Title', phones: ['+12065550123'] });
      const { event } = await events.waitFor('crm.company.updated', created.body.id);
      expect(event.data).toEqual({
        companyId: created.body.id,
        changes: { industry: { from: null, to: 'Title' }, phones: { from: [], to: ['+12065550123'] } },
      });
      expect((await stack.http.delete(`/v1/companies/${created.body.id}`, { token: agent.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/companies/${created.body.id}`, { token: agent.accessToken })).status).toBe(404);
      expect((await stack.http.post('/v1/companies', { name: 'Cedar Title' }, { token: agent.accessToken })).status).toBe(201);
    });

    it('answers 404 to another organization on every route and 403 to a client', async () => {
      const token = stranger.accessToken;
      expect((await stack.http.get(`/v1/companies/${company.id}`, { token })).status).toBe(404);
      expect((await stack.http.patch(`/v1/companies/${company.id}`, { industry: 'x' }, { token })).status).toBe(404);
      expect((await stack.http.delete(`/v1/companies/${company.id}`, { token })).status).toBe(404);
      expect((await stack.http.get<Page<CompanyJson>>('/v1/companies', { token })).body.items).toEqual([]);
      expect((await stack.http.get('/v1/companies', { token: client.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/companies', { name: 'Client Co' }, { token: client.accessToken })).status).toBe(403);
    });
  });

  describe('/v1/saved-replies', () => {
    let reply: ReplyJson;

    it('creates a reply and lists its placeholders, flagging unknown ones', async () => {
      const response = await stack.http.post<ReplyJson>(
        '/v1/saved-replies',
        {
          name: 'First contact',
          channel: 'email',
          subject: 'Homes for {{contact.firstName}}',
          body: 'Hi {{ contact.firstName }}, this is {{agent.name}}. {{contact.shoeSize}} {{organization.name}}',
        },
        { token: agent.accessToken },
      );
      expect(response.status).toBe(201);
      reply = response.body;
      expect(reply.placeholders).toEqual(['contact.firstName', 'agent.name', 'organization.name', 'contact.shoeSize']);
      expect(reply.unknownPlaceholders).toEqual(['contact.shoeSize']);
      await events.waitFor('crm.saved_reply.created', reply.id);
    });

    it('renders with given values, the caller as agent and a contact, reporting unknown placeholders and missing values', async () => {
      const contact = await createContact(stack.http, agent.accessToken, {
        firstName: 'Maya',
        lastName: 'Lin',
        email: 'maya.reply@example.test',
      });
      const response = await stack.http.post<{ subject: string; body: string; unknownPlaceholders: string[]; missingValues: string[] }>(
        `/v1/saved-replies/${reply.id}/render`,
        { contactId: contact.id, values: { 'agent.name': 'Ava Stone' } },
        { token: agent.accessToken },
      );
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        id: reply.id,
        subject: 'Homes for Maya',
        body: 'Hi Maya, this is Ava Stone. {{contact.shoeSize}} ',
        unknownPlaceholders: ['contact.shoeSize'],
        missingValues: ['organization.name'],
      });
      const hidden = await stack.http.post<ProblemBody>(
        `/v1/saved-replies/${reply.id}/render`,
        { values: { 'contact.firstName': 7 } },
        { token: agent.accessToken },
      );
      expect(hidden.status).toBe(400);
      expect(hidden.body.code).toBe('INVALID_PLACEHOLDER_VALUE');
    });

    it('keeps replies private to their owner: 404 for another agent, an admin and another organization; names unique per owner', async () => {
      for (const token of [otherAgent.accessToken, owner.accessToken, stranger.accessToken]) {
        expect((await stack.http.get(`/v1/saved-replies/${reply.id}`, { token })).status).toBe(404);
        expect((await stack.http.patch(`/v1/saved-replies/${reply.id}`, { body: 'mine' }, { token })).status).toBe(404);
        expect((await stack.http.post(`/v1/saved-replies/${reply.id}/render`, {}, { token })).status).toBe(404);
        expect((await stack.http.delete(`/v1/saved-replies/${reply.id}`, { token })).status).toBe(404);
        expect((await stack.http.get<Page<ReplyJson>>('/v1/saved-replies', { token })).body.items).toEqual([]);
      }
      expect((await stack.http.get('/v1/saved-replies', { token: client.accessToken })).status).toBe(403);
      const same = await stack.http.post<ProblemBody>(
        '/v1/saved-replies',
        { name: 'first CONTACT', body: 'x' },
        { token: agent.accessToken },
      );
      expect(same.status).toBe(409);
      expect(same.body.code).toBe('SAVED_REPLY_NAME_TAKEN');
      expect(
        (await stack.http.post('/v1/saved-replies', { name: 'First contact', body: 'x' }, { token: otherAgent.accessToken })).status,
      ).toBe(201);
    });

    it('updates and deletes the owner’s reply', async () => {
      const updated = await stack.http.patch<ReplyJson>(
        `/v1/saved-replies/${reply.id}`,
        { body: 'Hello {{contact.fullName}}' },
        { token: agent.accessToken },
      );
      expect(updated.body).toMatchObject({
        body: 'Hello {{contact.fullName}}',
        placeholders: ['contact.firstName', 'contact.fullName'],
        unknownPlaceholders: [],
      });
      expect((await stack.http.delete(`/v1/saved-replies/${reply.id}`, { token: agent.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/saved-replies/${reply.id}`, { token: agent.accessToken })).status).toBe(404);
    });
  });

  describe('/v1/tags', () => {
    it('lets an admin define organization tags and anyone with contacts:write personal ones, normalizing colours', async () => {
      const orgTag = await stack.http.post<TagJson>(
        '/v1/tags',
        { name: 'Pre-approved', colour: '#1F8A70', scope: 'org' },
        { token: owner.accessToken },
      );
      expect(orgTag.status).toBe(201);
      expect(orgTag.body).toMatchObject({ name: 'Pre-approved', colour: '#1f8a70', scope: 'org', ownerId: null });
      const denied = await stack.http.post<ProblemBody>(
        '/v1/tags',
        { name: 'Investor', colour: '#000', scope: 'org' },
        { token: agent.accessToken },
      );
      expect(denied.status).toBe(403);
      const personal = await stack.http.post<TagJson>('/v1/tags', { name: 'Pre-approved', colour: '#abc' }, { token: agent.accessToken });
      expect(personal.status).toBe(201);
      expect(personal.body).toMatchObject({ colour: '#aabbcc', scope: 'personal', ownerId: agent.userId });
      const { event } = await events.waitFor('crm.tag.created', orgTag.body.id);
      expect(event.data).toMatchObject({ tagId: orgTag.body.id, name: 'Pre-approved', scope: 'org' });

      const dup = await stack.http.post<ProblemBody>(
        '/v1/tags',
        { name: 'PRE-APPROVED', colour: '#123456', scope: 'org' },
        { token: owner.accessToken },
      );
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('TAG_NAME_TAKEN');
      expect(
        (await stack.http.post('/v1/tags', { name: 'Pre-approved', colour: '#123456' }, { token: otherAgent.accessToken })).status,
      ).toBe(201);
      const badColour = await stack.http.post<ProblemBody>('/v1/tags', { name: 'Hot', colour: 'red' }, { token: agent.accessToken });
      expect(badColour.status).toBe(400);
      expect(badColour.body.errors?.[0]?.field).toBe('colour');

      const mine = await stack.http.get<Page<TagJson>>('/v1/tags', { token: agent.accessToken });
      expect(mine.body.items.map((t) => [t.scope, t.ownerId])).toEqual(
        expect.arrayContaining([
          ['org', null],
          ['personal', agent.userId],
        ]),
      );
      expect(mine.body.items).toHaveLength(2);
      expect((await stack.http.get<Page<TagJson>>('/v1/tags?scope=org', { token: client.accessToken })).status).toBe(200);
    });

    it('refuses changes to tags outside the caller’s reach: 404 for others’ personal tags and other organizations, 403 for org tags to agents', async () => {
      const orgTag = await stack.http.post<TagJson>(
        '/v1/tags',
        { name: 'Relocation', colour: '#336699', scope: 'org' },
        { token: owner.accessToken },
      );
      const personal = await stack.http.post<TagJson>(
        '/v1/tags',
        { name: 'Call Fridays', colour: '#ff0000' },
        { token: agent.accessToken },
      );
      expect((await stack.http.patch(`/v1/tags/${orgTag.body.id}`, { colour: '#000000' }, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.delete(`/v1/tags/${orgTag.body.id}`, { token: agent.accessToken })).status).toBe(403);
      for (const token of [otherAgent.accessToken, owner.accessToken, stranger.accessToken]) {
        expect((await stack.http.get(`/v1/tags/${personal.body.id}`, { token })).status).toBe(404);
        expect((await stack.http.patch(`/v1/tags/${personal.body.id}`, { colour: '#000000' }, { token })).status).toBe(404);
        expect((await stack.http.delete(`/v1/tags/${personal.body.id}`, { token })).status).toBe(404);
      }
      expect((await stack.http.get(`/v1/tags/${orgTag.body.id}`, { token: stranger.accessToken })).status).toBe(404);
      expect((await stack.http.post('/v1/tags', { name: 'x', colour: '#000000' }, { token: client.accessToken })).status).toBe(403);

      const renamed = await stack.http.patch<TagJson>(`/v1/tags/${orgTag.body.id}`, { name: 'Relocating' }, { token: owner.accessToken });
      expect(renamed.body.name).toBe('Relocating');
      const { event } = await events.waitFor('crm.tag.updated', orgTag.body.id);
      expect(event.data).toMatchObject({ changes: { name: { from: 'Relocation', to: 'Relocating' } } });
      expect((await stack.http.delete(`/v1/tags/${personal.body.id}`, { token: agent.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/tags/${personal.body.id}`, { token: agent.accessToken })).status).toBe(404);
    });
  });
});
