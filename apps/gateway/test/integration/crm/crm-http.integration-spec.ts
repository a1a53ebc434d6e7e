import type { Page } from '@keyhouse/contracts';
import {
  createContact,
  eventually,
  identityOutboxEvents,
  identityUserRow,
  uniquePhone,
  waitForUsersInCrm,
  type ContactJson,
  type ProblemJson,
} from '../../support/crm.fixture';
import { createUser, login, mailSecrets, PASSWORD, registerOrganization, uniqueEmail, type Session } from '../../support/identity.fixture';
import { startStack, type TestStack } from '../../support/stack.fixture';

/**
 * The HTTP side of the crm routes (statuses, problem bodies, DTO validation, query parsing, CSV,
 * uploads, API keys, route permissions). The crm's rules themselves are tested on the service
 * alone: apps/crm/test/integration.
 */
describe('crm routes (HTTP through the gateway)', () => {
  let stack: TestStack;
  let owner: Session & { publicFormKey: string };
  let agent: Session;
  let client: Session;
  let otherOrgOwner: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm'] });
    owner = await registerOrganization(stack.http, 'Contacts Realty');
    otherOrgOwner = await registerOrganization(stack.http, 'Elsewhere Realty');
    agent = await createUser(stack.http, owner, 'agent');
    client = await createUser(stack.http, owner, 'client');
    // Tasks are assigned to users crm's read model knows (identity's events consumed).
    await waitForUsersInCrm(stack, [{ userId: agent.userId }]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('/v1/contacts', () => {
    it('answers 201 with the contact, 400 naming the invalid field, 403 without contacts:write and 401 without a token', async () => {
      const response = await stack.http.post<ContactJson>(
        '/v1/contacts',
        {
          firstName: 'Maya',
          lastName: 'Chen',
          email: 'Maya.Chen@Example.test',
          phone: '(206) 555-0147',
          type: 'buyer',
          source: 'referral',
        },
        { token: agent.accessToken },
      );
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        firstName: 'Maya',
        email: 'maya.chen@example.test',
        phone: '+12065550147',
        ownerId: agent.userId,
      });
      const bad = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { lastName: 'Nope', phones: ['+12065550199', '12'] },
        { token: agent.accessToken },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'phones[1]' })]);
      expect((await stack.http.post('/v1/contacts', { lastName: 'X' }, { token: client.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/contacts', { lastName: 'X' })).status).toBe(401);
    });

    it('answers a duplicate with 409 and duplicates[], onDuplicate=create with 201 and onDuplicate=merge with 200', async () => {
      const phone = uniquePhone();
      const original = await createContact(stack.http, owner.accessToken, {
        firstName: 'Jonathan',
        lastName: 'Smith',
        email: 'jon.smith@example.test',
        phone,
      });
      const duplicate = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { firstName: 'Other', email: 'JON.SMITH@example.test' },
        { token: owner.accessToken },
      );
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.code).toBe('DUPLICATE_CONTACT');
      expect(duplicate.body.duplicates).toEqual([{ id: original.id, reason: 'email' }]);
      const forced = await stack.http.post<ContactJson>(
        '/v1/contacts',
        { firstName: 'Jon', email: 'jon.smith@example.test', onDuplicate: 'create' },
        { token: owner.accessToken },
      );
      expect(forced.status).toBe(201);
      const merged = await stack.http.post<ContactJson>(
        '/v1/contacts',
        { lastName: 'Smith', phone, onDuplicate: 'merge' },
        { token: owner.accessToken },
      );
      expect([merged.status, merged.body.id]).toEqual([200, original.id]);
    });

    it('parses list filters given once, repeated or comma-separated, answers 400 for an unknown value, pages by cursor; /v1/leads is the same list', async () => {
      const lena = await createContact(stack.http, agent.accessToken, {
        firstName: 'Lena',
        lastName: 'Ortiz',
        source: 'zillow',
        type: 'seller',
      });
      const ids = async (path: string, token = owner.accessToken) =>
        (await stack.http.get<Page<ContactJson>>(path, { token })).body.items.map((c) => c.id);
      expect(await ids('/v1/contacts?source=zillow&type=seller')).toEqual([lena.id]);
      expect(await ids('/v1/contacts?source=zillow,idx&type=seller&type=buyer')).toEqual([lena.id]);
      expect(await ids('/v1/leads?source=zillow')).toEqual([lena.id]);
      expect(await ids('/v1/leads?source=zillow', otherOrgOwner.accessToken)).toEqual([]);
      expect((await stack.http.get<ProblemJson>('/v1/contacts?status=sold', { token: owner.accessToken })).status).toBe(400);
      const first = await stack.http.get<Page<ContactJson>>('/v1/contacts?sort=name&limit=2', { token: owner.accessToken });
      const second = await stack.http.get<Page<ContactJson>>(
        `/v1/contacts?sort=name&limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
        {
          token: owner.accessToken,
        },
      );
      expect(second.status).toBe(200);
      expect(new Set([...first.body.items, ...second.body.items].map((c) => c.id)).size).toBe(4);
    });

    it('answers 404 problems (CONTACT_NOT_FOUND; CONTACT_MERGED with mergedIntoId), 204 for deletes and 400 for more than 10,000 ids', async () => {
      const keep = await createContact(stack.http, agent.accessToken, { firstName: 'Sara', lastName: 'Kim', email: 'sara@example.test' });
      const other = await createContact(stack.http, agent.accessToken, {
        firstName: 'Sarah',
        lastName: 'Kimura',
        email: 'sara.k@example.test',
      });
      const foreign = await stack.http.get<ProblemJson>(`/v1/contacts/${keep.id}`, { token: otherOrgOwner.accessToken });
      expect([foreign.status, foreign.body.code]).toEqual([404, 'CONTACT_NOT_FOUND']);
      expect((await stack.http.post(`/v1/contacts/${keep.id}/merge`, { sourceId: other.id }, { token: agent.accessToken })).status).toBe(
        200,
      );
      const gone = await stack.http.get<ProblemJson & { mergedIntoId: string }>(`/v1/contacts/${other.id}`, { token: agent.accessToken });
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ code: 'CONTACT_MERGED', mergedIntoId: keep.id });
      const note = await stack.http.post<{ id: string }>(
        `/v1/contacts/${keep.id}/notes`,
        { body: 'Wants a garden' },
        { token: agent.accessToken },
      );
      expect(note.status).toBe(201);
      expect((await stack.http.delete(`/v1/contacts/${keep.id}/notes/${note.body.id}`, { token: agent.accessToken })).status).toBe(204);
      expect((await stack.http.delete(`/v1/contacts/${keep.id}`, { token: agent.accessToken })).status).toBe(204);
      const tooMany = Array.from({ length: 10_001 }, (_, i) => `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`);
      expect(
        (await stack.http.post('/v1/contacts/bulk/status', { ids: tooMany, status: 'lost' }, { token: owner.accessToken })).status,
      ).toBe(400);
    });

    it('answers 403 for the privacy export without contacts:export and erasure without contacts:erase, 204 for an erasure', async () => {
      const person = await createContact(stack.http, agent.accessToken, {
        firstName: 'Eve',
        lastName: 'Private',
        email: 'eve@example.test',
      });
      expect((await stack.http.get(`/v1/contacts/${person.id}/data-export`, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.get(`/v1/contacts/${person.id}/data-export`, { token: owner.accessToken })).status).toBe(200);
      expect((await stack.http.post(`/v1/contacts/${person.id}/erase`, {}, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.post(`/v1/contacts/${person.id}/erase`, {}, { token: owner.accessToken })).status).toBe(204);
    });

    it('resolves tags for an API key: 400 tags[i] UNKNOWN_TAG for an unknown name, 201 for an organization tag', async () => {
      await stack.http.post('/v1/tags', { name: 'Waterfront', colour: '#0ea5e9', scope: 'org' }, { token: owner.accessToken });
      const key = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'CRM sync', scopes: ['contacts:write:org', 'contacts:read:org'] },
        { token: owner.accessToken },
      );
      const byKey = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { lastName: 'Synced', phone: uniquePhone(), tags: ['Waterfront', 'Unheard of'] },
        { apiKey: key.body.key },
      );
      expect([byKey.status, byKey.body.errors?.[0]?.field, byKey.body.errors?.[0]?.code]).toEqual([400, 'tags[1]', 'UNKNOWN_TAG']);
      const keyed = await stack.http.post<ContactJson>(
        '/v1/contacts',
        { lastName: 'Synced', phone: uniquePhone(), tags: ['waterfront'] },
        { apiKey: key.body.key },
      );
      expect([keyed.status, keyed.body.tags]).toEqual([201, ['Waterfront']]);
    });
  });

  describe('CSV import and export', () => {
    it('imports a text/csv body through a column mapping, or a multipart upload; 400 without rows, 403 without contacts:write', async () => {
      const csv = [
        'Given,Family,E-mail,Zip,Kind,Labels',
        'Tara,Nolan,tara@example.test,98105,buyer,SELLER-2026;Imported',
        'Bad,Mail,not-an-email,,buyer,',
        ',,,,,',
        'Uma,Vance,uma@example.test,98103,investor,',
      ].join('\n');
      const mapping = encodeURIComponent(
        JSON.stringify({ Given: 'firstName', Family: 'lastName', 'E-mail': 'email', Zip: 'postalCode', Kind: 'type', Labels: 'tags' }),
      );
      const response = await stack.http.request<{
        created: number;
        merged: number;
        rejected: Array<{ row: number; field?: string; reason: string }>;
      }>('POST', `/v1/contacts/import?mapping=${mapping}`, { raw: csv, headers: { 'content-type': 'text/csv' }, token: agent.accessToken });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ created: 2, merged: 0 });
      expect(response.body.rejected.map((r) => [r.row, r.field ?? r.reason])).toEqual([
        [3, 'email'],
        [4, 'the row has no name, email or phone'],
      ]);
      const tara = await stack.http.get<Page<ContactJson>>('/v1/contacts?q=tara@example.test', { token: agent.accessToken });
      expect(tara.body.items[0]).toMatchObject({ ownerId: agent.userId, type: 'buyer', source: 'import' });
      expect(tara.body.items[0].tags).toEqual(['SELLER-2026', 'Imported']);
      expect(
        (
          await stack.http.request('POST', '/v1/contacts/import', {
            raw: csv,
            headers: { 'content-type': 'text/csv' },
            token: client.accessToken,
          })
        ).status,
      ).toBe(403);
      expect(
        (
          await stack.http.request('POST', '/v1/contacts/import', {
            raw: 'just one line',
            headers: { 'content-type': 'text/csv' },
            token: agent.accessToken,
          })
        ).status,
      ).toBe(400);
      const boundary = 'crm-import-boundary';
      const multipart = [
        `--${boundary}`,
        'Content-Disposition: form-data; name="file"; filename="leads.csv"',
        'Content-Type: text/csv',
        '',
        'firstName,lastName,email\nWes,Upload,wes@example.test',
        `--${boundary}--`,
        '',
      ].join('\r\n');
      const uploaded = await stack.http.request<{ created: number }>('POST', '/v1/contacts/import', {
        raw: multipart,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        token: agent.accessToken,
      });
      expect(uploaded.body).toMatchObject({ created: 1, merged: 0, rejected: [] });
    });

    it('exports the filtered list the caller can see as CSV; agents lack contacts:export', async () => {
      expect((await stack.http.get('/v1/contacts/export', { token: agent.accessToken })).status).toBe(403);
      const response = await stack.http.request<string>('GET', '/v1/contacts/export?type=investor', { token: owner.accessToken });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/csv');
      const lines = response.body.trim().split('\n');
      expect(lines[0]).toBe(
        'id,firstName,lastName,email,phone,type,status,score,ownerId,source,tags,postalCode,city,lastContactedAt,createdAt',
      );
      expect(lines.slice(1).map((line) => line.split(',')[3])).toEqual(['uma@example.test']);
      const foreign = await stack.http.request<string>('GET', '/v1/contacts/export?type=investor', { token: otherOrgOwner.accessToken });
      expect(foreign.body.trim().split('\n')).toHaveLength(1);
    });
  });
  describe('lead intake', () => {
    const event = (externalId: string, email: string) => ({
      type: 'inquiry',
      source: 'zillow',
      externalId,
      person: { firstName: 'Ivy', lastName: 'Park', email, postalCode: '98115' },
      message: 'Is it still available?',
    });

    it('answers a lead event with 201, the same source + external id again with 200, and 403 without leads:write', async () => {
      const key = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'Website', scopes: ['leads:write:org'] },
        { token: owner.accessToken },
      );
      const first = await stack.http.post<{ contactId: string; merged: boolean; duplicateEvent: boolean }>(
        '/v1/lead-events',
        event('z-1', 'ivy@example.test'),
        {
          apiKey: key.body.key,
        },
      );
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ merged: false, duplicateEvent: false });
      const again = await stack.http.post<{ contactId: string; duplicateEvent: boolean }>(
        '/v1/lead-events',
        event('z-1', 'ivy@example.test'),
        {
          apiKey: key.body.key,
        },
      );
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ contactId: first.body.contactId, duplicateEvent: true });
      expect((await stack.http.post('/v1/lead-events', event('z-3', 'x@example.test'), { token: owner.accessToken })).status).toBe(403);
      const readKey = await stack.http.post<{ key: string }>(
        '/v1/api-keys',
        { name: 'Read', scopes: ['agents:read:org'] },
        { token: owner.accessToken },
      );
      expect((await stack.http.post('/v1/lead-events', event('z-3', 'x@example.test'), { apiKey: readKey.body.key })).status).toBe(403);
    });

    it('creates one contact for the same Idempotency-Key twice, answers a matching submission like a new one (201), an unknown form key with 404 and no email or phone with 400', async () => {
      const body = {
        formKey: owner.publicFormKey,
        firstName: 'Noah',
        lastName: 'Reed',
        email: 'noah@example.test',
        message: 'Selling in spring',
        source: 'website',
      };
      const headers = { 'idempotency-key': 'form-submit-0001' };
      const first = await stack.http.post<{ submissionId: string }>('/v1/public/leads', body, { headers });
      expect(first.status).toBe(201);
      expect(Object.keys(first.body)).toEqual(['submissionId']);
      const replay = await stack.http.post<{ submissionId: string }>('/v1/public/leads', body, { headers });
      expect(replay.body).toEqual(first.body);
      const list = await stack.http.get<Page<ContactJson>>('/v1/contacts?q=noah@example.test', { token: owner.accessToken });
      expect(list.body.items).toHaveLength(1);
      const later = await stack.http.post<{ submissionId: string }>(
        '/v1/public/leads',
        { ...body, message: 'Also buying' },
        { headers: { 'idempotency-key': 'form-submit-0002' } },
      );
      // Issue 13 item 6: the same answer as for a new person (the submission joins the contact).
      expect(later.status).toBe(201);
      expect(Object.keys(later.body)).toEqual(['submissionId']);
      expect(later.body.submissionId).not.toBe(first.body.submissionId);
      expect(
        (await stack.http.get<Page<ContactJson>>('/v1/contacts?q=noah@example.test', { token: owner.accessToken })).body.items,
      ).toHaveLength(1);
      expect(
        (await stack.http.post<ProblemJson>('/v1/public/leads', { formKey: 'pfk_doesnotexist00', email: 'a@example.test' })).status,
      ).toBe(404);
      expect((await stack.http.post<ProblemJson>('/v1/public/leads', { formKey: owner.publicFormKey, firstName: 'Anon' })).status).toBe(
        400,
      );
    });

    it('registers a client of the existing contact (201), who sees it once the email is verified; a taken email answers like a new one, 404 for an unknown form key', async () => {
      expect(
        (
          await stack.http.post('/v1/public/leads', {
            formKey: owner.publicFormKey,
            firstName: 'Cleo',
            lastName: 'Client',
            email: 'cleo@example.test',
          })
        ).status,
      ).toBe(201);
      const existing = {
        body: {
          contactId: (await stack.http.get<Page<ContactJson>>('/v1/contacts?q=cleo@example.test', { token: owner.accessToken })).body
            .items[0].id,
        },
      };
      const registration = {
        formKey: owner.publicFormKey,
        name: 'Cleo Client',
        email: 'cleo@example.test',
        password: 'a long client password 42',
      };
      const registered = await stack.http.post<{ userId: string; contactId: string }>('/v1/public/clients/register', registration);
      expect(registered.status).toBe(201);
      expect(registered.body.contactId).toBe(existing.body.contactId);
      const cleo = await login(stack.http, 'cleo@example.test', 'a long client password 42');
      // Issue 13 item 2: an existing contact is linked only once the address is verified.
      const verification = await mailSecrets(stack.env, 'cleo@example.test', 'email_verification');
      expect((await stack.http.post('/v1/auth/email/verify', { token: verification.token })).status).toBe(204);
      let seen: string[] = [];
      for (const started = Date.now(); seen.length === 0 && Date.now() - started < 15_000;) {
        seen = (await stack.http.get<Page<ContactJson>>('/v1/contacts', { token: cleo.accessToken })).body.items.map((c) => c.id);
        if (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 150));
      }
      expect(seen).toEqual([existing.body.contactId]);
      // Issue 13 item 12: a taken address is answered like a new one (201), telling nobody it has an account.
      expect((await stack.http.post<ProblemJson>('/v1/public/clients/register', { ...registration, name: 'Cleo Again' })).status).toBe(201);
      expect(
        (await stack.http.post('/v1/public/clients/register', { ...registration, formKey: 'pfk_unknownunknown', email: 'xy@example.test' }))
          .status,
      ).toBe(404);
    });
  });

  describe('assignment rules and ponds', () => {
    it('answers 201 for an admin’s rule and pond, 403 for an agent (assignment-rules:write), 200 for reads and 204 for deletes', async () => {
      const body = { name: 'Referrals', priority: 10, conditions: { sources: ['referral'] }, strategy: 'agent', agentIds: [] as string[] };
      expect((await stack.http.post('/v1/assignment-rules', body, { token: agent.accessToken })).status).toBe(403);
      const pond = await stack.http.post<{ id: string }>('/v1/ponds', { name: 'Social pond' }, { token: owner.accessToken });
      expect(pond.status).toBe(201);
      const created = await stack.http.post<{ id: string }>(
        '/v1/assignment-rules',
        { ...body, strategy: 'pond', pondId: pond.body.id },
        { token: owner.accessToken },
      );
      expect(created.status).toBe(201);
      expect((await stack.http.get(`/v1/assignment-rules/${created.body.id}`, { token: agent.accessToken })).status).toBe(200);
      expect((await stack.http.get(`/v1/assignment-rules/${created.body.id}/ledger`, { token: agent.accessToken })).status).toBe(200);
      expect((await stack.http.post('/v1/ponds', { name: 'Mine' }, { token: agent.accessToken })).status).toBe(403);
      const conflict = await stack.http.delete<ProblemJson & { ruleIds: string[] }>(`/v1/ponds/${pond.body.id}`, {
        token: owner.accessToken,
      });
      expect([conflict.status, conflict.body.code, conflict.body.ruleIds]).toEqual([409, 'POND_IN_USE', [created.body.id]]);
      expect((await stack.http.delete(`/v1/assignment-rules/${created.body.id}`, { token: owner.accessToken })).status).toBe(204);
      expect((await stack.http.delete(`/v1/ponds/${pond.body.id}`, { token: owner.accessToken })).status).toBe(204);
    });
  });
  describe('/v1/tasks', () => {
    const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

    it.each([
      ['a type outside the list', { type: 'visit' }, 'type'],
      ['an unknown field', { colour: 'red' }, 'colour'],
      ['a due time without a zone', { dueAt: '2030-01-07T17:00:00' }, 'dueAt'],
      ['a negative reminder', { reminders: [-5] }, 'reminders'],
      ['an empty title', { title: '   ' }, 'title'],
    ])('answers 400 naming the field for %s', async (_label, change, field) => {
      const response = await stack.http.post<ProblemJson>(
        '/v1/tasks',
        { title: 'x', type: 'call', dueAt: inMinutes(60), ...change },
        { token: agent.accessToken },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors?.map((error) => error.field)).toContain(field);
    });

    it('answers 201, 200, 409 TASK_NOT_OPEN, 204 then 404; 400 INVALID_RECURRENCE and for a bad overdue flag; 403 to a client', async () => {
      const created = await stack.http.post<{ id: string; dueAt: string }>(
        '/v1/tasks',
        { title: 'Call back', type: 'call', dueAt: '2030-01-07T17:00:00+02:00' },
        { token: agent.accessToken },
      );
      expect([created.status, created.body.dueAt]).toEqual([201, '2030-01-07T15:00:00.000Z']);
      const recurrence = await stack.http.post<ProblemJson>(
        '/v1/tasks',
        { title: 'x', type: 'call', dueAt: inMinutes(60), recurrence: 'FREQ=BOGUS' },
        { token: agent.accessToken },
      );
      expect([recurrence.status, recurrence.body.code, recurrence.body.errors?.[0]?.field]).toEqual([
        400,
        'INVALID_RECURRENCE',
        'recurrence',
      ]);
      const own = await stack.http.get<Page<{ id: string }>>(`/v1/agents/${agent.userId}/tasks?limit=100`, { token: agent.accessToken });
      expect(own.status).toBe(200);
      expect(own.body.items.map((t) => t.id)).toContain(created.body.id);
      expect((await stack.http.get<ProblemJson>('/v1/tasks?overdue=maybe', { token: agent.accessToken })).status).toBe(400);
      expect((await stack.http.get('/v1/tasks?overdue=true', { token: agent.accessToken })).status).toBe(200);
      expect((await stack.http.post(`/v1/tasks/${created.body.id}/complete`, undefined, { token: agent.accessToken })).status).toBe(200);
      const again = await stack.http.post<ProblemJson>(`/v1/tasks/${created.body.id}/complete`, undefined, { token: agent.accessToken });
      expect([again.status, again.body.code]).toEqual([409, 'TASK_NOT_OPEN']);
      expect((await stack.http.delete(`/v1/tasks/${created.body.id}`, { token: agent.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/tasks/${created.body.id}`, { token: agent.accessToken })).status).toBe(404);
      expect((await stack.http.get('/v1/tasks', { token: client.accessToken })).status).toBe(403);
      expect(
        (await stack.http.post('/v1/tasks', { title: 'x', type: 'call', dueAt: inMinutes(5) }, { token: client.accessToken })).status,
      ).toBe(403);
    });
  });

  describe('/v1/companies, /v1/saved-replies, /v1/tags', () => {
    it('answers 201 for a company, 400 naming the field for a bad phone, size, website or unknown field, 409 for a taken name, 204 for a delete and 403 to a client', async () => {
      const created = await stack.http.post<{ id: string; phones: string[] }>(
        '/v1/companies',
        { name: 'Evergreen Relocation LLC', size: '51-200', website: 'https://evergreen-relocation.example', phones: ['(206) 555-0100'] },
        { token: agent.accessToken },
      );
      expect([created.status, created.body.phones]).toEqual([201, ['+12065550100']]);
      const bad = async (body: Record<string, unknown>) =>
        stack.http.post<ProblemJson>('/v1/companies', { name: 'Acme', ...body }, { token: agent.accessToken });
      const phone = await bad({ phones: ['+12065550100', '12'] });
      expect([phone.status, phone.body.code, phone.body.errors?.[0]?.field]).toEqual([400, 'INVALID_PHONE', 'phones[1]']);
      expect((await bad({ size: 'huge' })).body.errors?.[0]?.field).toBe('size');
      expect((await bad({ website: 'ftp://acme.example' })).body.errors?.[0]?.field).toBe('website');
      expect((await bad({ revenue: 1 })).body.errors?.[0]?.field).toBe('revenue');
      const taken = await bad({ name: 'EVERGREEN relocation llc' });
      expect([taken.status, taken.body.code]).toEqual([409, 'COMPANY_NAME_TAKEN']);
      expect((await stack.http.get('/v1/companies', { token: client.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/companies', { name: 'Client Co' }, { token: client.accessToken })).status).toBe(403);
      expect((await stack.http.delete(`/v1/companies/${created.body.id}`, { token: agent.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/companies/${created.body.id}`, { token: agent.accessToken })).status).toBe(404);
    });

    it('answers 201 for a saved reply, 200 for a rendering, 400 INVALID_PLACEHOLDER_VALUE, 409 for a taken name and 403 to a client', async () => {
      const reply = await stack.http.post<{ id: string }>(
        '/v1/saved-replies',
        { name: 'First contact', channel: 'email', body: 'Hi {{contact.firstName}}, this is {{agent.name}}.' },
        { token: agent.accessToken },
      );
      expect(reply.status).toBe(201);
      const rendered = await stack.http.post<{ body: string }>(
        `/v1/saved-replies/${reply.body.id}/render`,
        { values: { 'contact.firstName': 'Maya', 'agent.name': 'Ava Stone' } },
        { token: agent.accessToken },
      );
      expect([rendered.status, rendered.body.body]).toEqual([200, 'Hi Maya, this is Ava Stone.']);
      const hidden = await stack.http.post<ProblemJson>(
        `/v1/saved-replies/${reply.body.id}/render`,
        { values: { 'contact.firstName': 7 } },
        { token: agent.accessToken },
      );
      expect([hidden.status, hidden.body.code]).toEqual([400, 'INVALID_PLACEHOLDER_VALUE']);
      const same = await stack.http.post<ProblemJson>(
        '/v1/saved-replies',
        { name: 'first CONTACT', body: 'x' },
        { token: agent.accessToken },
      );
      expect([same.status, same.body.code]).toEqual([409, 'SAVED_REPLY_NAME_TAKEN']);
      expect((await stack.http.get('/v1/saved-replies', { token: client.accessToken })).status).toBe(403);
      expect((await stack.http.delete(`/v1/saved-replies/${reply.body.id}`, { token: agent.accessToken })).status).toBe(204);
    });

    it('answers 201 for a tag, 400 naming colour for a bad colour, 403 for an agent’s organization tag, 409 for a taken name, 200 to a client reading and 204 for a delete', async () => {
      const orgTag = await stack.http.post<{ id: string; colour: string }>(
        '/v1/tags',
        { name: 'Pre-approved', colour: '#1F8A70', scope: 'org' },
        { token: owner.accessToken },
      );
      expect([orgTag.status, orgTag.body.colour]).toEqual([201, '#1f8a70']);
      const badColour = await stack.http.post<ProblemJson>('/v1/tags', { name: 'Hot', colour: 'red' }, { token: agent.accessToken });
      expect([badColour.status, badColour.body.errors?.[0]?.field]).toEqual([400, 'colour']);
      expect(
        (await stack.http.post('/v1/tags', { name: 'Investor', colour: '#000', scope: 'org' }, { token: agent.accessToken })).status,
      ).toBe(403);
      const dup = await stack.http.post<ProblemJson>(
        '/v1/tags',
        { name: 'PRE-APPROVED', colour: '#123456', scope: 'org' },
        { token: owner.accessToken },
      );
      expect([dup.status, dup.body.code]).toEqual([409, 'TAG_NAME_TAKEN']);
      expect((await stack.http.get('/v1/tags?scope=org', { token: client.accessToken })).status).toBe(200);
      expect((await stack.http.post('/v1/tags', { name: 'x', colour: '#000000' }, { token: client.accessToken })).status).toBe(403);
      expect((await stack.http.delete(`/v1/tags/${orgTag.body.id}`, { token: owner.accessToken })).status).toBe(204);
    });
  });

  describe('POST /v1/contacts/:id/erase → identity (crm.contact.erased, group identity.contact-erasure)', () => {
    it('erases the self-registered client user of the contact: login refused, tokens revoked, personal fields gone, identity.user.erased emitted', async () => {
      const email = uniqueEmail('client');
      const registered = await stack.http.post<{ userId: string; contactId: string }>('/v1/public/clients/register', {
        formKey: owner.publicFormKey,
        name: 'Cleo Client',
        email,
        password: PASSWORD,
        phone: '+12065550123',
      });
      expect(registered.status).toBe(201);
      const { userId, contactId } = registered.body;
      const registeredClient = await login(stack.http, email);
      expect(await identityUserRow(stack, userId)).toMatchObject({ name: 'Cleo Client', email, contact_id: contactId, status: 'active' });

      expect((await stack.http.post(`/v1/contacts/${contactId}/erase`, {}, { token: agent.accessToken })).status).toBe(403);
      expect((await stack.http.post(`/v1/contacts/${contactId}/erase`, {}, { token: owner.accessToken })).status).toBe(204);

      const row = await eventually(
        () => identityUserRow(stack, userId),
        (value) => value?.erased_at != null,
      );
      expect(row).toMatchObject({
        name: 'Erased user',
        email: `erased-${userId}@erased.invalid`,
        phone: null,
        password_hash: null,
        status: 'deactivated',
      });
      expect((await stack.http.post('/v1/auth/login', { email, password: PASSWORD })).status).toBe(401);
      await eventually(
        () => stack.http.get('/v1/users/me', { token: registeredClient.accessToken }).then((r) => r.status),
        (status) => status === 401,
        10_000,
      );

      const erased = await identityOutboxEvents<{ userId: string; contactId: string }>(stack, 'identity.user.erased');
      expect(erased.map((event) => event.data)).toEqual([{ userId, contactId }]);
      expect(erased[0]).toMatchObject({ subject: userId, orgid: owner.orgId, actorid: owner.userId });
      const updated = await identityOutboxEvents<{ userId: string; changes: Record<string, { from: unknown; to: unknown }> }>(
        stack,
        'identity.user.updated',
      );
      expect(updated.find((event) => event.data.userId === userId)?.data.changes).toEqual({
        name: { from: '[redacted]', to: 'Erased user' },
        email: { from: '[redacted]', to: `erased-${userId}@erased.invalid` },
      });
    });
  });
});
