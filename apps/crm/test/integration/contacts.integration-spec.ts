import {
  CrmCompanySubjects,
  CrmContactSubjects as S,
  CrmTagSubjects,
  CrmTaskSubjects,
  ListingsEvent,
  type Actor,
  type CrmContactListRequest,
  type CrmImportRowsRequest,
} from '@keyhouse/contracts';
import { apiKeyActorFor, startService, testEvent, waitForConsumed, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { FREE_TEXT_TAGS_TO_DEFINITIONS } from '../../src/database/migrations/1763769900000-crm-contact-tag-definitions';
import { startCrm } from '../../src/main';
import { createContact, crmDataSource, uniquePhone, type CrmTestService } from '../support/crm-contacts.util';
import { identityEventsOf, seedIdentity, userOf } from '../support/crm-users.util';

/**
 * Contacts on the crm service alone, over NATS: create and duplicates, reach by owner / team /
 * organization, merge, custom fields, bulk changes, import, privacy, tag definitions, companies,
 * smart lists and activity from other services. The HTTP side (statuses, DTO validation, CSV)
 * is apps/gateway/test/integration/crm/crm-http.integration-spec.ts.
 */
describe('crm contacts (crm service over NATS)', () => {
  let crm: CrmTestService;
  const orgId = newId();
  const teamId = newId();
  const owner = userOf(orgId, 'owner');
  const otherOrgOwner = userOf(newId(), 'owner');
  const manager = userOf(orgId, 'manager', { teamIds: [teamId] });
  const ava = userOf(orgId, 'agent', { teamIds: [teamId] });
  const ben = userOf(orgId, 'agent', { teamIds: [teamId] });
  const outsider = userOf(orgId, 'agent');

  beforeAll(async () => {
    crm = await startService(startCrm);
    // What identity announces when the owners register, the manager is created and the agents are added.
    await seedIdentity(crm, [
      ...identityEventsOf(owner),
      ...identityEventsOf(otherOrgOwner),
      ...identityEventsOf(manager),
      ...identityEventsOf(ava, { profile: {} }),
      ...identityEventsOf(ben, { profile: {} }),
      ...identityEventsOf(outsider, { profile: {} }),
    ]);
  });

  afterAll(async () => {
    await crm?.stop();
  });

  /** Ids of the contacts `actor` lists with `query`. */
  const idsOf = async (actor: Actor, query: CrmContactListRequest = {}) =>
    (await crm.rpc.call(S.list, query, actor)).items.map((contact) => contact.id);

  describe('crm.contacts.create', () => {
    it('creates a contact with the Contract fields, the phone in E.164 and the agent as owner', async () => {
      const result = await crm.rpc.call(
        S.create,
        {
          firstName: 'Maya',
          lastName: 'Chen',
          email: 'Maya.Chen@Example.test',
          phone: '(206) 555-0147',
          type: 'buyer',
          source: 'referral',
          tags: ['VIP', ' vip'],
        },
        ava,
      );
      expect(result.merged).toBe(false);
      expect(result.contact).toMatchObject({
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
      expect(result.contact.tagDetails).toEqual([{ id: expect.any(String), name: 'VIP', colour: '#9ca3af', scope: 'personal' }]);
      expect(['hot', 'warm', 'cold']).toContain(result.contact.score);
      expect(result.contact.scoreReasons).toEqual([expect.objectContaining({ signal: 'source', points: 20 })]);
      expect(Date.parse(result.contact.createdAt)).not.toBeNaN();
    });

    it('refuses an invalid phone naming the field, a referrer of another organization, and a caller without contacts:write', async () => {
      const bad = await refusalOf(crm.rpc.call(S.create, { lastName: 'Nope', phones: ['+12065550199', '12'] }, ava));
      expect(bad.kind).toBe('validation');
      expect(bad.errors).toEqual([expect.objectContaining({ field: 'phones[1]' })]);
      const referrer = await refusalOf(
        crm.rpc.call(S.create, { lastName: 'Referred', referrer: { type: 'contact', id: otherOrgOwner.userId } }, ava),
      );
      expect(referrer.errors).toEqual([expect.objectContaining({ field: 'referrer.id' })]);
      const client = userOf(orgId, 'client');
      await expect(crm.rpc.call(S.create, { lastName: 'X' }, client)).rejects.toMatchObject({ kind: 'forbidden' });
    });
  });

  describe('duplicate detection', () => {
    let original: Awaited<ReturnType<typeof createContact>>;
    const phone = uniquePhone();

    beforeAll(async () => {
      original = await createContact(crm, owner, {
        firstName: 'Jonathan',
        lastName: 'Smith',
        email: 'jon.smith@example.test',
        phone,
        address: { postalCode: '98103' },
      });
    });

    it('refuses the same email in other case as a conflict with reason email', async () => {
      const refused = await refusalOf(crm.rpc.call(S.create, { firstName: 'Other', email: 'JON.SMITH@example.test' }, owner));
      expect(refused.kind).toBe('conflict');
      expect(refused.code).toBe('DUPLICATE_CONTACT');
      expect(refused.details?.duplicates).toEqual([{ id: original.id, reason: 'email' }]);
    });

    it('refuses the same number written nationally as a conflict with reason phone', async () => {
      const national = `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
      const refused = await refusalOf(crm.rpc.call(S.create, { firstName: 'Someone', lastName: 'Else', phone: national }, owner));
      expect(refused.kind).toBe('conflict');
      expect(refused.details?.duplicates).toEqual([{ id: original.id, reason: 'phone' }]);
    });

    it('refuses a similar name with the same ZIP, or the same phone suffix, with reason name', async () => {
      const byZip = await refusalOf(
        crm.rpc.call(S.create, { firstName: 'Jonathon', lastName: 'Smith', address: { postalCode: '98103' } }, owner),
      );
      expect(byZip.kind).toBe('conflict');
      expect(byZip.details?.duplicates).toEqual([{ id: original.id, reason: 'name' }]);
      const suffixPhone = `+1425${String(2_000_000 + Number(phone.slice(-4))).padStart(7, '0')}`;
      expect(suffixPhone.slice(-4)).toBe(phone.slice(-4));
      const bySuffix = await refusalOf(crm.rpc.call(S.create, { firstName: 'Jonathan', lastName: 'Smyth', phone: suffixPhone }, owner));
      expect(bySuffix.kind).toBe('conflict');
      expect(bySuffix.details?.duplicates).toEqual([{ id: original.id, reason: 'name' }]);
    });

    it('does not flag a similar name without ZIP or phone corroboration, nor a different name in the same ZIP', async () => {
      await createContact(crm, owner, { firstName: 'Jonathan', lastName: 'Smith', address: { postalCode: '10001' } });
      await createContact(crm, owner, { firstName: 'Priya', lastName: 'Raman', address: { postalCode: '98103' } });
    });

    it('creates anyway with onDuplicate=create, merges with onDuplicate=merge', async () => {
      const forced = await crm.rpc.call(S.create, { firstName: 'Jon', email: 'jon.smith@example.test', onDuplicate: 'create' }, owner);
      expect(forced.merged).toBe(false);
      expect(forced.contact.id).not.toBe(original.id);
      const merged = await crm.rpc.call(
        S.create,
        { lastName: 'Smith', phone, emails: ['jon.work@example.test'], onDuplicate: 'merge' },
        owner,
      );
      expect(merged.merged).toBe(true);
      expect(merged.contact.id).toBe(original.id);
    });
  });

  describe('reading, changing and deleting by scope', () => {
    let avas: Awaited<ReturnType<typeof createContact>>;
    let outsiders: Awaited<ReturnType<typeof createContact>>;

    beforeAll(async () => {
      avas = await createContact(crm, ava, {
        firstName: 'Lena',
        lastName: 'Ortiz',
        email: 'lena@example.test',
        source: 'zillow',
        type: 'seller',
      });
      outsiders = await createContact(crm, outsider, { firstName: 'Omar', lastName: 'Haddad', email: 'omar@example.test' });
    });

    it('lets the owner read and change, refuses another agent and another organization as not found', async () => {
      await crm.rpc.call(S.get, { id: avas.id }, ava);
      for (const actor of [ben, otherOrgOwner]) {
        await expect(crm.rpc.call(S.get, { id: avas.id }, actor)).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' });
        await expect(crm.rpc.call(S.update, { id: avas.id, status: 'lost' }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(S.delete, { id: avas.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(S.timeline, { id: avas.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(S.noteCreate, { contactId: avas.id, body: 'x' }, actor)).rejects.toMatchObject({ kind: 'not_found' });
      }
      await crm.rpc.call(CrmTagSubjects.create, { name: 'seller-2026', colour: '#f97316', scope: 'org' }, owner);
      const patched = await crm.rpc.call(S.update, { id: avas.id, status: 'contacted', tags: ['seller-2026'] }, ava);
      expect(patched).toMatchObject({ status: 'contacted', tags: ['seller-2026'] });
    });

    it('shows the manager the team’s contacts but not those of agents outside the team; the admin sees all', async () => {
      const seen = (actor: Actor) => idsOf(actor, { limit: 100 });
      expect(await seen(manager)).toContain(avas.id);
      expect(await seen(manager)).not.toContain(outsiders.id);
      expect(await seen(owner)).toEqual(expect.arrayContaining([avas.id, outsiders.id]));
      expect(await seen(ava)).not.toContain(outsiders.id);
      expect(await seen(otherOrgOwner)).toEqual([]);
      await expect(crm.rpc.call(S.get, { id: outsiders.id }, manager)).rejects.toMatchObject({ kind: 'not_found' });
    });

    it('filters by status, source, type, tag, owner and text, sorts by name and pages with a cursor', async () => {
      expect(await idsOf(owner, { status: ['contacted'] })).toEqual([avas.id]);
      expect(await idsOf(owner, { source: ['zillow'], type: ['seller'] })).toEqual([avas.id]);
      expect(await idsOf(owner, { tag: ['seller-2026'] })).toEqual([avas.id]);
      expect(await idsOf(owner, { ownerId: outsider.userId })).toEqual([outsiders.id]);
      expect(await idsOf(owner, { q: 'haddad' })).toEqual([outsiders.id]);
      expect(await idsOf(owner, { q: 'LENA@EXAMPLE' })).toEqual([avas.id]);
      // `GET /v1/leads?source=zillow` is this list too.
      expect(await idsOf(owner, { source: ['zillow'] })).toEqual([avas.id]);
      expect(await idsOf(otherOrgOwner, { source: ['zillow'] })).toEqual([]);
      expect(await idsOf(ben, { source: ['zillow'] })).toEqual([]);
      const first = await crm.rpc.call(S.list, { sort: 'name', limit: 2 }, owner);
      const second = await crm.rpc.call(S.list, { sort: 'name', limit: 2, cursor: first.nextCursor! }, owner);
      const names = [...first.items, ...second.items].map((c) => `${c.firstName ?? ''} ${c.lastName ?? ''}`.trim().toLowerCase());
      expect(names).toEqual([...names].sort());
      expect(new Set([...first.items, ...second.items].map((c) => c.id)).size).toBe(4);
    });

    it('keeps notes (create, edit, pin, delete) and shows them with history on the timeline', async () => {
      const note = await crm.rpc.call(S.noteCreate, { contactId: avas.id, body: 'Wants a garden' }, ava);
      const pinned = await crm.rpc.call(
        S.noteUpdate,
        { contactId: avas.id, noteId: note.id, pinned: true, body: 'Wants a big garden' },
        ava,
      );
      expect(pinned).toMatchObject({ pinned: true, body: 'Wants a big garden' });
      const second = await crm.rpc.call(S.noteCreate, { contactId: avas.id, body: 'Call on Friday' }, ava);
      const notes = await crm.rpc.call(S.noteList, { contactId: avas.id }, ava);
      expect(notes.map((n) => n.id)).toEqual([note.id, second.id]);
      for (const actor of [ben, otherOrgOwner]) {
        await expect(crm.rpc.call(S.noteList, { contactId: avas.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(S.noteUpdate, { contactId: avas.id, noteId: note.id, pinned: false }, actor)).rejects.toMatchObject({
          kind: 'not_found',
        });
        await expect(crm.rpc.call(S.noteDelete, { contactId: avas.id, noteId: note.id }, actor)).rejects.toMatchObject({
          kind: 'not_found',
        });
      }
      await crm.rpc.call(S.noteDelete, { contactId: avas.id, noteId: second.id }, ava);
      expect(await crm.rpc.call(S.noteList, { contactId: avas.id }, ava)).toHaveLength(1);
      const timeline = await crm.rpc.call(S.timeline, { id: avas.id }, ava);
      const kinds = timeline.items.map((entry) => entry.kind);
      expect(kinds[kinds.length - 1]).toBe('contact.created');
      expect(kinds).toEqual(expect.arrayContaining(['contact.status_changed', 'note.added', 'contact.assigned']));
    });

    it('soft-deletes: gone from reads and lists', async () => {
      const doomed = await createContact(crm, ava, { firstName: 'Temp', lastName: 'Lead' });
      await crm.rpc.call(S.delete, { id: doomed.id }, ava);
      await expect(crm.rpc.call(S.get, { id: doomed.id }, ava)).rejects.toMatchObject({ kind: 'not_found' });
      expect(await idsOf(owner, { q: 'temp' })).not.toContain(doomed.id);
    });
  });

  describe('crm.contacts.merge', () => {
    it('keeps the survivor’s fields, gains the other’s emails, phones, tags and notes, and points the merged one at it', async () => {
      const keep = await createContact(crm, ava, { firstName: 'Sara', lastName: 'Kim', email: 'sara@example.test', tags: ['buyer'] });
      const other = await createContact(crm, ava, {
        firstName: 'Sarah',
        lastName: 'Kimura',
        email: 'sara.k@example.test',
        phone: uniquePhone(),
        tags: ['investor'],
        onDuplicate: 'create',
      });
      await crm.rpc.call(S.noteCreate, { contactId: other.id, body: 'Met at open house' }, ava);
      const task = await crm.rpc.call(
        CrmTaskSubjects.create,
        { title: 'Call Sarah', type: 'call', contactId: other.id, dueAt: '2030-01-07T17:00:00.000Z' },
        ava,
      );
      await expect(crm.rpc.call(S.merge, { id: keep.id, sourceId: other.id }, ben)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(S.merge, { id: keep.id, sourceId: other.id }, otherOrgOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(crm.rpc.call(S.merge, { id: keep.id, sourceId: keep.id }, ava)).rejects.toMatchObject({ code: 'MERGE_SELF' });
      const merged = await crm.rpc.call(S.merge, { id: keep.id, sourceId: other.id }, ava);
      expect(merged).toMatchObject({
        firstName: 'Sara',
        lastName: 'Kim',
        emails: ['sara@example.test', 'sara.k@example.test'],
        phones: other.phones,
        tags: ['buyer', 'investor'],
      });
      const gone = await refusalOf(crm.rpc.call(S.get, { id: other.id }, ava));
      expect(gone).toMatchObject({ kind: 'not_found', code: 'CONTACT_MERGED', details: { mergedIntoId: keep.id } });
      const notes = await crm.rpc.call(S.noteList, { contactId: keep.id }, ava);
      expect(notes.map((n) => n.body)).toEqual(['Met at open house']);
      expect((await crm.rpc.call(CrmTaskSubjects.get, { id: task.id }, ava)).contactId).toBe(keep.id);
    });
  });

  describe('custom fields', () => {
    it('validates values against the organization’s typed definitions (admins define them)', async () => {
      await expect(crm.rpc.call(S.fieldCreate, { key: 'moving_date', label: 'Moving date', type: 'date' }, ava)).rejects.toMatchObject({
        kind: 'forbidden',
      });
      await crm.rpc.call(S.fieldCreate, { key: 'moving_date', label: 'Moving date', type: 'date' }, owner);
      await crm.rpc.call(S.fieldCreate, { key: 'financing', label: 'Financing', type: 'select', options: ['cash', 'loan'] }, owner);
      const bad = await refusalOf(
        crm.rpc.call(S.create, { lastName: 'Field', customFields: { moving_date: 'soon', financing: 'barter', shoe_size: 9 } }, ava),
      );
      expect(bad.kind).toBe('validation');
      expect(bad.errors!.map((e) => e.field).sort()).toEqual([
        'customFields.financing',
        'customFields.moving_date',
        'customFields.shoe_size',
      ]);
      const good = await createContact(crm, ava, { lastName: 'Field', customFields: { moving_date: '2027-03-01', financing: 'cash' } });
      expect(good.customFields).toEqual({ moving_date: '2027-03-01', financing: 'cash' });
      expect(await crm.rpc.call(S.fieldList, {}, otherOrgOwner)).toEqual([]);
      const fields = await crm.rpc.call(S.fieldList, {}, ava);
      const financing = fields.find((field) => field.key === 'financing')!;
      await expect(crm.rpc.call(S.fieldUpdate, { id: financing.id, options: ['cash', 'loan', 'barter'] }, ava)).rejects.toMatchObject({
        kind: 'forbidden',
      });
      await expect(crm.rpc.call(S.fieldUpdate, { id: financing.id, options: ['cash'] }, otherOrgOwner)).rejects.toMatchObject({
        kind: 'not_found',
      });
      await crm.rpc.call(S.fieldUpdate, { id: financing.id, options: ['cash', 'loan', 'barter'] }, owner);
      expect((await crm.rpc.call(S.create, { lastName: 'Barter', customFields: { financing: 'barter' } }, ava)).merged).toBe(false);
      await expect(crm.rpc.call(S.fieldDelete, { id: financing.id }, otherOrgOwner)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('bulk changes', () => {
    it('changes status and tags of all named contacts, or none when one is out of reach; at most 10,000 ids', async () => {
      const a = await createContact(crm, ava, { lastName: 'BulkA' });
      const b = await createContact(crm, ava, { lastName: 'BulkB' });
      const foreign = await createContact(crm, outsider, { lastName: 'BulkC' });
      await expect(crm.rpc.call(S.bulkStatus, { ids: [a.id, b.id, foreign.id], status: 'nurturing' }, ava)).rejects.toMatchObject({
        kind: 'not_found',
      });
      expect((await crm.rpc.call(S.get, { id: a.id }, ava)).status).toBe('new');
      expect(await crm.rpc.call(S.bulkStatus, { ids: [a.id, b.id], status: 'nurturing' }, ava)).toEqual({ matched: 2, updated: 2 });
      expect(await crm.rpc.call(S.bulkTags, { ids: [a.id, b.id], add: ['spring'] }, ava)).toEqual({ matched: 2, updated: 2 });
      expect(await crm.rpc.call(S.get, { id: b.id }, ava)).toMatchObject({ status: 'nurturing', tags: ['spring'] });
      const tooMany = Array.from({ length: 10_001 }, (_, i) => `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`);
      await expect(crm.rpc.call(S.bulkStatus, { ids: tooMany, status: 'lost' }, owner)).rejects.toMatchObject({ kind: 'validation' });
      await expect(crm.rpc.call(S.bulkAssign, { ids: [a.id], ownerId: ben.userId! }, ava)).rejects.toMatchObject({ kind: 'forbidden' });
      expect(await crm.rpc.call(S.bulkAssign, { ids: [a.id, b.id], ownerId: ben.userId! }, manager)).toEqual({ matched: 2, updated: 2 });
      expect((await crm.rpc.call(S.get, { id: a.id }, ben)).ownerId).toBe(ben.userId);
      await expect(crm.rpc.call(S.bulkStatus, { ids: [a.id], status: 'lost' }, otherOrgOwner)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('crm.contacts.import-rows', () => {
    it('imports mapped rows: creates, merges duplicates, rejects bad rows with the reason per row', async () => {
      // The rows the gateway maps from a CSV (header = row 1; Given,Family,E-mail,Zip,Kind,Labels).
      const rows: CrmImportRowsRequest['rows'] = [
        {
          row: 2,
          values: {
            firstName: 'Tara',
            lastName: 'Nolan',
            email: 'tara@example.test',
            postalCode: '98105',
            type: 'buyer',
            tags: 'SELLER-2026;Imported',
          },
        },
        { row: 3, values: { firstName: 'Lena', lastName: 'Ortiz', email: 'LENA@example.test', type: 'seller' } },
        { row: 4, values: { firstName: 'Bad', lastName: 'Mail', email: 'not-an-email', type: 'buyer' } },
        { row: 5, values: { firstName: 'Odd', lastName: 'Type', email: 'odd@example.test', type: 'landlord' } },
        { row: 6, values: {} },
        { row: 7, values: { firstName: 'Uma', lastName: 'Vance', email: 'uma@example.test', postalCode: '98103', type: 'investor' } },
        { row: 8, values: { firstName: 'Long', lastName: 'Label', email: 'long.label@example.test', type: 'buyer', tags: 'x'.repeat(51) } },
      ];
      const result = await crm.rpc.call(S.importRows, { rows, onDuplicate: 'merge' }, ava);
      expect(result).toMatchObject({ created: 2, merged: 1 });
      expect(result.rejected.map((r) => [r.row, r.field ?? r.reason])).toEqual([
        [4, 'email'],
        [5, 'type'],
        [6, 'the row has no name, email or phone'],
        [8, 'tags[0]'],
      ]);
      const [tara] = (await crm.rpc.call(S.list, { q: 'tara@example.test' }, ava)).items;
      expect(tara).toMatchObject({ ownerId: ava.userId, type: 'buyer', source: 'import', tags: ['seller-2026', 'Imported'] });
      expect(tara.tagDetails!.map((t) => t.scope)).toEqual(['org', 'personal']);
      expect(await idsOf(ava, { q: 'long.label' })).toEqual([]);
      const client = userOf(orgId, 'client');
      await expect(crm.rpc.call(S.importRows, { rows, onDuplicate: 'merge' }, client)).rejects.toMatchObject({ kind: 'forbidden' });
    });
  });

  describe('privacy', () => {
    it('exports everything held about a person, then erases it keeping an anonymised history', async () => {
      const person = await createContact(crm, ava, {
        firstName: 'Eve',
        lastName: 'Private',
        email: 'eve@example.test',
        phone: uniquePhone(),
      });
      const earlier = await createContact(crm, ava, { firstName: 'Evelyn', lastName: 'Privat', email: 'eve.old@example.test' });
      await crm.rpc.call(S.merge, { id: person.id, sourceId: earlier.id }, ava);
      await crm.rpc.call(S.noteCreate, { contactId: person.id, body: 'Lives at 12 Elm St' }, ava);
      await expect(crm.rpc.call(S.dataExport, { id: person.id }, ava)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(S.dataExport, { id: person.id }, otherOrgOwner)).rejects.toMatchObject({ kind: 'not_found' });
      const exported = await crm.rpc.call(S.dataExport, { id: person.id }, manager);
      expect(exported.contact.email).toBe('eve@example.test');
      expect(exported.mergedContacts.map((c) => c.email)).toEqual(['eve.old@example.test']);
      expect(exported.notes.map((n) => n.body)).toEqual(['Lives at 12 Elm St']);
      expect(exported.timeline.length).toBeGreaterThan(0);
      await expect(crm.rpc.call(S.erase, { id: person.id }, manager)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(S.erase, { id: person.id }, otherOrgOwner)).rejects.toMatchObject({ kind: 'not_found' });
      await crm.rpc.call(S.erase, { id: person.id }, owner);
      await expect(crm.rpc.call(S.get, { id: person.id }, owner)).rejects.toMatchObject({ kind: 'not_found' });
      const again = await crm.rpc.call(S.create, { firstName: 'Eve', lastName: 'Private', email: 'eve@example.test' }, ava);
      expect(again.merged).toBe(false);
    });
  });

  describe('tags are tag definitions; companies', () => {
    it('resolves names to the caller’s definitions, keeps tags already on the contact, follows renames and deletes', async () => {
      const waterfront = await crm.rpc.call(CrmTagSubjects.create, { name: 'Waterfront', colour: '#0ea5e9', scope: 'org' }, owner);
      const created = await createContact(crm, ava, { lastName: 'Tagged', phone: uniquePhone(), tags: ['waterfront', 'Quiet street'] });
      expect(created.tags).toEqual(['Waterfront', 'Quiet street']);
      const [org, personal] = created.tagDetails!;
      expect(org).toEqual({ id: waterfront.id, name: 'Waterfront', colour: '#0ea5e9', scope: 'org' });
      expect(personal).toMatchObject({ name: 'Quiet street', scope: 'personal' });
      const avasTags = await crm.rpc.call(CrmTagSubjects.list, { scope: 'personal', q: 'quiet' }, ava);
      expect(avasTags.items).toEqual([expect.objectContaining({ id: personal.id, ownerId: ava.userId })]);

      // The admin echoes the list back: ava's personal tag stays (it is already on the contact); a new name becomes the admin's own tag.
      const echoed = await crm.rpc.call(S.update, { id: created.id, tags: ['Waterfront', 'quiet street', 'Admin pick'] }, owner);
      expect(echoed.tagDetails!.map((t) => [t.id, t.scope])).toEqual([
        [waterfront.id, 'org'],
        [personal.id, 'personal'],
        [expect.any(String), 'personal'],
      ]);
      expect(echoed.tagDetails![2].id).not.toBe(personal.id);

      // The admin filters by the org tag; ava by her personal one; the admin does not see ava's personal tags as a filter.
      expect(await idsOf(owner, { tag: ['WATERFRONT'], q: 'tagged' })).toEqual([created.id]);
      expect(await idsOf(ava, { tag: ['quiet street'] })).toEqual([created.id]);
      expect(await idsOf(owner, { tag: ['quiet street'] })).toEqual([]);

      // An API key has no user to own a personal tag: an unknown name is refused naming the field; a known org tag resolves.
      const key = apiKeyActorFor({ orgId, permissions: ['contacts:write:org', 'contacts:read:org'], userId: owner.userId });
      const byKey = await refusalOf(
        crm.rpc.call(S.create, { lastName: 'Synced', phone: uniquePhone(), tags: ['Waterfront', 'Unheard of'] }, key),
      );
      expect([byKey.kind, byKey.errors?.[0]?.field, byKey.errors?.[0]?.code]).toEqual(['validation', 'tags[1]', 'UNKNOWN_TAG']);
      const keyed = await crm.rpc.call(S.create, { lastName: 'Synced', phone: uniquePhone(), tags: ['waterfront'] }, key);
      expect([keyed.merged, keyed.contact.tagDetails?.[0]?.id]).toEqual([false, waterfront.id]);
      const list = await crm.rpc.call(S.smartListCreate, { name: 'Water', filters: { tag: ['waterfront'] } }, ava);
      expect(list.filters.tag).toEqual(['Waterfront']);
      const unknown = await refusalOf(
        crm.rpc.call(S.smartListCreate, { name: 'Nope', filters: { tag: ['Waterfront', 'no-such-tag'] } }, ava),
      );
      expect([unknown.kind, unknown.errors?.[0]?.field]).toEqual(['validation', 'filters.tag[1]']);

      await crm.rpc.call(CrmTagSubjects.update, { id: waterfront.id, name: 'Lakefront' }, owner);
      expect((await crm.rpc.call(S.get, { id: created.id }, ava)).tags).toEqual(['Lakefront', 'Quiet street', 'Admin pick']);
      expect((await idsOf(owner, { tag: ['lakefront'] })).sort()).toEqual([created.id, keyed.contact.id].sort());
      expect((await crm.rpc.call(S.smartListGet, { id: list.id }, ava)).filters.tag).toEqual(['Lakefront']);
      expect((await crm.rpc.call(S.smartListContacts, { id: list.id }, ava)).items.map((c) => c.id)).toEqual([created.id]);

      const bulk = await crm.rpc.call(S.bulkTags, { ids: [created.id], add: ['Lakefront', 'Second look'], remove: ['admin pick'] }, ava);
      expect(bulk).toEqual({ matched: 1, updated: 1 });
      await crm.rpc.call(CrmTagSubjects.delete, { id: waterfront.id }, owner);
      const after = await crm.rpc.call(S.get, { id: created.id }, ava);
      expect(after.tags).toEqual(['Quiet street', 'Second look']);
      expect(after.tagDetails!.map((t) => t.scope)).toEqual(['personal', 'personal']);
      expect((await crm.rpc.call(S.smartListGet, { id: list.id }, ava)).filters.tag).toBeUndefined();
    });

    it('migrates free-text tags of contacts and smart lists to organization tags (existing names reused), once', async () => {
      const db = crmDataSource(crm);
      const legacy = await createContact(crm, ava, { lastName: 'Legacy', phone: uniquePhone() });
      await db.query(`UPDATE contact SET tags = ARRAY['legacy-lead', 'SELLER-2026'], tag_ids = '{}' WHERE id = $1`, [legacy.id]);
      const list = await crm.rpc.call(S.smartListCreate, { name: 'Legacy list', filters: {} }, ava);
      await db.query(`UPDATE smart_list SET filters = '{"tag": ["Legacy-Lead"]}' WHERE id = $1`, [list.id]);
      for (let run = 0; run < 2; run += 1) for (const statement of FREE_TEXT_TAGS_TO_DEFINITIONS) await db.query(statement);

      const [created] = (await db.query(
        `SELECT id, name, colour, scope FROM tag_definition WHERE org_id = $1 AND lower(name) = 'legacy-lead'`,
        [orgId],
      )) as Array<Record<string, string>>;
      expect(created).toMatchObject({ name: 'legacy-lead', colour: '#9ca3af', scope: 'org' });
      const [seller] = (await db.query(`SELECT id FROM tag_definition WHERE org_id = $1 AND scope = 'org' AND name = 'seller-2026'`, [
        orgId,
      ])) as Array<{ id: string }>;
      const after = await crm.rpc.call(S.get, { id: legacy.id }, ava);
      expect(after.tags).toEqual(['legacy-lead', 'seller-2026']);
      expect(after.tagDetails!.map((t) => t.id)).toEqual([created.id, seller.id]);
      expect((await crm.rpc.call(S.smartListGet, { id: list.id }, ava)).filters.tag).toEqual(['legacy-lead']);
    });

    it('takes companyId only for a company of the organization, and lists a company’s contacts within the caller’s reach', async () => {
      const company = await crm.rpc.call(CrmCompanySubjects.create, { name: 'Harbor Relocation' }, owner);
      const foreign = await crm.rpc.call(CrmCompanySubjects.create, { name: 'Rival Relocation' }, otherOrgOwner);
      for (const companyId of [foreign.id, newId()]) {
        const refused = await refusalOf(crm.rpc.call(S.create, { lastName: 'Worker', phone: uniquePhone(), companyId }, ava));
        expect([refused.kind, refused.errors?.[0]?.field]).toEqual(['validation', 'companyId']);
      }
      const avas = await createContact(crm, ava, { lastName: 'Harbor One', phone: uniquePhone(), companyId: company.id });
      const outsiders = await createContact(crm, outsider, { lastName: 'Harbor Two', phone: uniquePhone() });
      const moved = await refusalOf(crm.rpc.call(S.update, { id: outsiders.id, companyId: foreign.id }, outsider));
      expect([moved.kind, moved.errors?.[0]?.field]).toEqual(['validation', 'companyId']);
      await crm.rpc.call(S.update, { id: outsiders.id, companyId: company.id }, outsider);

      const ids = async (actor: Actor) => (await crm.rpc.call(S.listByCompany, { id: company.id }, actor)).items.map((c) => c.id);
      expect((await ids(owner)).sort()).toEqual([avas.id, outsiders.id].sort());
      expect(await ids(ava)).toEqual([avas.id]);
      expect(await ids(ben)).toEqual([]);
      expect(await ids(manager)).toEqual([avas.id]);
      expect(await idsOf(ava, { companyId: company.id })).toEqual([avas.id]);
      await expect(crm.rpc.call(S.listByCompany, { id: company.id }, otherOrgOwner)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'COMPANY_NOT_FOUND',
      });
      await expect(crm.rpc.call(S.listByCompany, { id: newId() }, owner)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('smart lists', () => {
    it('saves filters (with custom fields), evaluates them in the caller’s scope, shares with a team only', async () => {
      await crm.rpc.call(S.fieldCreate, { key: 'pre_qualified', label: 'Pre-qualified', type: 'boolean' }, owner);
      await crm.rpc.call(CrmTagSubjects.create, { name: 'Garden', colour: '#16a34a', scope: 'org' }, owner);
      const match = await createContact(crm, ava, { lastName: 'Listed', tags: ['garden'], customFields: { pre_qualified: true } });
      await createContact(crm, ava, { lastName: 'Unlisted', tags: ['garden'], customFields: { pre_qualified: false } });
      const foreign = await createContact(crm, outsider, {
        lastName: 'Elsewhere',
        tags: ['garden'],
        customFields: { pre_qualified: true },
      });
      const list = await crm.rpc.call(
        S.smartListCreate,
        { name: 'Garden, pre-qualified', filters: { tag: ['garden'], customFields: { pre_qualified: true } } },
        ava,
      );
      expect((await crm.rpc.call(S.smartListContacts, { id: list.id }, ava)).items.map((c) => c.id)).toEqual([match.id]);
      for (const actor of [ben, otherOrgOwner]) {
        await expect(crm.rpc.call(S.smartListContacts, { id: list.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
        await expect(crm.rpc.call(S.smartListDelete, { id: list.id }, actor)).rejects.toMatchObject({ kind: 'not_found' });
      }
      const shared = await crm.rpc.call(
        S.smartListCreate,
        { name: 'Team garden', filters: { tag: ['garden'], customFields: { pre_qualified: true } }, teamId },
        manager,
      );
      expect((await crm.rpc.call(S.smartListContacts, { id: shared.id }, ben)).items).toEqual([]);
      const byOwner = await crm.rpc.call(S.smartListContacts, { id: shared.id }, owner);
      expect(byOwner.items.map((c) => c.id).sort()).toEqual([match.id, foreign.id].sort());
      await expect(crm.rpc.call(S.smartListUpdate, { id: shared.id, name: 'Mine now' }, ben)).rejects.toMatchObject({ kind: 'forbidden' });
      await expect(crm.rpc.call(S.smartListGet, { id: shared.id }, outsider)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('activity from other services', () => {
    it('puts a listings property view on the contact’s timeline and counts it as engagement, once per event id', async () => {
      const contact = await createContact(crm, ava, { firstName: 'Vera', lastName: 'Viewer', email: 'vera@example.test' });
      const event = testEvent(
        ListingsEvent.propertyViewed,
        orgId,
        { viewId: newId(), propertyId: newId(), contactId: contact.id, source: 'portal', viewedAt: new Date().toISOString() },
        { actortype: 'user' },
      );
      const foreign = { ...event, id: newId(), orgid: otherOrgOwner.orgId };
      await crm.publish('listings.events', [event, event, foreign]);
      // One key, one partition: once the foreign event is consumed, both deliveries before it were too.
      await waitForConsumed(crm, { service: 'crm', group: 'crm.activity', eventIds: [event.id, foreign.id] });
      const timeline = await crm.rpc.call(S.timeline, { id: contact.id }, ava);
      expect(timeline.items.filter((entry) => entry.kind === 'listings.property.viewed')).toHaveLength(1);
      const after = await crm.rpc.call(S.get, { id: contact.id }, ava);
      expect(after.scoreReasons).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ signal: 'engagement', points: 5 }),
          expect.objectContaining({ signal: 'recent_activity' }),
        ]),
      );
    });
  });
});
