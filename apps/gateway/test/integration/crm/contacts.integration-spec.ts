import { randomUUID } from 'node:crypto';
import type { Page } from '@keyhouse/contracts';
import { createKafka } from '@keyhouse/platform/messaging';
import {
  createAgent,
  createContact,
  uniquePhone,
  waitForAgentsInCrm,
  type AgentSession,
  type ContactJson,
  type ProblemJson,
} from '../../support/crm-fixtures';
import { crmDataSource } from '../../support/crm-work-fixtures';
import { createUser, registerOrganization, type Session } from '../../support/fixtures';
import { FREE_TEXT_TAGS_TO_DEFINITIONS } from '../../../../crm/src/database/migrations/1763769900000-crm-contact-tag-definitions';
import { startStack, type TestStack } from '../../support/stack';

describe('CRM contacts (through the gateway)', () => {
  let stack: TestStack;
  let owner: Session;
  let manager: Session;
  let ava: AgentSession;
  let ben: AgentSession;
  let outsider: AgentSession;
  let otherOrgOwner: Session;

  beforeAll(async () => {
    stack = await startStack({}, { services: ['crm'] });
    owner = await registerOrganization(stack.http, 'Contacts Realty');
    otherOrgOwner = await registerOrganization(stack.http, 'Elsewhere Realty');
    const team = await stack.http.post<{ id: string }>('/v1/teams', { name: 'North' }, { token: owner.accessToken });
    manager = await createUser(stack.http, owner, 'manager', { teamIds: [team.body.id] });
    ava = await createAgent(stack.http, owner, { teamIds: [team.body.id] });
    ben = await createAgent(stack.http, owner, { teamIds: [team.body.id] });
    outsider = await createAgent(stack.http, owner);
    await waitForAgentsInCrm(stack.http, owner, [ava.userId, ben.userId, outsider.userId]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const teamOf = async (session: Session): Promise<string> =>
    (await stack.http.get<{ teamIds: string[] }>('/v1/users/me', { token: session.accessToken })).body.teamIds[0];

  describe('POST /v1/contacts', () => {
    it('creates a contact with the Contract fields, the phone in E.164 and the agent as owner', async () => {
      const response = await stack.http.post<ContactJson>(
        '/v1/contacts',
        {
          firstName: 'Maya',
          lastName: 'Chen',
          email: 'Maya.Chen@Example.test',
          phone: '(206) 555-0147',
          type: 'buyer',
          source: 'referral',
          tags: ['VIP', ' vip'],
        },
        { token: ava.accessToken },
      );
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        firstName: 'Maya',
        lastName: 'Chen',
        email: 'maya.chen@example.test',
        phone: '+12065550147',
        type: 'buyer',
        status: 'new',
        ownerId: ava.userId,
        source: 'referral',
        tags: ['VIP'],
      });
      // An unknown tag name became a personal tag of the creating agent (first spelling kept).
      expect(response.body.tagDetails).toEqual([{ id: expect.any(String), name: 'VIP', colour: '#9ca3af', scope: 'personal' }]);
      expect(['hot', 'warm', 'cold']).toContain(response.body.score);
      expect(response.body.scoreReasons).toEqual([expect.objectContaining({ signal: 'source', points: 20 })]);
      expect(Date.parse(response.body.createdAt)).not.toBeNaN();
    });

    it('refuses an invalid phone naming the field, and a caller without contacts:write', async () => {
      const bad = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { lastName: 'Nope', phones: ['+12065550199', '12'] },
        { token: ava.accessToken },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'phones[1]' })]);
      const referrer = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { lastName: 'Referred', referrer: { type: 'contact', id: otherOrgOwner.userId } },
        { token: ava.accessToken },
      );
      expect(referrer.body.errors).toEqual([expect.objectContaining({ field: 'referrer.id' })]);
      const client = await createUser(stack.http, owner, 'client');
      expect((await stack.http.post('/v1/contacts', { lastName: 'X' }, { token: client.accessToken })).status).toBe(403);
      expect((await stack.http.post('/v1/contacts', { lastName: 'X' })).status).toBe(401);
    });
  });

  describe('duplicate detection', () => {
    let original: ContactJson;
    const phone = uniquePhone();

    beforeAll(async () => {
      original = await createContact(stack.http, owner.accessToken, {
        firstName: 'Jonathan',
        lastName: 'Smith',
        email: 'jon.smith@example.test',
        phone,
        address: { postalCode: '98103' },
      });
    });

    it('answers 409 with reason email for the same email in other case', async () => {
      const response = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { firstName: 'Other', email: 'JON.SMITH@example.test' },
        { token: owner.accessToken },
      );
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('DUPLICATE_CONTACT');
      expect(response.body.duplicates).toEqual([{ id: original.id, reason: 'email' }]);
    });

    it('answers 409 with reason phone for the same number written nationally', async () => {
      const national = `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
      const response = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { firstName: 'Someone', lastName: 'Else', phone: national },
        { token: owner.accessToken },
      );
      expect(response.status).toBe(409);
      expect(response.body.duplicates).toEqual([{ id: original.id, reason: 'phone' }]);
    });

    it('answers 409 with reason name for a similar name with the same ZIP, or the same phone suffix', async () => {
      const byZip = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { firstName: 'Jonathon', lastName: 'Smith', address: { postalCode: '98103' } },
        { token: owner.accessToken },
      );
      expect(byZip.status).toBe(409);
      expect(byZip.body.duplicates).toEqual([{ id: original.id, reason: 'name' }]);
      const suffixPhone = `+1425${String(2_000_000 + Number(phone.slice(-4))).padStart(7, '0')}`;
      expect(suffixPhone.slice(-4)).toBe(phone.slice(-4));
      const bySuffix = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { firstName: 'Jonathan', lastName: 'Smyth', phone: suffixPhone },
        { token: owner.accessToken },
      );
      expect(bySuffix.status).toBe(409);
      expect(bySuffix.body.duplicates).toEqual([{ id: original.id, reason: 'name' }]);
    });

    it('does not flag a similar name without ZIP or phone corroboration, nor a different name in the same ZIP', async () => {
      await createContact(stack.http, owner.accessToken, { firstName: 'Jonathan', lastName: 'Smith', address: { postalCode: '10001' } });
      await createContact(stack.http, owner.accessToken, { firstName: 'Priya', lastName: 'Raman', address: { postalCode: '98103' } });
    });

    it('creates anyway with onDuplicate=create, merges with onDuplicate=merge (200)', async () => {
      const forced = await stack.http.post<ContactJson>(
        '/v1/contacts',
        { firstName: 'Jon', email: 'jon.smith@example.test', onDuplicate: 'create' },
        { token: owner.accessToken },
      );
      expect(forced.status).toBe(201);
      expect(forced.body.id).not.toBe(original.id);
      const merged = await stack.http.post<ContactJson>(
        '/v1/contacts',
        { lastName: 'Smith', phone, emails: ['jon.work@example.test'], onDuplicate: 'merge' },
        { token: owner.accessToken },
      );
      expect(merged.status).toBe(200);
      expect(merged.body.id).toBe(original.id);
    });
  });

  describe('reading, changing and deleting by scope', () => {
    let avas: ContactJson;
    let outsiders: ContactJson;

    beforeAll(async () => {
      avas = await createContact(stack.http, ava.accessToken, {
        firstName: 'Lena',
        lastName: 'Ortiz',
        email: 'lena@example.test',
        source: 'zillow',
        type: 'seller',
      });
      outsiders = await createContact(stack.http, outsider.accessToken, {
        firstName: 'Omar',
        lastName: 'Haddad',
        email: 'omar@example.test',
      });
    });

    it('lets the owner read and change, refuses another agent and another organization with 404', async () => {
      expect((await stack.http.get(`/v1/contacts/${avas.id}`, { token: ava.accessToken })).status).toBe(200);
      for (const token of [ben.accessToken, otherOrgOwner.accessToken]) {
        expect((await stack.http.get<ProblemJson>(`/v1/contacts/${avas.id}`, { token })).body.code).toBe('CONTACT_NOT_FOUND');
        expect((await stack.http.patch(`/v1/contacts/${avas.id}`, { status: 'lost' }, { token })).status).toBe(404);
        expect((await stack.http.delete(`/v1/contacts/${avas.id}`, { token })).status).toBe(404);
        expect((await stack.http.get(`/v1/contacts/${avas.id}/timeline`, { token })).status).toBe(404);
        expect((await stack.http.post(`/v1/contacts/${avas.id}/notes`, { body: 'x' }, { token })).status).toBe(404);
      }
      await stack.http.post('/v1/tags', { name: 'seller-2026', colour: '#f97316', scope: 'org' }, { token: owner.accessToken });
      const patched = await stack.http.patch<ContactJson>(
        `/v1/contacts/${avas.id}`,
        { status: 'contacted', tags: ['seller-2026'] },
        { token: ava.accessToken },
      );
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ status: 'contacted', tags: ['seller-2026'] });
    });

    it('shows the manager the team’s contacts but not those of agents outside the team; the admin sees all', async () => {
      const seen = async (token: string) =>
        (await stack.http.get<Page<ContactJson>>('/v1/contacts?limit=100', { token })).body.items.map((c) => c.id);
      expect(await seen(manager.accessToken)).toContain(avas.id);
      expect(await seen(manager.accessToken)).not.toContain(outsiders.id);
      expect(await seen(owner.accessToken)).toEqual(expect.arrayContaining([avas.id, outsiders.id]));
      expect(await seen(ava.accessToken)).not.toContain(outsiders.id);
      expect(await seen(otherOrgOwner.accessToken)).toEqual([]);
      expect((await stack.http.get(`/v1/contacts/${outsiders.id}`, { token: manager.accessToken })).status).toBe(404);
    });

    it('filters by status, source, type, tag, owner and text, sorts by name and pages with a cursor', async () => {
      const ids = async (query: string) =>
        (await stack.http.get<Page<ContactJson>>(`/v1/contacts?${query}`, { token: owner.accessToken })).body.items.map((c) => c.id);
      expect(await ids('status=contacted')).toEqual([avas.id]);
      expect(await ids('source=zillow&type=seller')).toEqual([avas.id]);
      expect(await ids('tag=seller-2026')).toEqual([avas.id]);
      expect(await ids(`ownerId=${outsider.userId}`)).toEqual([outsiders.id]);
      expect(await ids('q=haddad')).toEqual([outsiders.id]);
      expect(await ids('q=LENA@EXAMPLE')).toEqual([avas.id]);
      expect(
        (await stack.http.get<Page<ContactJson>>('/v1/leads?source=zillow', { token: owner.accessToken })).body.items.map((c) => c.id),
      ).toEqual([avas.id]);
      expect((await stack.http.get<Page<ContactJson>>('/v1/leads?source=zillow', { token: otherOrgOwner.accessToken })).body.items).toEqual(
        [],
      );
      expect((await stack.http.get<Page<ContactJson>>('/v1/leads?source=zillow', { token: ben.accessToken })).body.items).toEqual([]);
      const first = await stack.http.get<Page<ContactJson>>('/v1/contacts?sort=name&limit=2', { token: owner.accessToken });
      const second = await stack.http.get<Page<ContactJson>>(
        `/v1/contacts?sort=name&limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
        { token: owner.accessToken },
      );
      const names = [...first.body.items, ...second.body.items].map((c) => `${c.firstName ?? ''} ${c.lastName ?? ''}`.trim().toLowerCase());
      expect(names).toEqual([...names].sort());
      expect(new Set([...first.body.items, ...second.body.items].map((c) => c.id)).size).toBe(4);
      expect((await stack.http.get<ProblemJson>('/v1/contacts?status=sold', { token: owner.accessToken })).status).toBe(400);
    });

    it('keeps notes (create, edit, pin, delete) and shows them with history on the timeline', async () => {
      const note = await stack.http.post<{ id: string }>(
        `/v1/contacts/${avas.id}/notes`,
        { body: 'Wants a garden' },
        { token: ava.accessToken },
      );
      expect(note.status).toBe(201);
      const pinned = await stack.http.patch<{ pinned: boolean; body: string }>(
        `/v1/contacts/${avas.id}/notes/${note.body.id}`,
        { pinned: true, body: 'Wants a big garden' },
        { token: ava.accessToken },
      );
      expect(pinned.body).toMatchObject({ pinned: true, body: 'Wants a big garden' });
      const second = await stack.http.post<{ id: string }>(
        `/v1/contacts/${avas.id}/notes`,
        { body: 'Call on Friday' },
        { token: ava.accessToken },
      );
      const notes = await stack.http.get<Array<{ id: string }>>(`/v1/contacts/${avas.id}/notes`, { token: ava.accessToken });
      expect(notes.body.map((n) => n.id)).toEqual([note.body.id, second.body.id]);
      for (const token of [ben.accessToken, otherOrgOwner.accessToken]) {
        expect((await stack.http.get(`/v1/contacts/${avas.id}/notes`, { token })).status).toBe(404);
        expect((await stack.http.patch(`/v1/contacts/${avas.id}/notes/${note.body.id}`, { pinned: false }, { token })).status).toBe(404);
        expect((await stack.http.delete(`/v1/contacts/${avas.id}/notes/${note.body.id}`, { token })).status).toBe(404);
      }
      expect((await stack.http.delete(`/v1/contacts/${avas.id}/notes/${second.body.id}`, { token: ava.accessToken })).status).toBe(204);
      expect((await stack.http.get<unknown[]>(`/v1/contacts/${avas.id}/notes`, { token: ava.accessToken })).body).toHaveLength(1);
      const timeline = await stack.http.get<Page<{ kind: string }>>(`/v1/contacts/${avas.id}/timeline`, { token: ava.accessToken });
      const kinds = timeline.body.items.map((entry) => entry.kind);
      expect(kinds[kinds.length - 1]).toBe('contact.created');
      expect(kinds).toEqual(expect.arrayContaining(['contact.status_changed', 'note.added', 'contact.assigned']));
    });

    it('soft-deletes: gone from reads and lists', async () => {
      const doomed = await createContact(stack.http, ava.accessToken, { firstName: 'Temp', lastName: 'Lead' });
      expect((await stack.http.delete(`/v1/contacts/${doomed.id}`, { token: ava.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/contacts/${doomed.id}`, { token: ava.accessToken })).status).toBe(404);
      const list = await stack.http.get<Page<ContactJson>>('/v1/contacts?q=temp', { token: owner.accessToken });
      expect(list.body.items.map((c) => c.id)).not.toContain(doomed.id);
    });
  });

  describe('POST /v1/contacts/:id/merge', () => {
    it('keeps the survivor’s fields, gains the other’s emails, phones, tags and notes, and points the merged one at it', async () => {
      const keep = await createContact(stack.http, ava.accessToken, {
        firstName: 'Sara',
        lastName: 'Kim',
        email: 'sara@example.test',
        tags: ['buyer'],
      });
      const other = await createContact(stack.http, ava.accessToken, {
        firstName: 'Sarah',
        lastName: 'Kimura',
        email: 'sara.k@example.test',
        phone: uniquePhone(),
        tags: ['investor'],
        onDuplicate: 'create',
      });
      await stack.http.post(`/v1/contacts/${other.id}/notes`, { body: 'Met at open house' }, { token: ava.accessToken });
      const task = await stack.http.post<{ id: string; contactId: string }>(
        '/v1/tasks',
        { title: 'Call Sarah', type: 'call', contactId: other.id, dueAt: '2030-01-07T17:00:00.000Z' },
        { token: ava.accessToken },
      );
      expect(task.status).toBe(201);
      expect((await stack.http.post(`/v1/contacts/${keep.id}/merge`, { sourceId: other.id }, { token: ben.accessToken })).status).toBe(404);
      expect(
        (await stack.http.post(`/v1/contacts/${keep.id}/merge`, { sourceId: other.id }, { token: otherOrgOwner.accessToken })).status,
      ).toBe(404);
      expect(
        (await stack.http.post<ProblemJson>(`/v1/contacts/${keep.id}/merge`, { sourceId: keep.id }, { token: ava.accessToken })).body.code,
      ).toBe('MERGE_SELF');
      const merged = await stack.http.post<ContactJson>(
        `/v1/contacts/${keep.id}/merge`,
        { sourceId: other.id },
        { token: ava.accessToken },
      );
      expect(merged.status).toBe(200);
      expect(merged.body).toMatchObject({
        firstName: 'Sara',
        lastName: 'Kim',
        emails: ['sara@example.test', 'sara.k@example.test'],
        phones: other.phones,
        tags: ['buyer', 'investor'],
      });
      const gone = await stack.http.get<ProblemJson & { mergedIntoId: string }>(`/v1/contacts/${other.id}`, { token: ava.accessToken });
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ code: 'CONTACT_MERGED', mergedIntoId: keep.id });
      const notes = await stack.http.get<Array<{ body: string }>>(`/v1/contacts/${keep.id}/notes`, { token: ava.accessToken });
      expect(notes.body.map((n) => n.body)).toEqual(['Met at open house']);
      expect((await stack.http.get<{ contactId: string }>(`/v1/tasks/${task.body.id}`, { token: ava.accessToken })).body.contactId).toBe(
        keep.id,
      );
    });
  });

  describe('custom fields', () => {
    it('validates values against the organization’s typed definitions (admins define them)', async () => {
      expect(
        (
          await stack.http.post(
            '/v1/contact-fields',
            { key: 'moving_date', label: 'Moving date', type: 'date' },
            { token: ava.accessToken },
          )
        ).status,
      ).toBe(403);
      expect(
        (
          await stack.http.post(
            '/v1/contact-fields',
            { key: 'moving_date', label: 'Moving date', type: 'date' },
            { token: owner.accessToken },
          )
        ).status,
      ).toBe(201);
      await stack.http.post(
        '/v1/contact-fields',
        { key: 'financing', label: 'Financing', type: 'select', options: ['cash', 'loan'] },
        { token: owner.accessToken },
      );
      const bad = await stack.http.post<ProblemJson>(
        '/v1/contacts',
        { lastName: 'Field', customFields: { moving_date: 'soon', financing: 'barter', shoe_size: 9 } },
        { token: ava.accessToken },
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors!.map((e) => e.field).sort()).toEqual([
        'customFields.financing',
        'customFields.moving_date',
        'customFields.shoe_size',
      ]);
      const good = await createContact(stack.http, ava.accessToken, {
        lastName: 'Field',
        customFields: { moving_date: '2027-03-01', financing: 'cash' },
      });
      expect(good.customFields).toEqual({ moving_date: '2027-03-01', financing: 'cash' });
      const otherOrg = await stack.http.get<unknown[]>('/v1/contact-fields', { token: otherOrgOwner.accessToken });
      expect(otherOrg.body).toEqual([]);
      const fields = await stack.http.get<Array<{ id: string; key: string }>>('/v1/contact-fields', { token: ava.accessToken });
      const financing = fields.body.find((field) => field.key === 'financing')!;
      expect(
        (await stack.http.patch(`/v1/contact-fields/${financing.id}`, { options: ['cash', 'loan', 'barter'] }, { token: ava.accessToken }))
          .status,
      ).toBe(403);
      expect(
        (await stack.http.patch(`/v1/contact-fields/${financing.id}`, { options: ['cash'] }, { token: otherOrgOwner.accessToken })).status,
      ).toBe(404);
      expect(
        (
          await stack.http.patch(
            `/v1/contact-fields/${financing.id}`,
            { options: ['cash', 'loan', 'barter'] },
            { token: owner.accessToken },
          )
        ).status,
      ).toBe(200);
      expect(
        (await stack.http.post('/v1/contacts', { lastName: 'Barter', customFields: { financing: 'barter' } }, { token: ava.accessToken }))
          .status,
      ).toBe(201);
      expect((await stack.http.delete(`/v1/contact-fields/${financing.id}`, { token: otherOrgOwner.accessToken })).status).toBe(404);
    });
  });

  describe('bulk changes', () => {
    it('changes status and tags of all named contacts, or none when one is out of reach; at most 10,000 ids', async () => {
      const a = await createContact(stack.http, ava.accessToken, { lastName: 'BulkA' });
      const b = await createContact(stack.http, ava.accessToken, { lastName: 'BulkB' });
      const foreign = await createContact(stack.http, outsider.accessToken, { lastName: 'BulkC' });
      const refused = await stack.http.post<ProblemJson>(
        '/v1/contacts/bulk/status',
        { ids: [a.id, b.id, foreign.id], status: 'nurturing' },
        { token: ava.accessToken },
      );
      expect(refused.status).toBe(404);
      expect((await stack.http.get<ContactJson>(`/v1/contacts/${a.id}`, { token: ava.accessToken })).body.status).toBe('new');
      const done = await stack.http.post(
        '/v1/contacts/bulk/status',
        { ids: [a.id, b.id], status: 'nurturing' },
        { token: ava.accessToken },
      );
      expect(done.body).toEqual({ matched: 2, updated: 2 });
      const tags = await stack.http.post('/v1/contacts/bulk/tags', { ids: [a.id, b.id], add: ['spring'] }, { token: ava.accessToken });
      expect(tags.body).toEqual({ matched: 2, updated: 2 });
      expect((await stack.http.get<ContactJson>(`/v1/contacts/${b.id}`, { token: ava.accessToken })).body).toMatchObject({
        status: 'nurturing',
        tags: ['spring'],
      });
      const tooMany = Array.from({ length: 10_001 }, (_, i) => `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`);
      expect(
        (await stack.http.post('/v1/contacts/bulk/status', { ids: tooMany, status: 'lost' }, { token: owner.accessToken })).status,
      ).toBe(400);
      expect(
        (await stack.http.post('/v1/contacts/bulk/assign', { ids: [a.id], ownerId: ben.userId }, { token: ava.accessToken })).status,
      ).toBe(403);
      const assigned = await stack.http.post(
        '/v1/contacts/bulk/assign',
        { ids: [a.id, b.id], ownerId: ben.userId },
        { token: manager.accessToken },
      );
      expect(assigned.body).toEqual({ matched: 2, updated: 2 });
      expect((await stack.http.get<ContactJson>(`/v1/contacts/${a.id}`, { token: ben.accessToken })).body.ownerId).toBe(ben.userId);
      expect(
        (await stack.http.post('/v1/contacts/bulk/status', { ids: [a.id], status: 'lost' }, { token: otherOrgOwner.accessToken })).status,
      ).toBe(404);
    });
  });

  describe('CSV import and export', () => {
    it('imports mapped rows: creates, merges duplicates, rejects bad rows with the reason per row', async () => {
      const csv = [
        'Given,Family,E-mail,Zip,Kind,Labels',
        'Tara,Nolan,tara@example.test,98105,buyer,SELLER-2026;Imported',
        'Lena,Ortiz,LENA@example.test,,seller,',
        'Bad,Mail,not-an-email,,buyer,',
        'Odd,Type,odd@example.test,,landlord,',
        ',,,,,',
        'Uma,Vance,uma@example.test,98103,investor,',
        `Long,Label,long.label@example.test,,buyer,${'x'.repeat(51)}`,
      ].join('\n');
      const mapping = encodeURIComponent(
        JSON.stringify({ Given: 'firstName', Family: 'lastName', 'E-mail': 'email', Zip: 'postalCode', Kind: 'type', Labels: 'tags' }),
      );
      const response = await stack.http.request<{
        created: number;
        merged: number;
        rejected: Array<{ row: number; field?: string; reason: string }>;
      }>('POST', `/v1/contacts/import?mapping=${mapping}`, {
        raw: csv,
        headers: { 'content-type': 'text/csv' },
        token: ava.accessToken,
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ created: 2, merged: 1 });
      expect(response.body.rejected.map((r) => [r.row, r.field ?? r.reason])).toEqual([
        [4, 'email'],
        [5, 'type'],
        [6, 'the row has no name, email or phone'],
        [8, 'tags[0]'],
      ]);
      const tara = await stack.http.get<Page<ContactJson & { tagDetails: Array<{ scope: string }> }>>('/v1/contacts?q=tara@example.test', {
        token: ava.accessToken,
      });
      expect(tara.body.items[0]).toMatchObject({ ownerId: ava.userId, type: 'buyer', source: 'import', tags: ['seller-2026', 'Imported'] });
      expect(tara.body.items[0].tagDetails.map((t) => t.scope)).toEqual(['org', 'personal']);
      expect((await stack.http.get<Page<ContactJson>>('/v1/contacts?q=long.label', { token: ava.accessToken })).body.items).toEqual([]);
      const client = await createUser(stack.http, owner, 'client');
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
            token: ava.accessToken,
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
        token: ava.accessToken,
      });
      expect(uploaded.body).toMatchObject({ created: 1, merged: 0, rejected: [] });
    });

    it('exports the filtered list the caller can see as CSV; agents lack contacts:export', async () => {
      expect((await stack.http.get('/v1/contacts/export', { token: ava.accessToken })).status).toBe(403);
      const response = await stack.http.request<string>('GET', '/v1/contacts/export?type=investor', { token: manager.accessToken });
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

  describe('privacy', () => {
    it('exports everything held about a person, then erases it keeping an anonymised history', async () => {
      const person = await createContact(stack.http, ava.accessToken, {
        firstName: 'Eve',
        lastName: 'Private',
        email: 'eve@example.test',
        phone: uniquePhone(),
      });
      const earlier = await createContact(stack.http, ava.accessToken, {
        firstName: 'Evelyn',
        lastName: 'Privat',
        email: 'eve.old@example.test',
      });
      await stack.http.post(`/v1/contacts/${person.id}/merge`, { sourceId: earlier.id }, { token: ava.accessToken });
      await stack.http.post(`/v1/contacts/${person.id}/notes`, { body: 'Lives at 12 Elm St' }, { token: ava.accessToken });
      expect((await stack.http.get(`/v1/contacts/${person.id}/data-export`, { token: ava.accessToken })).status).toBe(403);
      expect((await stack.http.get(`/v1/contacts/${person.id}/data-export`, { token: otherOrgOwner.accessToken })).status).toBe(404);
      const exported = await stack.http.get<{ contact: ContactJson; notes: Array<{ body: string }>; timeline: unknown[] }>(
        `/v1/contacts/${person.id}/data-export`,
        {
          token: manager.accessToken,
        },
      );
      expect(exported.status).toBe(200);
      expect(exported.body.contact.email).toBe('eve@example.test');
      expect((exported.body as unknown as { mergedContacts: ContactJson[] }).mergedContacts.map((c) => c.email)).toEqual([
        'eve.old@example.test',
      ]);
      expect(exported.body.notes.map((n) => n.body)).toEqual(['Lives at 12 Elm St']);
      expect(exported.body.timeline.length).toBeGreaterThan(0);
      expect((await stack.http.post(`/v1/contacts/${person.id}/erase`, {}, { token: manager.accessToken })).status).toBe(403);
      expect((await stack.http.post(`/v1/contacts/${person.id}/erase`, {}, { token: otherOrgOwner.accessToken })).status).toBe(404);
      expect((await stack.http.post(`/v1/contacts/${person.id}/erase`, {}, { token: owner.accessToken })).status).toBe(204);
      expect((await stack.http.get(`/v1/contacts/${person.id}`, { token: owner.accessToken })).status).toBe(404);
      const again = await stack.http.post<ContactJson>(
        '/v1/contacts',
        { firstName: 'Eve', lastName: 'Private', email: 'eve@example.test' },
        { token: ava.accessToken },
      );
      expect(again.status).toBe(201);
    });
  });

  describe('tags are tag definitions; companies', () => {
    interface TagDetail {
      id: string;
      name: string;
      colour: string;
      scope: string;
    }
    type TaggedContact = ContactJson & { tagDetails: TagDetail[] };

    it('resolves names to the caller’s definitions, keeps tags already on the contact, follows renames and deletes', async () => {
      const waterfront = await stack.http.post<TagDetail>(
        '/v1/tags',
        { name: 'Waterfront', colour: '#0ea5e9', scope: 'org' },
        { token: owner.accessToken },
      );
      const created = await stack.http.post<TaggedContact>(
        '/v1/contacts',
        { lastName: 'Tagged', phone: uniquePhone(), tags: ['waterfront', 'Quiet street'] },
        { token: ava.accessToken },
      );
      expect(created.body.tags).toEqual(['Waterfront', 'Quiet street']);
      const [org, personal] = created.body.tagDetails;
      expect(org).toEqual({ id: waterfront.body.id, name: 'Waterfront', colour: '#0ea5e9', scope: 'org' });
      expect(personal).toMatchObject({ name: 'Quiet street', scope: 'personal' });
      const avasTags = await stack.http.get<Page<TagDetail & { ownerId: string }>>('/v1/tags?scope=personal&q=quiet', {
        token: ava.accessToken,
      });
      expect(avasTags.body.items).toEqual([expect.objectContaining({ id: personal.id, ownerId: ava.userId })]);

      // The admin echoes the list back: ava's personal tag stays (it is already on the contact); a new name becomes the admin's own tag.
      const echoed = await stack.http.patch<TaggedContact>(
        `/v1/contacts/${created.body.id}`,
        { tags: ['Waterfront', 'quiet street', 'Admin pick'] },
        { token: owner.accessToken },
      );
      expect(echoed.body.tagDetails.map((t) => [t.id, t.scope])).toEqual([
        [waterfront.body.id, 'org'],
        [personal.id, 'personal'],
        [expect.any(String), 'personal'],
      ]);
      expect(echoed.body.tagDetails[2].id).not.toBe(personal.id);

      // The admin filters by the org tag; ava by her personal one; the admin does not see ava's personal tags as a filter.
      const listed = async (query: string, token: string) =>
        (await stack.http.get<Page<ContactJson>>(`/v1/contacts?${query}`, { token })).body.items.map((c) => c.id);
      expect(await listed('tag=WATERFRONT&q=tagged', owner.accessToken)).toEqual([created.body.id]);
      expect(await listed('tag=quiet%20street', ava.accessToken)).toEqual([created.body.id]);
      expect(await listed('tag=quiet%20street', owner.accessToken)).toEqual([]);

      // An API key has no user to own a personal tag: an unknown name is a 400 naming the field; a known org tag resolves.
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
      const keyed = await stack.http.post<TaggedContact>(
        '/v1/contacts',
        { lastName: 'Synced', phone: uniquePhone(), tags: ['waterfront'] },
        { apiKey: key.body.key },
      );
      expect([keyed.status, keyed.body.tagDetails?.[0]?.id]).toEqual([201, waterfront.body.id]);
      const list = await stack.http.post<{ id: string; filters: { tag: string[] } }>(
        '/v1/smart-lists',
        { name: 'Water', filters: { tag: ['waterfront'] } },
        { token: ava.accessToken },
      );
      expect(list.body.filters.tag).toEqual(['Waterfront']);
      const unknown = await stack.http.post<ProblemJson>(
        '/v1/smart-lists',
        { name: 'Nope', filters: { tag: ['Waterfront', 'no-such-tag'] } },
        { token: ava.accessToken },
      );
      expect([unknown.status, unknown.body.errors?.[0]?.field]).toEqual([400, 'filters.tag[1]']);

      expect((await stack.http.patch(`/v1/tags/${waterfront.body.id}`, { name: 'Lakefront' }, { token: owner.accessToken })).status).toBe(
        200,
      );
      expect((await stack.http.get<TaggedContact>(`/v1/contacts/${created.body.id}`, { token: ava.accessToken })).body.tags).toEqual([
        'Lakefront',
        'Quiet street',
        'Admin pick',
      ]);
      expect((await listed('tag=lakefront', owner.accessToken)).sort()).toEqual([created.body.id, keyed.body.id].sort());
      expect(
        (await stack.http.get<{ filters: { tag: string[] } }>(`/v1/smart-lists/${list.body.id}`, { token: ava.accessToken })).body.filters
          .tag,
      ).toEqual(['Lakefront']);
      expect(
        (await stack.http.get<Page<ContactJson>>(`/v1/smart-lists/${list.body.id}/contacts`, { token: ava.accessToken })).body.items.map(
          (c) => c.id,
        ),
      ).toEqual([created.body.id]);

      const bulk = await stack.http.post(
        '/v1/contacts/bulk/tags',
        { ids: [created.body.id], add: ['Lakefront', 'Second look'], remove: ['admin pick'] },
        { token: ava.accessToken },
      );
      expect(bulk.body).toEqual({ matched: 1, updated: 1 });
      expect((await stack.http.delete(`/v1/tags/${waterfront.body.id}`, { token: owner.accessToken })).status).toBe(204);
      const after = await stack.http.get<TaggedContact>(`/v1/contacts/${created.body.id}`, { token: ava.accessToken });
      expect(after.body.tags).toEqual(['Quiet street', 'Second look']);
      expect(after.body.tagDetails.map((t) => t.scope)).toEqual(['personal', 'personal']);
      expect(
        (await stack.http.get<{ filters: { tag?: string[] } }>(`/v1/smart-lists/${list.body.id}`, { token: ava.accessToken })).body.filters
          .tag,
      ).toBeUndefined();
    });

    it('migrates free-text tags of contacts and smart lists to organization tags (existing names reused), once', async () => {
      const db = crmDataSource(stack);
      const legacy = await createContact(stack.http, ava.accessToken, { lastName: 'Legacy', phone: uniquePhone() });
      await db.query(`UPDATE contact SET tags = ARRAY['legacy-lead', 'SELLER-2026'], tag_ids = '{}' WHERE id = $1`, [legacy.id]);
      const list = await stack.http.post<{ id: string }>(
        '/v1/smart-lists',
        { name: 'Legacy list', filters: {} },
        { token: ava.accessToken },
      );
      await db.query(`UPDATE smart_list SET filters = '{"tag": ["Legacy-Lead"]}' WHERE id = $1`, [list.body.id]);
      for (let run = 0; run < 2; run += 1) for (const statement of FREE_TEXT_TAGS_TO_DEFINITIONS) await db.query(statement);

      const [created] = (await db.query(
        `SELECT id, name, colour, scope FROM tag_definition WHERE org_id = $1 AND lower(name) = 'legacy-lead'`,
        [owner.orgId],
      )) as Array<Record<string, string>>;
      expect(created).toMatchObject({ name: 'legacy-lead', colour: '#9ca3af', scope: 'org' });
      const [seller] = (await db.query(`SELECT id FROM tag_definition WHERE org_id = $1 AND scope = 'org' AND name = 'seller-2026'`, [
        owner.orgId,
      ])) as Array<{ id: string }>;
      const after = await stack.http.get<ContactJson & { tagDetails: Array<{ id: string }> }>(`/v1/contacts/${legacy.id}`, {
        token: ava.accessToken,
      });
      expect(after.body.tags).toEqual(['legacy-lead', 'seller-2026']);
      expect(after.body.tagDetails.map((t) => t.id)).toEqual([created.id, seller.id]);
      expect(
        (await stack.http.get<{ filters: { tag: string[] } }>(`/v1/smart-lists/${list.body.id}`, { token: ava.accessToken })).body.filters
          .tag,
      ).toEqual(['legacy-lead']);
    });

    it('takes companyId only for a company of the organization, and lists a company’s contacts within the caller’s reach', async () => {
      const company = await stack.http.post<{ id: string }>('/v1/companies', { name: 'Harbor Relocation' }, { token: owner.accessToken });
      const foreign = await stack.http.post<{ id: string }>(
        '/v1/companies',
        { name: 'Rival Relocation' },
        { token: otherOrgOwner.accessToken },
      );
      for (const companyId of [foreign.body.id, randomUUID()]) {
        const refused = await stack.http.post<ProblemJson>(
          '/v1/contacts',
          { lastName: 'Worker', phone: uniquePhone(), companyId },
          { token: ava.accessToken },
        );
        expect([refused.status, refused.body.errors?.[0]?.field]).toEqual([400, 'companyId']);
      }
      const avas = await createContact(stack.http, ava.accessToken, {
        lastName: 'Harbor One',
        phone: uniquePhone(),
        companyId: company.body.id,
      });
      const outsiders = await createContact(stack.http, outsider.accessToken, { lastName: 'Harbor Two', phone: uniquePhone() });
      const moved = await stack.http.patch<ProblemJson>(
        `/v1/contacts/${outsiders.id}`,
        { companyId: foreign.body.id },
        { token: outsider.accessToken },
      );
      expect([moved.status, moved.body.errors?.[0]?.field]).toEqual([400, 'companyId']);
      expect(
        (await stack.http.patch(`/v1/contacts/${outsiders.id}`, { companyId: company.body.id }, { token: outsider.accessToken })).status,
      ).toBe(200);

      const route = `/v1/companies/${company.body.id}/contacts`;
      const ids = async (token: string) => (await stack.http.get<Page<ContactJson>>(route, { token })).body.items.map((c) => c.id);
      expect((await ids(owner.accessToken)).sort()).toEqual([avas.id, outsiders.id].sort());
      expect(await ids(ava.accessToken)).toEqual([avas.id]);
      expect(await ids(ben.accessToken)).toEqual([]);
      expect(await ids(manager.accessToken)).toEqual([avas.id]);
      expect(
        (await stack.http.get<Page<ContactJson>>(`/v1/contacts?companyId=${company.body.id}`, { token: ava.accessToken })).body.items.map(
          (c) => c.id,
        ),
      ).toEqual([avas.id]);
      const other = await stack.http.get<ProblemJson>(route, { token: otherOrgOwner.accessToken });
      expect([other.status, other.body.code]).toEqual([404, 'COMPANY_NOT_FOUND']);
      expect((await stack.http.get(`/v1/companies/${randomUUID()}/contacts`, { token: owner.accessToken })).status).toBe(404);
    });
  });

  describe('smart lists', () => {
    it('saves filters (with custom fields), evaluates them in the caller’s scope, shares with a team only', async () => {
      await stack.http.post(
        '/v1/contact-fields',
        { key: 'pre_qualified', label: 'Pre-qualified', type: 'boolean' },
        { token: owner.accessToken },
      );
      await stack.http.post('/v1/tags', { name: 'Garden', colour: '#16a34a', scope: 'org' }, { token: owner.accessToken });
      const match = await createContact(stack.http, ava.accessToken, {
        lastName: 'Listed',
        tags: ['garden'],
        customFields: { pre_qualified: true },
      });
      await createContact(stack.http, ava.accessToken, { lastName: 'Unlisted', tags: ['garden'], customFields: { pre_qualified: false } });
      const foreign = await createContact(stack.http, outsider.accessToken, {
        lastName: 'Elsewhere',
        tags: ['garden'],
        customFields: { pre_qualified: true },
      });
      const list = await stack.http.post<{ id: string }>(
        '/v1/smart-lists',
        { name: 'Garden, pre-qualified', filters: { tag: ['garden'], customFields: { pre_qualified: true } } },
        { token: ava.accessToken },
      );
      expect(list.status).toBe(201);
      const evaluated = await stack.http.get<Page<ContactJson>>(`/v1/smart-lists/${list.body.id}/contacts`, { token: ava.accessToken });
      expect(evaluated.body.items.map((c) => c.id)).toEqual([match.id]);
      for (const token of [ben.accessToken, otherOrgOwner.accessToken]) {
        expect((await stack.http.get(`/v1/smart-lists/${list.body.id}/contacts`, { token })).status).toBe(404);
        expect((await stack.http.delete(`/v1/smart-lists/${list.body.id}`, { token })).status).toBe(404);
      }
      const shared = await stack.http.post<{ id: string; teamId: string }>(
        '/v1/smart-lists',
        { name: 'Team garden', filters: { tag: ['garden'], customFields: { pre_qualified: true } }, teamId: await teamOf(manager) },
        { token: manager.accessToken },
      );
      expect(shared.status).toBe(201);
      const byBen = await stack.http.get<Page<ContactJson>>(`/v1/smart-lists/${shared.body.id}/contacts`, { token: ben.accessToken });
      expect(byBen.status).toBe(200);
      expect(byBen.body.items).toEqual([]);
      const byOwner = await stack.http.get<Page<ContactJson>>(`/v1/smart-lists/${shared.body.id}/contacts`, { token: owner.accessToken });
      expect(byOwner.body.items.map((c) => c.id).sort()).toEqual([match.id, foreign.id].sort());
      expect((await stack.http.patch(`/v1/smart-lists/${shared.body.id}`, { name: 'Mine now' }, { token: ben.accessToken })).status).toBe(
        403,
      );
      expect((await stack.http.get(`/v1/smart-lists/${shared.body.id}`, { token: outsider.accessToken })).status).toBe(404);
    });
  });

  describe('activity from other services', () => {
    it('puts a listings property view on the contact’s timeline and counts it as engagement, once per event id', async () => {
      const contact = await createContact(stack.http, ava.accessToken, {
        firstName: 'Vera',
        lastName: 'Viewer',
        email: 'vera@example.test',
      });
      const kafka = createKafka({
        clientId: 'crm-activity-test',
        brokers: String(stack.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
        topicPrefix: '',
      });
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      const event = {
        specversion: '1.0',
        id: randomUUID(),
        source: 'keyhouse/listings',
        type: 'listings.property.viewed',
        subject: randomUUID(),
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        dataschema: 'urn:keyhouse:event:listings.property.viewed:v1',
        orgid: owner.orgId,
        actortype: 'user',
        data: {
          viewId: randomUUID(),
          propertyId: randomUUID(),
          contactId: contact.id,
          source: 'portal',
          viewedAt: new Date().toISOString(),
        },
      };
      const foreign = { ...event, id: randomUUID(), orgid: otherOrgOwner.orgId };
      const topic = `${stack.env.KAFKA_TOPIC_PREFIX ?? ''}listings.events`;
      await producer.send({
        topic,
        acks: -1,
        messages: [event, event, foreign].map((e) => ({ key: e.subject, value: JSON.stringify(e) })),
      });
      await producer.disconnect();
      const started = Date.now();
      let kinds: string[] = [];
      while (Date.now() - started < 30_000) {
        const timeline = await stack.http.get<Page<{ kind: string }>>(`/v1/contacts/${contact.id}/timeline`, { token: ava.accessToken });
        kinds = timeline.body.items.map((entry) => entry.kind);
        if (kinds.includes('listings.property.viewed')) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const timeline = await stack.http.get<Page<{ kind: string }>>(`/v1/contacts/${contact.id}/timeline`, { token: ava.accessToken });
      expect(timeline.body.items.filter((entry) => entry.kind === 'listings.property.viewed')).toHaveLength(1);
      const after = await stack.http.get<ContactJson>(`/v1/contacts/${contact.id}`, { token: ava.accessToken });
      expect(after.body.scoreReasons).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ signal: 'engagement', points: 5 }),
          expect.objectContaining({ signal: 'recent_activity' }),
        ]),
      );
    });
  });
});
