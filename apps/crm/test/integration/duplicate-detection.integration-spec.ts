import { CrmContactSubjects as S } from '@keyhouse/contracts';
import { startService, refusalOf } from '@keyhouse/testing';
import { newId } from '@keyhouse/util';
import { startCrm } from '../../src/main';
import { createContact, type CrmTestService } from '../support/crm-contacts.util';
import { identityEventsOf, seedIdentity, userOf } from '../support/crm-users.util';

/**
 * Fuzzy name duplicates on the crm service alone (issue 13 item 15): trigrams combined with
 * Levenshtein distance, Double Metaphone and nicknames on the contacts sharing a ZIP code.
 */
describe('duplicate detection by name (crm service over NATS)', () => {
  let crm: CrmTestService;
  const orgId = newId();
  const owner = userOf(orgId, 'owner');

  beforeAll(async () => {
    crm = await startService(startCrm);
    await seedIdentity(crm, identityEventsOf(owner));
  });

  afterAll(async () => {
    await crm?.stop();
  });

  it('finds "Maria Lopez" for "Mariah Lopes" at the same ZIP (0.56 on trigrams alone)', async () => {
    const maria = await createContact(crm, owner, { firstName: 'Maria', lastName: 'Lopez', address: { postalCode: '98115' } });
    const refused = await refusalOf(
      crm.rpc.call(S.create, { firstName: 'Mariah', lastName: 'Lopes', address: { postalCode: '98115' } }, owner),
    );
    expect(refused.code).toBe('DUPLICATE_CONTACT');
    expect(refused.details?.duplicates).toEqual([{ id: maria.id, reason: 'name' }]);
  });

  it('finds a nickname and a swapped name at the same ZIP', async () => {
    const robert = await createContact(crm, owner, { firstName: 'Robert', lastName: 'Okafor', address: { postalCode: '98117' } });
    const nickname = await refusalOf(
      crm.rpc.call(S.create, { firstName: 'Bob', lastName: 'Okafor', address: { postalCode: '98117' } }, owner),
    );
    expect(nickname.details?.duplicates).toEqual([{ id: robert.id, reason: 'name' }]);
    const swapped = await refusalOf(
      crm.rpc.call(S.create, { firstName: 'Okafor', lastName: 'Robert', address: { postalCode: '98117' } }, owner),
    );
    expect(swapped.details?.duplicates).toEqual([{ id: robert.id, reason: 'name' }]);
  });

  it('finds slips of typing: neighbour keys, a doubled letter, a typo on a nickname, at the same phone suffix', async () => {
    const mary = await createContact(crm, owner, { firstName: 'Mary', lastName: 'Lindqvist', phones: ['+12065550147'] });
    const keys = await refusalOf(crm.rpc.call(S.create, { firstName: 'Mqey', lastName: 'Lindqvist', phones: ['+14255550147'] }, owner));
    expect(keys.details?.duplicates).toEqual([{ id: mary.id, reason: 'name' }]);
    const william = await createContact(crm, owner, { firstName: 'William', lastName: 'Achebe', address: { postalCode: '98119' } });
    const nickname = await refusalOf(
      crm.rpc.call(S.create, { firstName: 'Ilam', lastName: 'Acheebe', address: { postalCode: '98119' } }, owner),
    );
    expect(nickname.details?.duplicates).toEqual([{ id: william.id, reason: 'name' }]);
  });

  it('does not flag family members whose names differ by an unrelated letter or two', async () => {
    await createContact(crm, owner, { firstName: 'Terry', lastName: 'Nakamura', address: { postalCode: '98121' } });
    await createContact(crm, owner, { firstName: 'Berry', lastName: 'Nakamura', address: { postalCode: '98121' } });
    await createContact(crm, owner, { firstName: 'Sean', lastName: 'Nakamura', address: { postalCode: '98121' } });
    await createContact(crm, owner, { firstName: 'Susan', lastName: 'Nakamura', address: { postalCode: '98121' } });
  });

  it('does not flag a different person of the same family at the same ZIP, nor the same name at another ZIP', async () => {
    await createContact(crm, owner, { firstName: 'Carlos', lastName: 'Lopez', address: { postalCode: '98115' } });
    await createContact(crm, owner, { firstName: 'Rose', lastName: 'Maria', address: { postalCode: '98115' } });
    await createContact(crm, owner, { firstName: 'Mariah', lastName: 'Lopes', address: { postalCode: '10001' } });
  });
});
