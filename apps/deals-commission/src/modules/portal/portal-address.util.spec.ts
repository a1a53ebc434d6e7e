import { addressOf } from './portal-address.util';

const EMPTY = {
  unparsedAddress: null,
  streetNumber: null,
  streetName: null,
  unitNumber: null,
  city: null,
  stateOrProvince: null,
  postalCode: null,
};

describe('addressOf', () => {
  it('joins the street line, city, state and postal code', () => {
    expect(addressOf({ ...EMPTY, unparsedAddress: '5230 17th Ave NE', city: 'Seattle', stateOrProvince: 'WA', postalCode: '98105' })).toBe(
      '5230 17th Ave NE, Seattle, WA 98105',
    );
  });

  it('builds the street line from its parts when there is no unparsed address', () => {
    expect(addressOf({ ...EMPTY, streetNumber: '12', streetName: 'Pine St', unitNumber: '4B', city: 'Seattle' })).toBe(
      '12 Pine St #4B, Seattle',
    );
  });

  it('is null when the listing has no address at all', () => {
    expect(addressOf(EMPTY)).toBeNull();
  });
});
