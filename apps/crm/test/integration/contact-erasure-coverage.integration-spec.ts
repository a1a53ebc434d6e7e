import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { CrmContactSubjects as S, type CrmContactCreateRequest, type CrmContactInput } from '@keyhouse/contracts';
import { actorFor, apiKeyActorFor, startService, type TestService } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { CONTACT_STATE_DECLARATIONS } from '../../src/modules/contacts-core/contact.row';
import { emptyState } from '../../src/modules/contacts-core/contact-state.util';
import {
  CONTACT_DATA_PRIVACY,
  CONTACT_PERSONAL_COLUMNS,
  ERASED_VALUES,
  type ContactDataTable,
} from '../../src/modules/contacts/contact-privacy.constant';

/**
 * Issue 12, proof: the privacy erasure covers every personal-data column. A person with every
 * personal column of `contact` filled (and notes, a form submission, a lead event, timeline
 * entries, and a second contact merged into the first) is erased over NATS; the rows are then
 * read with pg. The assertions iterate the classification (`CONTACT_PRIVACY`,
 * `CONTACT_DATA_PRIVACY`), so a column classified `personal` later is checked here without a
 * change to this file (text fields the request sets as they are are filled from the column
 * declarations too).
 */
describe('ContactPrivacyService (crm service over NATS)', () => {
  let crm: TestService;
  let db: Client;
  const orgId = newId();
  const admin = actorFor({
    orgId,
    role: 'admin',
    permissions: ['contacts:read:org', 'contacts:write:org', 'contacts:export:org', 'contacts:erase:org'],
  });
  const leadSource = apiKeyActorFor({ orgId, permissions: ['leads:write:org'] });

  /** Rows of `table` (`contact`: by id; the others: by `contact_id`) for the given contacts. */
  async function rowsOf(table: 'contact' | ContactDataTable, contactIds: string[]): Promise<Array<Record<string, unknown>>> {
    const column = table === 'contact' ? 'id' : 'contact_id';
    const { rows } = await db.query(`SELECT * FROM ${table} WHERE ${column} = ANY($1::uuid[]) ORDER BY id`, [contactIds]);
    return rows as Array<Record<string, unknown>>;
  }

  /** null, '', an empty list or an empty object. */
  const isEmpty = (value: unknown): boolean =>
    value === null ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && !(value instanceof Date) && Object.keys(value as object).length === 0);

  /** An erased value as pg reads it back: jsonb columns are written as JSON text and read parsed. */
  const asRead = (written: unknown, read: unknown): unknown =>
    typeof written === 'string' && typeof read !== 'string' ? JSON.parse(written) : written;

  beforeAll(async () => {
    crm = await startService(startCrm);
    db = new Client({ connectionString: crm.env.CRM_DATABASE_URL, options: `-c search_path=${crm.env.CRM_DATABASE_SCHEMA}` });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await crm?.stop();
  });

  describe('erase', () => {
    it('empties every personal column of the person’s contacts and of their notes, forms, lead events and timeline', async () => {
      await crm.rpc.call(S.fieldCreate, { key: 'moving_date', label: 'Moving date', type: 'date' }, admin);
      // Every text field the request sets as it is (CONTACT_COLUMNS `input.as: 'text'`), then the rest by hand.
      const declaredText = Object.fromEntries(
        CONTACT_STATE_DECLARATIONS.flatMap(({ input }) => (input?.as === 'text' ? [[input.field, `Erasure ${input.field}`]] : [])),
      ) as CrmContactInput;
      const person: CrmContactCreateRequest = {
        ...declaredText,
        firstName: 'Edda',
        lastName: 'Eriksen',
        emails: ['edda@example.test', 'edda.e@example.test'],
        phones: ['+12065550181'],
        source: 'referral',
        referrer: { type: 'partner', name: 'Lakeside Lending' },
        tags: ['Private'],
        preferences: { maxPriceCents: 90_000_000, areas: ['Ballard'], preApproved: true },
        address: { street: '1 Shilshole Ave', city: 'Seattle', state: 'WA', postalCode: '98107' },
        consent: { email: { granted: true, source: 'agent' } },
        customFields: { moving_date: '2027-05-01' },
      };
      const { contact } = await crm.rpc.call(S.create, person, admin);
      // The same person's second record, merged into the first (the erasure follows merges).
      const { contact: earlier } = await crm.rpc.call(
        S.create,
        { firstName: 'Edda', lastName: 'Eriksen-Berg', email: 'edda.berg@example.test', phone: '+12065550182', tags: ['Private'] },
        admin,
      );
      await crm.rpc.call(S.noteCreate, { contactId: earlier.id, body: 'Prefers calls after 6 pm' }, admin);
      await crm.rpc.call(S.merge, { id: contact.id, sourceId: earlier.id }, admin);
      await crm.rpc.call(S.noteCreate, { contactId: contact.id, body: 'Divorce settlement pending' }, admin);
      await crm.rpc.call(
        S.publicLeadCapture,
        {
          orgId,
          email: 'edda@example.test',
          message: 'Call me',
          answers: { budget: '900k' },
          utm: { campaign: 'spring' },
          consent: { sms: true },
        },
        null,
      );
      await crm.rpc.call(
        S.leadEventIngest,
        { type: 'inquiry', source: 'zillow', externalId: `z-${newId()}`, person: { email: 'edda@example.test', firstName: 'Edda' } },
        leadSource,
      );
      const ids = [contact.id, earlier.id];

      const [before] = await rowsOf('contact', [contact.id]);
      for (const column of CONTACT_PERSONAL_COLUMNS) {
        // The fixture must fill each personal column, or the check after the erasure proves nothing.
        expect({ column, empty: isEmpty(before[column]) }).toEqual({ column, empty: false });
      }
      for (const table of Object.keys(CONTACT_DATA_PRIVACY) as ContactDataTable[]) {
        const rows = await rowsOf(table, ids);
        expect({ table, rows: rows.length > 0 }).toEqual({ table, rows: true });
        for (const row of rows) {
          for (const [column, erased] of Object.entries(ERASED_VALUES[table])) {
            expect({ table, column, erasedAlready: isDeepStrictEqual(row[column], asRead(erased, row[column])) }).toEqual({
              table,
              column,
              erasedAlready: false,
            });
          }
        }
      }

      await crm.rpc.call(S.erase, { id: contact.id }, admin);

      const empty = emptyState();
      const erased = await rowsOf('contact', ids);
      expect(erased).toHaveLength(2);
      for (const row of erased) {
        expect(row.erased_at).toBeInstanceOf(Date);
        expect(row.deleted_at).toBeInstanceOf(Date);
        for (const column of CONTACT_PERSONAL_COLUMNS) {
          expect({ column, value: row[column] }).toEqual({ column, value: empty[column] });
          expect({ column, empty: isEmpty(row[column]) }).toEqual({ column, empty: true });
        }
      }
      for (const table of Object.keys(CONTACT_DATA_PRIVACY) as ContactDataTable[]) {
        for (const row of await rowsOf(table, ids)) {
          for (const [column, value] of Object.entries(ERASED_VALUES[table])) {
            expect({ table, column, value: row[column] }).toEqual({ table, column, value: asRead(value, row[column]) });
          }
        }
      }
      await expect(crm.rpc.call(S.get, { id: contact.id }, admin)).rejects.toMatchObject({ code: 'CONTACT_NOT_FOUND' });
    });
  });
});
